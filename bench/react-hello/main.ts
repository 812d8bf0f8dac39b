/** The baseline for the initial-JavaScript figure: React and React DOM rendering one line, nothing else. */
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

createRoot(document.getElementById('root')!).render(createElement('p', null, 'Hello'));
