/** What the bench asks of the PouchDB peer's page, and what the page answers (bench/browser/pouchPeer.ts). */
import { z } from 'zod';

export const PeerMode = z.enum(['plain', 'encrypted']);
export type PeerMode = z.infer<typeof PeerMode>;

export const PeerOrder = z.object({
  events: z.number().int().positive(),
  mode: PeerMode,
  /** The page's own IndexedDB database, new for each run. */
  local: z.string().min(1),
  /** The server's database, new for each run. */
  remote: z.string().regex(/^[a-z][a-z0-9-]*$/),
});
export type PeerOrder = z.infer<typeof PeerOrder>;

export const PeerOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), ms: z.number(), prefillMs: z.number(), docsWritten: z.number().int() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type PeerOutcome = z.infer<typeof PeerOutcome>;
