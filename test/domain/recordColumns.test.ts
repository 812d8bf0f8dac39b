/**
 * Records as columns (src/domain/recordColumns.ts): day numbers in the order of the dates they
 * stand for, and columns built on others counting exactly as those built at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countRecords, countTerms, resolveRecords, type ResolvedRecord } from '../../src/domain/counting.ts';
import { columnsOf, dateOfDay, dayNumber, monthNumber, recordDay, UNDATED } from '../../src/domain/recordColumns.ts';
import { formatLocalDate } from '../../src/domain/time.ts';
import { CONFIG, HISTORY, TERMS_HISTORY } from './reportFixture.ts';

const DAY_MS = 86_400_000;
/** Every day parseLocalDate reads: 0100-01-01 to 9999-12-31. */
const day = fc.integer({ min: Date.UTC(100, 0, 1) / DAY_MS, max: Date.UTC(9999, 11, 31) / DAY_MS });
const dateOf = (d: number) => {
  const at = new Date(d * DAY_MS);
  return formatLocalDate(at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate());
};
const WHOLE_TIME = { from: '2000-01-01', to: '2099-12-31' };

describe('day numbers', () => {
  it('are the days since 1970-01-01, both ways, with the month of each', () => {
    fc.assert(
      fc.property(day, (d) => {
        const date = dateOf(d);
        expect(dayNumber(date)).toBe(d);
        expect(dateOfDay(d)).toBe(date);
        expect(monthNumber(d)).toBe(Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1);
      }),
      { numRuns: 2000 },
    );
    for (const date of ['1970-01-01', '2000-02-29', '2024-02-29', '2025-03-30', '2025-10-26', '9999-12-31', '0100-01-01']) {
      expect(dateOfDay(dayNumber(date))).toBe(date);
    }
  });

  it('sort as their dates do', () => {
    fc.assert(
      fc.property(day, day, (a, b) => {
        expect(dayNumber(dateOf(a)) < dayNumber(dateOf(b))).toBe(dateOf(a) < dateOf(b));
      }),
    );
  });

  it('leave a record with no date YYYY-MM-DD undated, and no range counts it', () => {
    expect(['not a date', '2024-02-30', '2024-3-1', '50-03-01'].map(recordDay)).toEqual([UNDATED, UNDATED, UNDATED, UNDATED]);
    const records = resolveRecords(HISTORY, CONFIG);
    const first = records.find((r) => r.kind === 'visit' && r.womanId !== null) as ResolvedRecord;
    const undated = { ...first, id: 'undated', date: '50-03-01' } as ResolvedRecord;
    expect(countRecords([...records, undated], WHOLE_TIME)).toEqual(countRecords(records, WHOLE_TIME));
  });
});

describe('columns built on others', () => {
  it('count exactly as the same records in columns built at once, wherever they were split', () => {
    const records = [...resolveRecords(HISTORY, CONFIG), ...resolveRecords(TERMS_HISTORY, CONFIG)];
    const ranges = [WHOLE_TIME, { from: '2025-04-01', to: '2026-03-31' }, { from: '2025-05-01', to: '2025-05-31' }];
    for (let at = 0; at <= records.length; at++) {
      const built = columnsOf(records.slice(at), columnsOf(records.slice(0, at)));
      expect(built.size).toBe(records.length);
      for (const range of ranges) {
        expect(countRecords(built, range)).toEqual(countRecords(records, range));
        expect(countTerms(built, range)).toEqual(countTerms(records, range));
      }
    }
  });
});
