// Imported before any zod schema is used. The app's Content-Security-Policy forbids eval, so zod
// must not probe for it: the probe itself is reported as a policy violation. zod/mini's config is
// the one zod's full API uses, and keeps this small enough for the lock screen's first chunk.
import * as z from 'zod/mini';

z.config({ jitless: true });
