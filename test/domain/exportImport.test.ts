/**
 * docs/counting.md#records-csv: export the raw records, import them into a new organisation, and every figure of
 * every report is the same. Histories are random and use every kind of event that changes what
 * is counted, and every field a record carries: needs, support and outcomes included.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { buildReport, resolveHistory, type History } from '../../src/domain/report.ts';
import { parseRecordsCsv, recordsCsv } from '../../src/domain/recordsCsv.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import type { Period } from '../../src/domain/periods.ts';
import { addService, checkIn, contact, correct, merge, session, v7Id, voidRecord } from './fixtures.ts';
import { CONFIG } from './reportFixture.ts';

const WOMEN = Array.from({ length: 8 }, (_, i) => v7Id(5000 + i));
const START = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
/** Nights the clocks change, and the turn of the financial year, in London. */
const AWKWARD = ['2024-03-31T00:00:00Z', '2024-10-27T00:00:00Z', '2025-03-30T00:00:00Z', '2025-10-26T00:00:00Z', '2025-03-31T21:00:00Z'].map(Date.parse);

const when = fc.oneof(
  fc.record({ day: fc.integer({ min: 0, max: 900 }), minute: fc.integer({ min: 0, max: 1439 }) }).map(({ day, minute }) => START + day * DAY + minute * 60_000),
  fc.record({ night: fc.constantFrom(...AWKWARD), minute: fc.integer({ min: 0, max: 240 }) }).map(({ night, minute }) => night + minute * 60_000),
);
const woman = fc.integer({ min: 0, max: WOMEN.length - 1 }).map((i) => WOMEN[i]!);
const maybeWoman = fc.option(woman, { freq: 3 });
const keysOf = (list: { key: string }[]) => list.map((t) => t.key);
const services = fc.subarray(keysOf(CONFIG.services));
const referrals = fc.subarray(['gp', 'police', 'housing-options', 'legal-advice']);
const topics = fc.subarray(keysOf(CONFIG.caseworkTopics), { minLength: 1 });
const needs = fc.subarray(keysOf(CONFIG.needs));
const support = fc.subarray(keysOf(CONFIG.support));
/** Null: a session imported from an old spreadsheet, which recorded no outcome. */
const outcome = fc.option(fc.constantFrom(...keysOf(CONFIG.caseworkOutcomes)));
const site = fc.constantFrom('north', 'south');

const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('visit' as const), ms: when, woman: maybeWoman, site, services }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('again' as const), target: fc.nat(), minutes: fc.integer({ min: -600, max: 600 }), services }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('outreach' as const),
      ms: when,
      woman: maybeWoman,
      area: fc.constantFrom('camden', 'hackney'),
      place: fc.constantFrom('street', 'hostel'),
      needs,
      support,
      referrals,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('casework' as const), ms: when, woman, topics, referrals, outcome }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('correct' as const),
      target: fc.nat(),
      change: fc.oneof(
        fc.record({ occurredAt: when.map((ms) => new Date(ms).toISOString()) }),
        fc.record({ siteId: site }),
        fc.record({ services }),
        fc.record({ womanId: maybeWoman }),
        fc.record({ topics }),
        fc.record({ referrals }),
        fc.record({ needs }),
        fc.record({ support }),
        fc.record({ outcome: fc.constantFrom(...keysOf(CONFIG.caseworkOutcomes)) }),
      ),
    }),
  },
  // The same record entered twice: two anonymous check-ins in one minute are two visits.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('twice' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addService' as const), target: fc.nat(), service: fc.constantFrom(...keysOf(CONFIG.services)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), from: woman, into: woman }) },
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** The history the operations describe; later changes are stamped later, as on a device. */
function historyOf(ops: Op[]): FootfallEvent[] {
  const events: FootfallEvent[] = [];
  const records: { id: string; ms: number; woman: string | null; site: string; event: FootfallEvent }[] = [];
  let n = 0;
  const id = () => v7Id(10_000 + ++n);
  const later = () => new Date(Date.UTC(2027, 0, 1) + n * 1000).toISOString();
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const o of ops) {
    const target = 'target' in o && records.length > 0 ? records[o.target % records.length]! : null;
    switch (o.kind) {
      case 'visit': {
        const e = checkIn({ id: id(), occurredAt: iso(o.ms), woman: o.woman, site: o.site, services: o.services });
        records.push({ id: e.id, ms: o.ms, woman: o.woman, site: o.site, event: e });
        events.push(e);
        break;
      }
      case 'again': {
        // The same woman (or another anonymous check-in) at the same site, a little earlier or later.
        if (!target) break;
        const ms = target.ms + o.minutes * 60_000;
        const e = checkIn({ id: id(), occurredAt: iso(ms), woman: target.woman, site: target.site, services: o.services });
        records.push({ id: e.id, ms, woman: target.woman, site: target.site, event: e });
        events.push(e);
        break;
      }
      case 'outreach': {
        const e = contact({ id: id(), occurredAt: iso(o.ms), woman: o.woman, area: o.area, place: o.place, needs: o.needs, support: o.support, referrals: o.referrals });
        records.push({ id: e.id, ms: o.ms, woman: o.woman, site: 'north', event: e });
        events.push(e);
        break;
      }
      case 'casework': {
        const { outcome: _, ...withoutOutcome } = session({ id: id(), occurredAt: iso(o.ms), woman: o.woman, topics: o.topics, referrals: o.referrals });
        const e = o.outcome === null ? withoutOutcome : { ...withoutOutcome, outcome: o.outcome };
        records.push({ id: e.id, ms: o.ms, woman: o.woman, site: 'north', event: e });
        events.push(e);
        break;
      }
      case 'twice': {
        if (!target) break;
        const e = { ...target.event, id: id() };
        records.push({ ...target, id: e.id, event: e });
        events.push(e);
        break;
      }
      case 'correct':
        if (target) events.push(correct(target.id, o.change, later(), id()));
        break;
      case 'void':
        if (target) events.push(voidRecord(target.id, later(), id()));
        break;
      case 'addService':
        if (target) events.push(addService(target.id, o.service, later(), id()));
        break;
      case 'merge':
        if (o.from !== o.into) events.push(merge(o.from, o.into, later(), id()));
        break;
    }
  }
  return events;
}

/**
 * The records without their ids (an import makes its own) and instants (the file keeps the local
 * minute, and an hour the clocks repeat is read as its later moment: the date stays), in one order.
 */
function contentOf(history: History): string[] {
  return history.records.map(({ id: _, occurredAt: __, ...record }) => JSON.stringify(record)).sort();
}

const PERIODS: Period[] = [
  { kind: 'financialYear', startYear: 2024 },
  { kind: 'financialYear', startYear: 2025 },
  { kind: 'calendarYear', year: 2025 },
  { kind: 'quarter', year: 2025, quarter: 2 },
  { kind: 'month', year: 2025, month: 10 },
  { kind: 'custom', from: '2025-03-29', to: '2025-04-01' },
];

describe('export, then import into a new organisation', () => {
  it('reproduces every figure of every report, and gives the same ids each time', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.constantFrom('Europe/London', 'Asia/Kolkata', 'America/Sao_Paulo'), (ops, timeZone) => {
        const config = { ...CONFIG, timeZone };
        const original = resolveHistory(historyOf(ops), config);
        const text = recordsCsv(original, null);
        const into = { config, directory: new Map(), deviceId: 'new-laptop', staffId: 'new-admin' };
        const imported = parseRecordsCsv(text, into);
        if (!imported.ok) throw new Error(JSON.stringify(imported.errors));
        expect(imported.counts.records).toBe(original.records.length);

        const copy = resolveHistory(imported.events, config);
        // Every field of every record, so also what no figure counts yet.
        expect(contentOf(copy)).toEqual(contentOf(original));
        for (const period of PERIODS) expect(buildReport(copy, config, period)).toEqual(buildReport(original, config, period));

        const again = parseRecordsCsv(text, into);
        expect(again.ok && again.events.map((e) => e.id)).toEqual(imported.events.map((e) => e.id));
      }),
      { numRuns: 150 },
    );
  });
});
