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
import { AUTHORITY_TYPES } from './authority.ts';
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

/** Why a record is not bound to the organisation's people. */
export type UnboundReason = 'removed_person' | 'unknown_person' | 'not_her_device';

/** Records not bound to the organisation's people, per device that made them and reason. */
export interface Unbound {
  deviceId: string;
  reason: UnboundReason;
  events: number;
}

/**
 * The events that may count, and those that may not (docs/security.md#people): a record counts
 * only when it names a person the organisation has, not removed before it, and was made on a
 * device she may use: one enrolled for a role of hers (`devices`: the role each device was
 * enrolled for, as the endpoint lists them), and for a visit, at a site of hers. Admins may use
 * every device. A device the list does not name (none is, for an admin device that has not read
 * it yet) is not checked for her role.
 *
 * Before the organisation kept people (no staff event yet) every record counts: no device could
 * join it then. The changes only an admin may make were checked when they were read
 * (src/domain/authority.ts) and are not screened here.
 */
export function bindToPeople(
  events: readonly FootfallEvent[],
  devices: ReadonlyMap<string, Role> = new Map(),
  roster: Roster = applyStaffEvents(EMPTY_ROSTER, events),
): { accepted: FootfallEvent[]; unbound: Unbound[] } {
  if (!roster.since) return { accepted: [...events], unbound: [] };
  const accepted: FootfallEvent[] = [];
  const unbound = new Map<string, Unbound>();
  for (const e of events) {
    const reason = AUTHORITY_TYPES.has(e.type) ? null : unboundReason(e, roster, devices);
    if (!reason) {
      accepted.push(e);
      continue;
    }
    const key = `${e.deviceId} ${reason}`;
    const had = unbound.get(key);
    if (had) had.events++;
    else unbound.set(key, { deviceId: e.deviceId, reason, events: 1 });
  }
  return { accepted, unbound: [...unbound.values()] };
}

function unboundReason(e: FootfallEvent, roster: Roster, devices: ReadonlyMap<string, Role>): UnboundReason | null {
  const removed = roster.removed[e.staffId];
  // Removed: her records from before the removal stand (what she did then is no longer known).
  if (removed) return compareEvents(e, removed) < 0 ? null : 'removed_person';
  const person = roster.people[e.staffId];
  if (!person) return 'unknown_person';
  if (person.roles.includes('admin')) return null;
  const role = devices.get(e.deviceId);
  if (role && !person.roles.includes(role)) return 'not_her_device';
  if (e.type === 'visit.checkedIn' && person.sites !== null && !person.sites.includes(e.siteId)) return 'not_her_device';
  return null;
}
