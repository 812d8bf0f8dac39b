import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';
import { foldDevices, type DeviceRegistry } from '../../src/domain/devices.ts';
import { applyStaffEvents, bindToPeople, EMPTY_ROSTER, peopleFor } from '../../src/domain/people.ts';

const ADMIN_DEVICE = 'admin-laptop';
const TABLET = 'tablet';
const grace = uuidv7();
const anna = uuidv7();
const olu = uuidv7();

function saved(personId: string, name: string, at: string, roles: EventOf<'staff.saved'>['roles'], sites: string[] | null = null): EventOf<'staff.saved'> {
  return { id: uuidv7(), at, deviceId: ADMIN_DEVICE, staffId: grace, type: 'staff.saved', personId, name, roles, sites, code: null };
}
function removed(personId: string, at: string): EventOf<'staff.removed'> {
  return { id: uuidv7(), at, deviceId: ADMIN_DEVICE, staffId: grace, type: 'staff.removed', personId };
}
function visit(staffId: string, at: string, deviceId = TABLET, siteId = 'drop-in'): FootfallEvent {
  return { id: uuidv7(), at, deviceId, staffId, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId, services: ['meal'] } satisfies EventOf<'visit.checkedIn'>;
}
/** An admin's signed statement about a device (src/domain/devices.ts). */
function enrolled(subjectId: string, at: string, role: EventOf<'device.enrolled'>['role'], siteKey: string | null = null): EventOf<'device.enrolled'> {
  return { id: uuidv7(), at, deviceId: ADMIN_DEVICE, staffId: grace, type: 'device.enrolled', subjectId, role, siteKey };
}
function revoked(subjectId: string, at: string): EventOf<'device.revoked'> {
  return { id: uuidv7(), at, deviceId: ADMIN_DEVICE, staffId: grace, type: 'device.revoked', subjectId };
}
const signed = (events: FootfallEvent[]): DeviceRegistry => foldDevices(events, new Map());
const devices = [enrolled(TABLET, '2026-01-01T09:00:00.000Z', 'frontDesk'), enrolled('phone', '2026-01-01T09:00:00.000Z', 'outreach')];

const history: FootfallEvent[] = [
  saved(grace, 'Grace', '2026-01-01T09:00:00.000Z', ['admin']),
  saved(anna, 'Anna', '2026-01-02T09:00:00.000Z', ['frontDesk'], ['drop-in']),
  saved(anna, 'Anna K', '2026-01-03T09:00:00.000Z', ['frontDesk', 'casework'], ['drop-in']),
  saved(olu, 'Olu', '2026-01-02T10:00:00.000Z', ['outreach']),
  removed(olu, '2026-02-01T09:00:00.000Z'),
  saved(olu, 'Olu again', '2026-03-01T09:00:00.000Z', ['outreach']), // a removal is final
];

describe('the organisation’s people', () => {
  it('the latest change of a person wins and a removal is final, whatever the order or repetition', () => {
    const roster = applyStaffEvents(EMPTY_ROSTER, history);
    expect(Object.values(roster.people).map((p) => [p.name, p.roles])).toEqual([
      ['Grace', ['admin']],
      ['Anna K', ['frontDesk', 'casework']],
    ]);
    expect(Object.keys(roster.removed)).toEqual([olu]);
    expect(roster.since?.at).toBe('2026-01-01T09:00:00.000Z');
    fc.assert(
      fc.property(fc.shuffledSubarray([...history, ...history], { minLength: history.length * 2 }), fc.integer({ min: 1, max: 5 }), (events, pages) => {
        let folded = EMPTY_ROSTER;
        const size = Math.ceil(events.length / pages);
        for (let i = 0; i < events.length; i += size) folded = applyStaffEvents(folded, events.slice(i, i + size));
        expect(folded).toEqual(roster);
      }),
    );
  });

  it('lists for a device the people of its work and site, and admins on any device', () => {
    const roster = applyStaffEvents(EMPTY_ROSTER, [...history, saved(uuidv7(), 'Bea', '2026-01-04T09:00:00.000Z', ['frontDesk'], ['annexe'])]);
    expect(peopleFor(roster, 'frontDesk', 'drop-in').map((p) => p.name)).toEqual(['Anna K', 'Grace']);
    expect(peopleFor(roster, 'frontDesk', 'annexe').map((p) => p.name)).toEqual(['Bea', 'Grace']);
    expect(peopleFor(roster, 'outreach', null).map((p) => p.name)).toEqual(['Grace']);
  });

  it('counts only records by the organisation’s people on a device of theirs; sets aside the rest, with the reason', () => {
    const before = visit('someone-from-before', '2025-12-31T09:00:00.000Z');
    const byAnna = visit(anna, '2026-01-05T09:00:00.000Z');
    const byOluBefore = visit(olu, '2026-01-20T09:00:00.000Z', 'phone');
    const byOluAfter = visit(olu, '2026-02-02T09:00:00.000Z', 'phone');
    const byNobody = visit(uuidv7(), '2026-01-05T09:00:00.000Z');
    // A rogue outreach phone uploads a visit in the name of Anna, who works the front desk.
    const forged = visit(anna, '2026-01-06T09:00:00.000Z', 'phone');
    const { accepted, unbound } = bindToPeople([...history, before, byAnna, byOluBefore, byOluAfter, byNobody, forged], signed(devices));
    expect(accepted).toEqual([...history, byAnna, byOluBefore]);
    expect(unbound).toEqual([
      { deviceId: TABLET, reason: 'unknown_person', events: 2 },
      { deviceId: 'phone', reason: 'removed_person', events: 1 },
      { deviceId: 'phone', reason: 'not_her_device', events: 1 },
    ]);
  });

  it('binds nothing for an organisation that keeps no people yet', () => {
    const events = [visit(uuidv7(), '2026-01-05T09:00:00.000Z')];
    expect(bindToPeople(events, signed([]))).toEqual({ accepted: events, unbound: [] });
  });

  it('counts a record by the roles and sites of its day, not of today', () => {
    const bea = uuidv7();
    const beaHistory = [
      saved(bea, 'Bea', '2026-01-02T09:00:00.000Z', ['frontDesk'], ['drop-in']),
      saved(bea, 'Bea', '2026-03-01T09:00:00.000Z', ['outreach']), // moved to outreach in March
    ];
    const deskInFebruary = visit(bea, '2026-02-10T09:00:00.000Z');
    const deskInMarch = visit(bea, '2026-03-10T09:00:00.000Z');
    const { accepted, unbound } = bindToPeople([...history, ...beaHistory, deskInFebruary, deskInMarch], signed(devices));
    expect(accepted).toContain(deskInFebruary);
    expect(accepted).not.toContain(deskInMarch);
    expect(unbound).toEqual([{ deviceId: TABLET, reason: 'not_her_device', events: 1 }]);
    // A record from before her first save (the organisation's first people bring theirs) counts by it.
    expect(bindToPeople([...history, ...beaHistory, visit(bea, '2025-12-01T09:00:00.000Z')], signed(devices)).unbound).toEqual([]);
  });

  it('binds a record to its device as an admin signed for it: unsigned, revoked, at another site, or in another role', () => {
    const annexe = 'annexe-tablet';
    const statements = [
      ...devices,
      enrolled(annexe, '2026-01-01T09:00:00.000Z', 'frontDesk', 'annexe'),
      enrolled(annexe, '2026-04-01T09:00:00.000Z', 'casework', 'annexe'), // became the annexe's casework tablet
      revoked(TABLET, '2026-03-01T09:00:00.000Z'),
    ];
    const bea = uuidv7();
    const people = [...history, saved(bea, 'Bea', '2026-01-02T09:00:00.000Z', ['frontDesk'])];
    const beforeRevocation = visit(anna, '2026-02-28T09:00:00.000Z');
    const afterRevocation = visit(anna, '2026-03-02T09:00:00.000Z');
    const unsigned = visit(anna, '2026-02-01T09:00:00.000Z', 'listed-by-the-server');
    const atAnnexe = visit(bea, '2026-02-01T09:00:00.000Z', annexe, 'annexe');
    const atDropInFromAnnexe = visit(bea, '2026-02-01T09:00:00.000Z', annexe, 'drop-in');
    const annexeAsCasework = visit(bea, '2026-04-02T09:00:00.000Z', annexe, 'annexe');
    const { accepted, unbound } = bindToPeople(
      [...people, ...statements, beforeRevocation, afterRevocation, unsigned, atAnnexe, atDropInFromAnnexe, annexeAsCasework],
      signed(statements),
    );
    expect(accepted).toEqual([...people, ...statements, beforeRevocation, atAnnexe]);
    expect(unbound).toEqual([
      { deviceId: TABLET, reason: 'revoked_device', events: 1 },
      { deviceId: 'listed-by-the-server', reason: 'unsigned_device', events: 1 },
      { deviceId: annexe, reason: 'other_site', events: 1 },
      { deviceId: annexe, reason: 'not_her_device', events: 1 },
    ]);
  });
});
