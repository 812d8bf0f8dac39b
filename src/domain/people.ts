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
import { statementAt, type DeviceRegistry } from './devices.ts';

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

/** Why a record is not bound to the organisation's people and devices. */
export const UNBOUND_REASONS = ['removed_person', 'unknown_person', 'not_her_device', 'unsigned_device', 'revoked_device', 'other_site', 'unsigned_part'] as const;
export type UnboundReason = (typeof UNBOUND_REASONS)[number];

/** Records not bound to the organisation's people, per device that made them and reason. */
export interface Unbound {
  deviceId: string;
  reason: UnboundReason;
  events: number;
}

/** What a person was saved as, from when: every staff.saved of hers, oldest first. */
type PersonHistory = ReadonlyMap<string, Person[]>;

/**
 * The events that may count, and those that may not (docs/security.md#people and #devices). A
 * record counts only when, as things stood when it was made:
 *
 * - its device is one an admin signed for (`devices`: src/domain/devices.ts), not revoked before it;
 * - for a visit, at the device's own site, when the device has one;
 * - it names a person the organisation has, not removed before it, who works in the device's role
 *   (admins: on every device) and, for a visit, at the visit's site.
 *
 * Roles and sites are those of the record's time: the person's latest save and the device's latest
 * statement from before it (or their first, for a record made before either: the organisation's
 * first people bring their earlier records with them, and a device records before its admin's
 * confirmation reaches her).
 *
 * Before the organisation kept people (no staff event yet) every record counts: no device could
 * join it then. The changes only an admin may make were checked when they were read
 * (src/domain/authority.ts) and are not screened here, nor is a device's proof that it joined.
 */
export function bindToPeople(events: readonly FootfallEvent[], devices: DeviceRegistry): { accepted: FootfallEvent[]; unbound: Unbound[] } {
  const roster = applyStaffEvents(EMPTY_ROSTER, events);
  if (!roster.since) return { accepted: [...events], unbound: [] };
  const history = personHistory(events);
  const accepted: FootfallEvent[] = [];
  const unbound = new Map<string, Unbound>();
  for (const e of events) {
    const reason = AUTHORITY_TYPES.has(e.type) || e.type === 'device.joined' ? null : unboundReason(e, roster, history, devices);
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

function personHistory(events: readonly FootfallEvent[]): PersonHistory {
  const saves = new Map<string, Person[]>();
  for (const e of events) {
    if (e.type !== 'staff.saved') continue;
    const list = saves.get(e.personId) ?? [];
    list.push({ id: e.personId, name: e.name, roles: e.roles, sites: e.sites, code: e.code, saved: { at: e.at, id: e.id } });
    saves.set(e.personId, list);
  }
  for (const list of saves.values()) list.sort((a, b) => compareEvents(a.saved, b.saved));
  return saves;
}

/** The person as she was saved when `at` was made: her latest save from before it, or else her first. */
function personAt(saves: readonly Person[], at: FootfallEvent): Person | null {
  let found = saves[0] ?? null;
  for (const p of saves) if (compareEvents(p.saved, at) <= 0) found = p;
  return found;
}

function unboundReason(e: FootfallEvent, roster: Roster, history: PersonHistory, devices: DeviceRegistry): UnboundReason | null {
  const device = devices.get(e.deviceId);
  const statement = device && statementAt(device, e);
  if (!device || !statement) return 'unsigned_device';
  if (device.revoked && compareEvents(e, device.revoked) >= 0) return 'revoked_device';
  const visitSite = e.type === 'visit.checkedIn' ? e.siteId : null;
  if (visitSite !== null && statement.siteKey !== null && statement.siteKey !== visitSite) return 'other_site';
  const removed = roster.removed[e.staffId];
  // Removed: her records from before the removal stand (what she did then is no longer known).
  if (removed && compareEvents(e, removed) >= 0) return 'removed_person';
  const person = personAt(history.get(e.staffId) ?? [], e);
  if (!person) return 'unknown_person';
  if (person.roles.includes('admin')) return null;
  if (!person.roles.includes(statement.role)) return 'not_her_device';
  if (visitSite !== null && person.sites !== null && !person.sites.includes(visitSite)) return 'not_her_device';
  return null;
}
