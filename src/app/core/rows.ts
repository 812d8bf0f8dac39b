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
  /** The latest directory event applied, so changes from other devices apply latest-wins. */
  lastChange: z.object({ at: Instant, id: EventId }).optional(),
  /** Found to be the same woman as another entry: search shows that one instead. */
  mergedInto: EventId.optional(),
});
export type Woman = z.infer<typeof Woman>;

/** A visit row holds every event about that visit; its current state is derived from them. */
export const VisitEvents = z.object({ events: z.array(FootfallEvent).min(1) });
export type VisitEvents = z.infer<typeof VisitEvents>;

/** Team keys for the shared directory, newest last. Sealed at rest like everything else. */
export const TeamKeys = z.object({ keys: z.array(z.object({ version: z.number().int().min(1), raw: z.string() })).min(1) });
export type TeamKeys = z.infer<typeof TeamKeys>;

/**
 * What the directory remembers beyond its entries: the ids of women erased (ids only, which
 * nothing links to a name any more), so a late registration cannot bring one back, and the newest
 * shared configuration applied, so an older one arriving late is ignored.
 */
export const DirectoryState = z.object({
  erased: z.array(EventId),
  configChange: z.object({ at: Instant, id: EventId }).nullable(),
});
export type DirectoryState = z.infer<typeof DirectoryState>;
