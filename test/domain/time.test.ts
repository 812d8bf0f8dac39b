import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instantMillis, localDateOf, localDateReader } from '../../src/domain/time.ts';

describe('instantMillis', () => {
  it('reads every instant as the Date parser does, toISOString text or not', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const written = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(14), two(33), two(25), two(61), two(61), fc.integer({ min: 0, max: 999 }))
      .map(([y, mo, d, h, mi, s, ms]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, '0')}Z`);
    const iso = fc.date({ min: new Date('1000-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(
      fc.property(fc.oneof(written, iso, fc.string({ maxLength: 26 })), (instant) => {
        expect(instantMillis(instant)).toBe(new Date(instant).getTime());
      }),
      { numRuns: 5000 },
    );
    for (const odd of ['2024-02-30T10:00:00.000Z', '0050-01-01T00:00:00.000Z', '2024-01-01T24:00:00.000Z', '2024-13-01T00:00:00.000Z', '2024-01-01T10:00:00.000+01:00', '2024-01-01T10:00:00Z', '2024-0a-01T00:00:00.000Z']) {
      expect(instantMillis(odd)).toBe(new Date(odd).getTime());
    }
  });

  it('dates instants by the reader as one at a time', () => {
    const read = localDateReader('Europe/London');
    for (const instant of ['2025-03-30T00:59:59.999Z', '2025-03-30T01:00:00.000Z', '2025-10-25T23:00:00.000Z', '2025-10-25T22:59:59.999Z', '2025-10-26T00:30:00Z']) {
      expect(read(instant)).toBe(localDateOf(instant, 'Europe/London'));
    }
    expect(() => read('2025-13-01T00:00:00.000Z')).toThrow(RangeError);
  });
});
