import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';
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
function visit(staffId: string, at: string, deviceId = TABLET): FootfallEvent {
  return { id: uuidv7(), at, deviceId, staffId, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId: 'drop-in', services: ['meal'] } satisfies EventOf<'visit.checkedIn'>;
}

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
    const byOluBefore = visit(olu, '2026-01-20T09:00:00.000Z');
    const byOluAfter = visit(olu, '2026-02-02T09:00:00.000Z');
    const byNobody = visit(uuidv7(), '2026-01-05T09:00:00.000Z');
    // A rogue outreach phone uploads a visit in the name of Anna, who works the front desk.
    const forged = visit(anna, '2026-01-06T09:00:00.000Z', 'phone');
    const devices = new Map([[TABLET, 'frontDesk' as const], ['phone', 'outreach' as const]]);
    const { accepted, unbound } = bindToPeople([...history, before, byAnna, byOluBefore, byOluAfter, byNobody, forged], devices);
    expect(accepted).toEqual([...history, byAnna, byOluBefore]);
    expect(unbound).toEqual([
      { deviceId: TABLET, reason: 'unknown_person', events: 2 },
      { deviceId: TABLET, reason: 'removed_person', events: 1 },
      { deviceId: 'phone', reason: 'not_her_device', events: 1 },
    ]);
  });

  it('binds nothing for an organisation that keeps no people yet', () => {
    const events = [visit(uuidv7(), '2026-01-05T09:00:00.000Z')];
    expect(bindToPeople(events)).toEqual({ accepted: events, unbound: [] });
  });
});
