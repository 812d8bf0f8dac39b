/**
 * The page's first script, and all of it that must load before anything else: it asks for the
 * device's storage (src/app/core/openEarly.ts), then loads the app.
 */
import { openEarly } from './core/openEarly.ts';

openEarly();
void import('./main.tsx');
