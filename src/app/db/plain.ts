/**
 * What sealed rows hold once opened. Every row read back from IndexedDB is parsed here, so a row
 * written by an older version or damaged on disk is caught with a clear error, never half-used.
 */
import { z } from 'zod';
import { EventId, FootfallEvent, Instant, KnownAs, WomanDetails } from '../../domain/events.ts';

export const Woman = z.object({
  id: EventId,
  knownAs: KnownAs,
  details: WomanDetails,
  registeredAt: Instant,
});
export type Woman = z.infer<typeof Woman>;

/** A visit row holds every event about that visit; its current state is derived from them. */
export const VisitEvents = z.object({ events: z.array(FootfallEvent).min(1) });
export type VisitEvents = z.infer<typeof VisitEvents>;
