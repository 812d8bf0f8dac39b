import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { boot } from './device.ts';
import { App } from './App.tsx';
import { FootfallDb } from './db/database.ts';
import { UpdateBanner } from './UpdateBanner.tsx';
import './styles.css';

void boot(new FootfallDb());
// Ask the browser not to evict this origin's storage under pressure: it holds unsynced records.
void navigator.storage?.persist?.();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App banner={<UpdateBanner />} />
  </StrictMode>,
);
