// Imported first by main.tsx. The app's Content-Security-Policy forbids eval, so zod must not
// probe for it: the probe itself is reported as a policy violation.
import { z } from 'zod';

z.config({ jitless: true });
