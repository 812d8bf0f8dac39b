/**
 * What changes the shared directory on this device: registering a woman here, this device's own
 * directory events (a merge, an erasure, a shared configuration), and other devices' events pulled
 * by sync. All go through the one directory fold (src/domain/directory.ts), in turn with other saves.
 */
import type { EventOf, FootfallEvent, WomanDetails } from '../../domain/events.ts';
import type { DeviceCore } from '../core/core.ts';
import type { Woman } from '../core/rows.ts';
import { ClientError } from '../problems.ts';

export function registerWoman(core: DeviceCore, knownAs: string, details: WomanDetails): Promise<Woman> {
  return core.serially(async () => {
    const base = core.stamp();
    const event: EventOf<'woman.registered'> = { ...base, type: 'woman.registered', womanId: base.id, knownAs: knownAs.trim(), details };
    // Folded like every directory event, so her entry says what the reports will say.
    await core.foldDirectory([event], [event]);
    return core.session.women.get(event.womanId)!;
  });
}

/** What a change to her record says: only the fields that changed, each an answer of its own. */
export interface WomanChanges {
  knownAs?: string;
  details: WomanDetails;
}

/**
 * Keeps her record right: a change of her known-as name or answers, as one `woman.updated` event.
 * Each field is latest-wins on its own, on every device and in the reports alike.
 */
export function updateWoman(core: DeviceCore, womanId: string, changes: WomanChanges): Promise<Woman> {
  return core.serially(async () => {
    if (!core.session.women.has(womanId)) throw new ClientError('woman_gone');
    const event: EventOf<'woman.updated'> = {
      ...core.stamp(),
      type: 'woman.updated',
      womanId,
      ...(changes.knownAs !== undefined && { knownAs: changes.knownAs.trim() }),
      details: changes.details,
    };
    await core.foldDirectory([event], [event]);
    return core.session.women.get(womanId)!;
  });
}

/**
 * Directory events other devices recorded, pulled by sync. They change the entries this device
 * shows (and its configuration, when a newer one is shared); they are not this device's events,
 * so they are not added to its outbox.
 */
export function applyDirectory(core: DeviceCore, events: FootfallEvent[]): Promise<void> {
  return core.serially(async () => {
    await core.foldDirectory(events, []);
  });
}

/** This device's own directory events: saved for upload and applied here in one transaction. */
export function recordDirectoryEvents(core: DeviceCore, events: FootfallEvent[]): Promise<void> {
  return core.serially(async () => {
    await core.foldDirectory(events, events);
  });
}
