/**
 * The forms of a chunk row of the reports' archive (src/app/admin/archive/chunkCodec.ts): the
 * compact one written now gives back exactly the events written, the previous one is still read,
 * and a row that does not decode is refused rather than guessed at.
 */
import { describe, expect, it } from 'vitest';
import { decodeChunk, decodeSealedChunk, encodeChunk, upgradeChunk, type ChunkV2 } from '../../src/app/admin/archive/chunkCodec.ts';
import { ADMIN_SEAL, keySeal, unsignedSeal } from '../../src/domain/partSeals.ts';
import { FootfallEvent } from '../../src/domain/events.ts';
import { syntheticHistory } from '../../bench/lib/history.ts';

const DEVICE = '0190f0a0-0000-7000-8000-000000000001';
const STAFF = '0190f0a0-0000-7000-8000-000000000002';
/** Every kind of event the reports count, checked as the archive checks them before they are written. */
const events = FootfallEvent.array().parse(syntheticHistory(3_000, DEVICE, STAFF));
/** Through JSON, as a sealed row is stored and opened. */
const stored = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('a chunk row', () => {
  it('gives back exactly the events written, through JSON, in order', () => {
    expect(new Set(events.map((e) => e.type)).size).toBeGreaterThan(6);
    expect(decodeChunk(stored(encodeChunk(events)))).toEqual(stored(events));
  });

  it('keeps how each event’s part was sealed, and reads rows written without it as not known', () => {
    const few = events.slice(0, 4);
    const seals = [ADMIN_SEAL, keySeal({ kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43) }), unsignedSeal(null), null];
    expect(decodeSealedChunk(stored(encodeChunk(few, seals)))).toEqual({ events: stored(few), seals });
    expect(decodeSealedChunk(stored(encodeChunk(few)))).toEqual({ events: stored(few), seals: [] });
    // One seal short, or an index past the strings: refused, not guessed at.
    const short = { ...(stored(encodeChunk(few, seals)) as ChunkV2), seals: [0, 0, 0] };
    expect(decodeSealedChunk(short)).toBeNull();
    expect(decodeSealedChunk({ ...short, seals: [0, 0, 0, 1e9] })).toBeNull();
  });

  it('is about a third of the previous form', () => {
    const compact = JSON.stringify(encodeChunk(events)).length;
    const old = JSON.stringify({ v: 1, events }).length;
    expect(compact).toBeLessThan(old / 2.5);
  });

  it('keeps what JSON keeps: a missing or undefined field stays out, null and false stay', () => {
    const visit = events.find((e) => e.type === 'visit.checkedIn')!;
    const odd = [{ ...visit, womanId: null }, { ...visit, extra: undefined }, { ...visit, flag: false, n: 0, nested: { a: [1, 'b'] } }] as unknown as FootfallEvent[];
    expect(decodeChunk(stored(encodeChunk(odd)))).toEqual(stored(odd));
    expect(Object.keys(decodeChunk(stored(encodeChunk(odd)))![1]!)).not.toContain('extra');
  });

  it('is read in the previous form, and rewritten compact', () => {
    const old = stored({ v: 1, events });
    expect(decodeChunk(old)).toEqual(stored(events));
    const upgraded = upgradeChunk(decodeSealedChunk(old)!);
    expect(upgraded?.v).toBe(2);
    expect(decodeChunk(stored(upgraded))).toEqual(stored(events));
    expect(upgradeChunk(decodeSealedChunk(stored(encodeChunk(events)))!)).toBeNull();
  });

  it('shares nested values between events, frozen so no event can change another', () => {
    const decoded = decodeChunk(stored(encodeChunk(events)))!;
    const withServices = decoded.filter((e) => e.type === 'visit.checkedIn' && e.services.length === 0) as { services: string[] }[];
    expect(withServices.length).toBeGreaterThan(1);
    expect(withServices[0]!.services).toBe(withServices[1]!.services);
    expect(() => withServices[0]!.services.push('meal')).toThrow(TypeError);
  });

  it('is refused when it is not a chunk, or does not decode', () => {
    const good = stored(encodeChunk(events.slice(0, 10))) as ChunkV2;
    const damaged: unknown[] = [
      null,
      { v: 3, events: [] },
      { ...good, cells: good.cells.slice(0, -1) },
      { ...good, cells: [...good.cells, good.shapes.length] },
      { ...good, cells: [-1, ...good.cells.slice(1)] },
      { ...good, strings: good.strings.map(() => 7) },
      { ...good, shapes: [['?id']] },
      { ...good, values: 'not a list' },
    ];
    for (const value of damaged) expect(decodeChunk(value)).toBeNull();
  });
});
