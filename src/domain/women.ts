/**
 * The directory as the reports see it: one profile per woman after merges, with the details she
 * has now. Breakdowns count women by these details; they come from the one directory fold
 * (src/domain/directory.ts) that every device uses too, so a report and a device agree.
 */
import { applyDirectoryEvents, directoryWomen, EMPTY_DIRECTORY, type WomanProfile } from './directory.ts';
import type { FootfallEvent } from './events.ts';

export type { WomanProfile };

/** Every woman's profile by canonical id, from a whole history; erased women are absent. */
export function resolveWomen(events: Iterable<FootfallEvent>): Map<string, WomanProfile> {
  return directoryWomen(applyDirectoryEvents(EMPTY_DIRECTORY, events));
}
