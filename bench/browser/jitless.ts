/**
 * Imported first by entry.ts, before any schema is built. The app's pages forbid eval (CSP
 * script-src 'self'), so in the app zod's probe for `new Function` fails when the schemas are
 * created and it validates without generated code. Code evaluated through DevTools is not held
 * to the CSP the same way (the probe passes, then the generated code is refused), so the bench
 * says "no eval" explicitly, to run the same validation path as the app.
 */
import { z } from 'zod';

z.config({ jitless: true });
