/**
 * The compact form of a resolved history (src/domain/historyCodec.ts): decoding gives back exactly
 * what was encoded, so every report built from it is the same, and it is several times smaller
 * than the events it was resolved from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type OrgConfig } from '../../src/domain/config.ts';
import { FootfallEvent, type WomanDetails } from '../../src/domain/events.ts';
import { decodeHistory, encodeHistory, type EncodedHistory } from '../../src/domain/historyCodec.ts';
import type { Period } from '../../src/domain/periods.ts';
import type { ResolvedRecord } from '../../src/domain/counting.ts';
import { columnsOf } from '../../src/domain/recordColumns.ts';
import { buildReport, historyOf, resolveHistory, type History } from '../../src/domain/report.ts';
import type { WomanProfile } from '../../src/domain/women.ts';
import { v7Id } from './fixtures.ts';
import { CONFIG, TERMS_HISTORY } from './reportFixture.ts';

const BASE = defaultConfig({ key: 'north', name: 'North Centre' });

function historyWith(records: ResolvedRecord[], women: Map<string, WomanProfile>): History {
  return historyOf(() => records, () => columnsOf(records), women, BASE);
}
const WOMEN = [1, 2, 3, 4, 5, 6].map((n) => v7Id(1_000_000 + n));
const SITES = ['north', 'south', 'old-site'];
const SERVICES = ['meal', 'shower', 'laundry', 'advice', 'haircut'];
const KEYS = ['a', 'b', 'not-known', 'prefers-not-to-say', 'housing', 'gp'];
const ZONES = ['Europe/London', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham', 'UTC'];
const EARLIEST = Date.UTC(2022, 0, 1);
const LATEST = Date.UTC(2027, 0, 1);

/** Mostly as the app writes instants; sometimes without milliseconds, as another writer might. */
const instant = fc
  .tuple(fc.integer({ min: EARLIEST, max: LATEST }), fc.boolean())
  .map(([ms, short]) => (short ? `${new Date(ms).toISOString().slice(0, 19)}Z` : new Date(ms).toISOString()));
const woman = fc.option(fc.constantFrom(...WOMEN), { freq: 3, nil: null });
const keys = fc.subarray(KEYS);
const details: fc.Arbitrary<WomanDetails> = fc.record(
  {
    ageBand: fc.constantFrom(...KEYS),
    nationality: fc.constantFrom(...KEYS),
    housing: fc.constantFrom(...KEYS),
    exploitation: fc.array(fc.constantFrom(...KEYS), { maxLength: 3 }),
    referralSource: fc.constantFrom(...KEYS),
  },
  { requiredKeys: [] },
);
const knownAs = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `Jo ${s.replace(/[\n\r\t]/g, '')}`.trim());

/** One event as a command: records refer to earlier ones by position, women by a small fixed set. */
const command = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('visit.checkedIn' as const), occurredAt: instant, womanId: woman, siteId: fc.constantFrom(...SITES), services: fc.array(fc.constantFrom(...SERVICES), { maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('outreach.contacted' as const), occurredAt: instant, womanId: woman, area: fc.constantFrom('camden', 'hackney'), place: fc.constantFrom('street', 'hostel'), needs: keys, support: keys, referrals: keys }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('casework.session' as const), occurredAt: instant, womanId: fc.constantFrom(...WOMEN), topics: fc.subarray(KEYS, { minLength: 1 }), referrals: keys, outcome: fc.constantFrom('advice-given', 'referred') }, { requiredKeys: ['type', 'occurredAt', 'womanId', 'topics', 'referrals'] }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('visit.serviceAdded' as const), target: fc.nat(), service: fc.constantFrom(...SERVICES) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('visit.serviceRemoved' as const), target: fc.nat(), service: fc.constantFrom(...SERVICES) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('record.corrected' as const),
      target: fc.nat(),
      changes: fc
        .record({ occurredAt: instant, womanId: woman, siteId: fc.constantFrom(...SITES), services: fc.array(fc.constantFrom(...SERVICES), { maxLength: 3 }), referrals: keys, outcome: fc.constantFrom('advice-given', 'referred') }, { requiredKeys: [] })
        .filter((c) => Object.keys(c).length > 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('record.voided' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('woman.registered' as const), womanId: fc.constantFrom(...WOMEN), knownAs, details }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('woman.updated' as const), womanId: fc.constantFrom(...WOMEN), knownAs: fc.option(knownAs, { nil: undefined }), details }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('woman.merged' as const), womanId: fc.constantFrom(...WOMEN), intoId: fc.constantFrom(...WOMEN) }).filter((m) => m.womanId !== m.intoId) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('woman.erased' as const), womanId: fc.constantFrom(...WOMEN) }) },
);

type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

/** Valid events from commands: every one through the event schema. */
function eventsOf(commands: { command: Command; at: string }[]): FootfallEvent[] {
  const records: string[] = [];
  return commands.map(({ command: c, at }, i) => {
    const id = v7Id(i + 1);
    const common = { id, at, deviceId: 'tablet-1', staffId: 'staff-1' };
    const targetOf = (n: number) => records[n % Math.max(records.length, 1)] ?? v7Id(999_999);
    switch (c.type) {
      case 'visit.checkedIn':
      case 'outreach.contacted':
      case 'casework.session':
        records.push(id);
        return FootfallEvent.parse({ ...common, ...c });
      case 'visit.serviceAdded':
      case 'visit.serviceRemoved':
        return FootfallEvent.parse({ ...common, type: c.type, visitId: targetOf(c.target), service: c.service });
      case 'record.corrected':
        return FootfallEvent.parse({ ...common, type: c.type, targetId: targetOf(c.target), changes: c.changes, reason: 'entered wrongly' });
      case 'record.voided':
        return FootfallEvent.parse({ ...common, type: c.type, targetId: targetOf(c.target), reason: 'entered twice' });
      case 'woman.updated': {
        const { knownAs: name, ...rest } = c;
        return FootfallEvent.parse({ ...common, ...rest, ...(name === undefined ? {} : { knownAs: name }) });
      }
      default:
        return FootfallEvent.parse({ ...common, ...c });
    }
  });
}

const histories = fc
  .record({
    commands: fc.array(fc.record({ command, at: instant }), { maxLength: 80, size: 'max' }),
    timeZone: fc.constantFrom(...ZONES),
  })
  .map(({ commands, timeZone }) => {
    const config: OrgConfig = { ...BASE, timeZone };
    return resolveHistory(eventsOf(commands), config);
  });

const periods: Period[] = [
  { kind: 'financialYear', startYear: 2024 },
  { kind: 'calendarYear', year: 2025 },
  { kind: 'month', year: 2023, month: 3 },
];

/** Through JSON, as it is sealed and stored. */
function stored(history: History): EncodedHistory {
  return JSON.parse(JSON.stringify(encodeHistory(history))) as EncodedHistory;
}

describe('encodeHistory and decodeHistory', () => {
  it('give back exactly the history encoded, so every report is the same', () => {
    fc.assert(
      fc.property(histories, (history) => {
        const decoded = decodeHistory(stored(history), history.config);
        expect(decoded).toEqual(history);
        // Exactly: no field gained or lost, null kept as null, every list in its order.
        expect(JSON.stringify(decoded.records)).toBe(JSON.stringify(history.records));
        expect(JSON.stringify([...decoded.women])).toBe(JSON.stringify([...history.women]));
        for (const period of periods) expect(buildReport(decoded, history.config, period)).toEqual(buildReport(history, history.config, period));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps what a number would not give back as it was: instants without milliseconds, imported sessions without an outcome', () => {
    const events = [
      FootfallEvent.parse({ id: v7Id(1), at: '2025-05-01T09:00:00Z', deviceId: 'd', staffId: 's', type: 'woman.registered', womanId: WOMEN[0], knownAs: 'Ana', details: { exploitation: ['a', 'b'] } }),
      FootfallEvent.parse({ id: v7Id(2), at: '2025-05-01T09:00:00Z', deviceId: 'd', staffId: 's', type: 'woman.registered', womanId: WOMEN[1], knownAs: 'Bea', details: { exploitation: ['a', 'b'] } }),
      FootfallEvent.parse({ id: v7Id(3), at: '2025-05-01T10:00:00Z', deviceId: 'd', staffId: 's', type: 'casework.session', occurredAt: '2025-05-01T10:00:00Z', womanId: WOMEN[0], topics: ['housing'], referrals: [] }),
    ];
    const history = resolveHistory(events, BASE);
    const decoded = decodeHistory(stored(history), BASE);
    expect(decoded.records).toEqual([expect.objectContaining({ occurredAt: '2025-05-01T10:00:00Z', outcome: null })]);
    expect(decoded.women.get(WOMEN[0]!)?.registeredAt).toBe('2025-05-01T09:00:00Z');
    // The two women had the same details: each has her own copy, as resolving gives.
    const [ana, bea] = [decoded.women.get(WOMEN[0]!)!, decoded.women.get(WOMEN[1]!)!];
    expect(ana.details).toEqual(bea.details);
    expect(ana.details).not.toBe(bea.details);
    expect(ana.details.exploitation).not.toBe(bea.details.exploitation);
  });

  it('keeps what contacts and sessions recorded: place, needs, support, topics and outcome, none included', () => {
    const history = resolveHistory(TERMS_HISTORY, CONFIG);
    const decoded = decodeHistory(stored(history), CONFIG);
    const recorded = (h: History) =>
      h.records.map((r) =>
        r.kind === 'outreach' ? [r.area, r.place, r.needs, r.support] : r.kind === 'casework' ? [r.topics, r.outcome] : [],
      );
    expect(recorded(decoded)).toEqual(recorded(history));
    expect(recorded(decoded)).toContainEqual([['housing'], null]); // the imported session
    expect(recorded(decoded)).toContainEqual(['hackney', 'street', [], []]);
    const period: Period = { kind: 'financialYear', startYear: 2025 };
    expect(buildReport(decoded, CONFIG, period).termFigures).toEqual(buildReport(history, CONFIG, period).termFigures);
  });

  it('shares each list between the records that have it, frozen, so that no record can change another', () => {
    const events = [1, 2].map((n) =>
      FootfallEvent.parse({ id: v7Id(n), at: '2025-05-01T09:00:00.000Z', deviceId: 'd', staffId: 's', type: 'visit.checkedIn', occurredAt: '2025-05-01T09:00:00.000Z', womanId: null, siteId: 'north', services: ['meal'] }),
    );
    const [first, second] = decodeHistory(stored(resolveHistory(events, BASE)), BASE).records;
    if (first?.kind !== 'visit' || second?.kind !== 'visit') throw new Error('expected two visits');
    expect(first.services).toBe(second.services);
    expect(Object.isFrozen(first.services)).toBe(true);
    expect(() => first.services.push('shower')).toThrow(TypeError);
  });

  it('gives back instants and dates that are not written as their numbers would be, exactly', () => {
    const odd = ['2024-02-30T10:00:00.000Z', '2024-03-01T24:00:00.000Z', '2024-03-01T10:60:00.000Z', '+012024-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', 'not an instant', '2024-03-01T10:00:00.000Z'];
    const dates = ['2024-02-30', '0099-01-01', 'not a date', '1969-12-31', '2024-03-01', '2024-3-1', '2024-03-01'];
    const history = historyWith(
      odd.map((occurredAt, i) => ({ kind: 'visit', id: `visit-${i}`, womanId: null, siteId: 'north', occurredAt, date: dates[i]!, services: [] })),
      new Map([['w', { id: 'w', knownAs: 'Jo', details: {}, registeredAt: '2024-02-30T10:00:00Z' }]]),
    );
    const encoded = stored(history);
    expect(encoded.records.occurredAt.text.map(([i]) => i)).toEqual([0, 1, 2, 3, 5]);
    expect(encoded.records.dateText.map(([i]) => i)).toEqual([0, 1, 2, 5]);
    expect(decodeHistory(encoded, BASE)).toEqual(history);
  });

  it('writes every instant back exactly as toISOString does, from the year 0000 to 9999, leap days and the last millisecond of a day included', () => {
    const ms = fc.oneof(
      fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }),
      fc.constantFrom(-62_167_219_200_000, -1, 0, 951_782_399_999, 951_782_400_000, 1_709_251_199_999, 253_402_300_799_999),
    );
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 40 }), (instants) => {
        const history = historyWith(
          instants.map((at, i) => ({ kind: 'visit', id: `visit-${i}`, womanId: null, siteId: 'north', occurredAt: new Date(at).toISOString(), date: '2024-03-01', services: [] })),
          new Map(),
        );
        const encoded = stored(history);
        expect(encoded.records.occurredAt.text).toEqual([]); // each went as its number, and came back built from it
        expect(decodeHistory(encoded, BASE).records.map((r) => r.occurredAt)).toEqual(history.records.map((r) => r.occurredAt));
      }),
      { numRuns: 300 },
    );
  });

  it('takes the configuration given, and refuses one in another time zone', () => {
    const history = resolveHistory([], BASE);
    const renamed: OrgConfig = { ...BASE, sites: [{ key: 'north', name: 'The North Centre', retired: false }] };
    expect(decodeHistory(stored(history), renamed).config).toBe(renamed);
    expect(() => decodeHistory(stored(history), { ...BASE, timeZone: 'America/New_York' })).toThrow(
      'the history was dated in Europe/London, not America/New_York',
    );
  });

  it('refuses what is not a resolved history of this version, or does not hold together', () => {
    const events = [
      FootfallEvent.parse({ id: v7Id(1), at: '2025-05-01T09:00:00.000Z', deviceId: 'd', staffId: 's', type: 'visit.checkedIn', occurredAt: '2025-05-01T09:00:00.000Z', womanId: WOMEN[0], siteId: 'north', services: ['meal'] }),
    ];
    const good = stored(resolveHistory(events, BASE));
    expect(() => decodeHistory({ ...good, v: 2 } as unknown as EncodedHistory, BASE)).toThrow('not a resolved history of this version');
    expect(() => decodeHistory(null as unknown as EncodedHistory, BASE)).toThrow('not a resolved history of this version');
    expect(() => decodeHistory({ ...good, records: { ...good.records, id: [] } }, BASE)).toThrow('columns of different lengths');
    expect(() => decodeHistory({ ...good, strings: [] }, BASE)).toThrow('refers to a string it does not hold');
    expect(() => decodeHistory({ ...good, records: { ...good.records, services: [] } }, BASE)).toThrow('refers to a list it does not hold');
    expect(() => decodeHistory({ ...good, records: { ...good.records, kind: [7] } }, BASE)).toThrow('a record of an unknown kind');
    // Numbers the columns would keep as something else, or the records could not be made from later.
    const damaged = (change: (records: EncodedHistory['records']) => void) => {
      const records = structuredClone(good.records);
      change(records);
      return () => decodeHistory({ ...good, records }, BASE);
    };
    expect(damaged((r) => (r.site[0] = 0.5))).toThrow('refers to a string it does not hold');
    expect(damaged((r) => (r.woman[0] = 1.5))).toThrow('refers to a string it does not hold');
    expect(damaged((r) => (r.day[0] = 2 ** 32 + (r.day[0] as number)))).toThrow('a date that is not one');
    expect(damaged((r) => (r.day[0] = null as unknown as number))).toThrow('a date that is not one');
    expect(damaged((r) => (r.occurredAt.delta[0] = [5] as unknown as number))).toThrow('an instant that is not one');
    expect(() => decodeHistory({ ...good, strings: [...good.strings, good.strings[0]!] }, BASE)).toThrow('holds a string twice');
    expect(() => decodeHistory({ ...good, strings: [...good.strings, 7 as unknown as string] }, BASE)).toThrow('something other than text');
  });

  it('is several times smaller than the events it was resolved from', () => {
    const events = dropInYear();
    const history = resolveHistory(events, BASE);
    expect(history.records.length).toBeGreaterThan(3_000);
    const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;
    expect(bytes(encodeHistory(history)) * 4).toBeLessThan(bytes(events));
  });
});

/** A year of a small drop-in, the same every run: 300 women, 4,000 events, mostly visits with services. */
function dropInYear(): FootfallEvent[] {
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const women: string[] = [];
  const start = Date.UTC(2024, 3, 1, 9);
  return Array.from({ length: 4_000 }, (_, i) => {
    const at = new Date(start + i * 7_000_000 + Math.floor(random() * 3_600_000)).toISOString();
    const common = { id: v7Id(i + 1), at, deviceId: 'tablet-1', staffId: 'staff-1' };
    const roll = random();
    if (women.length < 300 && (roll < 0.1 || women.length === 0)) {
      women.push(common.id);
      const details = { ageBand: pick(['18-24', '25-34', '35-44']), housing: pick(['rough-sleeping', 'hostel', 'not-known']) };
      return FootfallEvent.parse({ ...common, type: 'woman.registered', womanId: common.id, knownAs: `Woman ${women.length}`, details });
    }
    const womanId = random() < 0.85 ? pick(women) : null;
    if (roll < 0.85) {
      const services = SERVICES.filter(() => random() < 0.35);
      return FootfallEvent.parse({ ...common, type: 'visit.checkedIn', occurredAt: at, womanId, siteId: pick(SITES), services });
    }
    return FootfallEvent.parse({ ...common, type: 'outreach.contacted', occurredAt: at, womanId, area: pick(['camden', 'hackney']), place: 'street', needs: [], support: ['food'], referrals: [] });
  });
}
