/**
 * The organisation's people (docs/security.md#people): who may unlock its devices, and whose
 * names its records carry. Only a certified admin device adds, changes or removes a person
 * (src/domain/authority.ts); every device folds the same staff events into the same roster,
 * whatever their order or repetition: the latest staff.saved of a person says who she is, and a
 * removal is final.
 */
import { z } from 'zod';
import { Stamp } from './directory.ts';
import { compareEvents, EventId, PersonalCodeCheck, StaffName, type EventOf, type FootfallEvent } from './events.ts';
import { Key } from './key.ts';
import { Role } from './protocol.ts';

export const Person = z.object({
  id: EventId,
  name: StaffName,
  roles: z.array(Role).min(1),
  /** The sites she works at; null: any. */
  sites: z.array(Key).nullable(),
  code: PersonalCodeCheck.nullable(),
  /** The staff.saved event this comes from. */
  saved: Stamp,
});
export type Person = z.infer<typeof Person>;

export const Roster = z.object({
  people: z.record(EventId, Person),
  /** Everyone removed, with the removal: her records from after it count nowhere. */
  removed: z.record(EventId, Stamp),
  /** The first staff event: the organisation has kept its people since then. */
  since: Stamp.nullable(),
});
export type Roster = z.infer<typeof Roster>;

export const EMPTY_ROSTER: Roster = { people: {}, removed: {}, since: null };

export const isStaffEvent = (e: FootfallEvent): e is EventOf<'staff.saved' | 'staff.removed'> => e.type === 'staff.saved' || e.type === 'staff.removed';

/** Folds staff events (others are ignored); returns the same roster when nothing changed. */
export function applyStaffEvents(roster: Roster, events: Iterable<FootfallEvent>): Roster {
  let next: Roster | null = null;
  const edit = () => (next ??= { people: { ...roster.people }, removed: { ...roster.removed }, since: roster.since });
  for (const e of events) {
    if (!isStaffEvent(e)) continue;
    const current = next ?? roster;
    const stamp = { at: e.at, id: e.id };
    if (!current.since || compareEvents(e, current.since) < 0) edit().since = stamp;
    if (e.type === 'staff.removed') {
      const had = current.removed[e.personId];
      if (had && compareEvents(had, e) <= 0) continue;
      const r = edit();
      r.removed[e.personId] = stamp;
      delete r.people[e.personId];
      continue;
    }
    if (current.removed[e.personId]) continue;
    const had = current.people[e.personId];
    if (had && compareEvents(had.saved, e) >= 0) continue;
    edit().people[e.personId] = { id: e.personId, name: e.name, roles: e.roles, sites: e.sites, code: e.code, saved: stamp };
  }
  return next ?? roster;
}

/** The people who work in this role at this site (null: a device with no site), admins on any device. */
export function peopleFor(roster: Roster, role: Role, siteKey: string | null): Person[] {
  return Object.values(roster.people)
    .filter((p) => p.roles.includes('admin') || (p.roles.includes(role) && (siteKey === null || p.sites === null || p.sites.includes(siteKey))))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Records made by people after their removal, per device that sent them. */
export interface Unbound {
  deviceId: string;
  events: number;
}

/**
 * The events that may count, and those made by a person after the admin removed her, which may
 * not. A record naming someone the organisation does not have still counts for now: devices set
 * up on their own by an earlier version joined with their own people (docs/security.md#people).
 * The changes only an admin may make were checked when they were read (src/domain/authority.ts).
 */
export function bindToPeople(events: readonly FootfallEvent[], roster: Roster = applyStaffEvents(EMPTY_ROSTER, events)): { accepted: FootfallEvent[]; unbound: Unbound[] } {
  const since = roster.since;
  if (!since) return { accepted: [...events], unbound: [] };
  const accepted: FootfallEvent[] = [];
  const unbound = new Map<string, number>();
  for (const e of events) {
    const removed = roster.removed[e.staffId];
    const placed = isStaffEvent(e) || e.at < since.at || !removed || compareEvents(e, removed) < 0;
    if (placed) accepted.push(e);
    else unbound.set(e.deviceId, (unbound.get(e.deviceId) ?? 0) + 1);
  }
  return { accepted, unbound: [...unbound].map(([deviceId, n]) => ({ deviceId, events: n })) };
}
