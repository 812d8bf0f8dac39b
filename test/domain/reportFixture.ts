/**
 * A hand-computed history for the report tests: two financial years at two sites, touching every
 * counting rule of docs/counting.md. The expected figures in report.test.ts are worked out by hand
 * from the comments here, not by running the code.
 */
import { defaultConfig, type OrgConfig } from '../../src/domain/config.ts';
import { FootfallEvent, type WomanDetails } from '../../src/domain/events.ts';
import { checkIn, contact, correct, merge, newId, session, voidRecord } from './fixtures.ts';

export const CONFIG: OrgConfig = {
  ...defaultConfig({ key: 'north', name: 'North Centre' }),
  sites: [
    { key: 'north', name: 'North Centre', retired: false },
    { key: 'south', name: 'South Centre', retired: false },
  ],
};

const who = { deviceId: 'tablet-1', staffId: 'staff-1' };

export function registered(womanId: string, at: string, details: WomanDetails = {}, knownAs = 'Jo'): FootfallEvent {
  return FootfallEvent.parse({ ...who, id: newId(), at, type: 'woman.registered', womanId, knownAs, details });
}
export function updated(womanId: string, at: string, details: WomanDetails, knownAs?: string): FootfallEvent {
  return FootfallEvent.parse({ ...who, id: newId(), at, type: 'woman.updated', womanId, details, ...(knownAs ? { knownAs } : {}) });
}
export function erased(womanId: string, at: string): FootfallEvent {
  return FootfallEvent.parse({ ...who, id: newId(), at, type: 'woman.erased', womanId });
}

export const A = newId();
export const B = newId();
export const C = newId();
/** Turns out to be A: merged into her. */
export const D = newId();
/** Seen only last year. */
export const E = newId();
/** Met by outreach only (her one visit was voided), then erased from the directory. */
export const F = newId();

const c7 = newId();
const c8 = newId();
const c12 = newId();

export const HISTORY: FootfallEvent[] = [
  registered(A, '2024-05-01T09:00:00Z', { ageBand: '18-24', nationality: 'uk', exploitation: ['trafficking', 'street-sex-work'] }),
  registered(B, '2025-03-31T22:00:00Z', { ageBand: 'not-known', ethnicity: 'prefers-not-to-say' }),
  registered(C, '2025-08-05T09:00:00Z'),
  registered(D, '2025-07-01T14:00:00Z', { ageBand: '25-34', housing: 'hostel' }),
  registered(E, '2024-06-10T09:00:00Z', { ageBand: '25-34' }),
  updated(E, '2024-06-11T09:00:00Z', { ageBand: '35-44' }),
  registered(F, '2025-09-01T09:00:00Z', { ageBand: '25-34' }),
  merge(D, A, '2025-07-02T09:00:00Z'),
  erased(F, '2026-02-01T09:00:00Z'),

  // 2024/25
  checkIn({ occurredAt: '2024-05-01T10:00:00Z', woman: A, services: ['meal'] }), // p1: A's first record ever
  checkIn({ occurredAt: '2024-06-10T10:00:00Z', woman: E, services: ['meal', 'shower'] }), // p2
  checkIn({ occurredAt: '2025-03-31T22:30:00Z', woman: B, services: ['meal'] }), // p3: 23:30 BST on 31 March

  // 2025/26
  checkIn({ occurredAt: '2025-03-31T23:30:00Z', woman: A, services: ['shower'] }), // c1: 00:30 BST on 1 April
  checkIn({ occurredAt: '2025-06-01T10:00:00Z', woman: B, services: ['meal', 'advice'] }), // c2
  checkIn({ occurredAt: '2025-07-01T09:00:00Z', woman: A, services: ['shower'] }), // c3
  checkIn({ occurredAt: '2025-07-01T15:00:00Z', woman: D, services: ['meal'] }), // c4: same visit as c3 after the merge
  checkIn({ occurredAt: '2025-10-26T00:30:00Z', woman: C, services: ['meal'] }), // c5: 01:30 BST, clocks go back
  checkIn({ occurredAt: '2025-10-26T01:30:00Z', woman: C, services: ['shower'] }), // c6: 01:30 GMT, same visit
  checkIn({ id: c7, occurredAt: '2025-08-05T10:00:00Z', woman: C, services: ['laundry'] }), // c7: C's first record
  correct(c7, { siteId: 'south' }, '2025-08-05T11:00:00Z'), // ... moved to South
  checkIn({ id: c8, occurredAt: '2026-04-02T10:00:00Z', woman: B, services: ['clothes'] }), // c8: entered with the wrong date
  correct(c8, { occurredAt: '2026-03-30T10:00:00Z' }, '2026-04-02T11:00:00Z'), // ... back into 2025/26
  checkIn({ occurredAt: '2026-03-29T00:59:00Z', site: 'north', services: ['meal'] }), // c9: anonymous, 00:59 GMT
  checkIn({ occurredAt: '2026-03-29T01:00:00Z', site: 'north', services: ['meal'] }), // c10: anonymous, 02:00 BST
  checkIn({ occurredAt: '2026-03-28T23:30:00Z', site: 'south' }), // c11: anonymous, 23:30 GMT on 28 March
  checkIn({ id: c12, occurredAt: '2025-09-10T10:00:00Z', woman: F, services: ['meal'] }), // c12
  voidRecord(c12, '2025-09-10T10:05:00Z'), // ... voided: counts nowhere
  contact({ occurredAt: '2025-09-01T10:00:00Z', woman: F, area: 'camden', referrals: ['gp'] }), // o1: F's first record
  contact({ occurredAt: '2025-09-02T10:00:00Z', area: 'westminster', referrals: ['gp', 'police'] }), // o2: unknown woman
  session({ occurredAt: '2025-11-01T10:00:00Z', woman: C, topics: ['housing'], referrals: ['housing-options'] }), // w1
  FootfallEvent.parse({
    ...who,
    id: newId(),
    at: '2026-01-15T10:00:00Z',
    type: 'casework.session',
    occurredAt: '2026-01-15T10:00:00Z',
    womanId: B,
    topics: ['benefits'],
    referrals: [],
  }), // w2: imported, no outcome
];

/**
 * A second hand-computed history, for what outreach contacts and casework sessions record
 * (docs/counting.md#needs-and-support): 2025/26 beside 2024/25, whose one record is last year's o0.
 * Expected figures in reportEverything.test.ts are worked out from the comments here.
 */
export const ANA = newId();
export const BEA = newId();
export const CAT = newId();
/** Turns out to be Ana: merged into her. */
export const DEE = newId();

const o6 = newId();
const o8 = newId();

export const TERMS_HISTORY: FootfallEvent[] = [
  registered(ANA, '2024-09-01T09:00:00Z'),
  registered(BEA, '2025-04-01T09:00:00Z'),
  registered(CAT, '2025-04-01T09:00:00Z'),
  registered(DEE, '2025-04-01T09:00:00Z'),
  merge(DEE, ANA, '2025-12-01T09:00:00Z'),

  // 2024/25: the first record held.
  contact({ occurredAt: '2024-10-01T10:00:00Z', woman: ANA, area: 'camden', place: 'street', needs: ['housing'], support: ['food'] }), // o0

  // 2025/26, outreach. Ana raises housing at three contacts (one as Dee): three contacts, one woman.
  contact({ occurredAt: '2025-05-01T10:00:00Z', woman: ANA, area: 'camden', place: 'street', needs: ['housing', 'food'], support: ['food'] }), // o1
  contact({ occurredAt: '2025-06-01T10:00:00Z', woman: ANA, area: 'camden', place: 'hostel', needs: ['housing'] }), // o2: no support
  contact({ occurredAt: '2025-07-01T10:00:00Z', woman: DEE, area: 'hackney', place: 'street', needs: ['housing', 'safety'], support: ['advice'] }), // o3
  contact({ occurredAt: '2025-08-01T10:00:00Z', woman: BEA, area: 'hackney', place: 'street' }), // o4: no needs, no support
  // o5: an unknown woman, with a need no longer configured ("dental").
  contact({ occurredAt: '2025-09-01T10:00:00Z', area: 'westminster', place: 'phone', needs: ['health', 'dental'], support: ['signposting'] }),
  contact({ id: o6, occurredAt: '2025-10-01T10:00:00Z', woman: BEA, area: 'camden', place: 'street', needs: ['hygiene'], support: ['food'] }), // o6
  correct(o6, { needs: ['food'] }, '2025-10-01T11:00:00Z'), // ... she raised food, not hygiene
  contact({ occurredAt: '2025-11-01T10:00:00Z', woman: CAT, area: 'camden', place: 'hospital', support: ['hygiene-kit'] }), // o7: no needs
  contact({ id: o8, occurredAt: '2025-11-02T10:00:00Z', woman: CAT, area: 'hackney', place: 'street', needs: ['housing'] }), // o8
  voidRecord(o8, '2025-11-02T11:00:00Z'), // ... entered twice: counts nowhere

  // 2025/26, casework.
  session({ occurredAt: '2025-05-10T10:00:00Z', woman: ANA, topics: ['housing', 'benefits'], outcome: 'advice-given' }), // s1
  session({ occurredAt: '2025-06-10T10:00:00Z', woman: DEE, topics: ['housing'], outcome: 'referral-made' }), // s2
  session({ occurredAt: '2025-07-10T10:00:00Z', woman: BEA, topics: ['safety'], outcome: 'resolved' }), // s3
  FootfallEvent.parse({
    ...who,
    id: newId(),
    at: '2025-08-10T10:00:00Z',
    type: 'casework.session',
    occurredAt: '2025-08-10T10:00:00Z',
    womanId: BEA,
    topics: ['housing'],
    referrals: [],
  }), // s4: imported, no outcome
  session({ occurredAt: '2025-09-10T10:00:00Z', woman: CAT, topics: ['benefits'], outcome: 'closed' }), // s5: an outcome no longer configured
];
