/**
 * Filling batches: events in their order, each part within its bound, one encoding per event,
 * and an event that could never fit refused by name rather than sent to be refused.
 */
import { describe, expect, it } from 'vitest';
import { fillBatches, listBytes, packEvent, PART_BUCKET, partBound } from '../../src/app/core/batchFill.ts';
import { isDirectoryEvent } from '../../src/app/core/batchSealing.ts';
import { ClientError } from '../../src/app/problems.ts';
import { paddedSize } from '../../src/crypto/envelope.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';

const deviceId = crypto.randomUUID();
const staffId = crypto.randomUUID();

function checkIn(i: number, note = ''): FootfallEvent {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return { id: crypto.randomUUID(), at, deviceId, staffId, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId: `main${note}`, services: ['meal'] };
}

function registration(i: number): FootfallEvent {
  const id = crypto.randomUUID();
  return { id, at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), deviceId, staffId, type: 'woman.registered', womanId: id, knownAs: `Name ${i}`, details: {} };
}

const partJson = (batch: ReturnType<typeof packEvent>[], directory: boolean) =>
  listBytes(batch.filter((p) => isDirectoryEvent(p.event) === directory).map((p) => p.bytes));

describe('filling batches', () => {
  it('writes an encoded list as JSON.stringify would', () => {
    const events = [checkIn(1), registration(2), checkIn(3, 'é ✓')];
    expect(new TextDecoder().decode(listBytes(events.map((e) => packEvent(e).bytes)))).toBe(JSON.stringify(events));
    expect(new TextDecoder().decode(listBytes([]))).toBe('[]');
  });

  it('keeps the events in order and each part within its bound', () => {
    const events = Array.from({ length: 3000 }, (_, i) => (i % 20 === 0 ? registration(i) : checkIn(i))).map(packEvent);
    const bound = 64 * 1024;
    const batches = fillBatches(events, bound, isDirectoryEvent);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat().map((p) => p.event.id)).toEqual(events.map((p) => p.event.id));
    for (const batch of batches) {
      expect(partJson(batch, false).byteLength).toBeLessThanOrEqual(bound);
      expect(partJson(batch, true).byteLength).toBeLessThanOrEqual(bound);
    }
    // Every batch but the last is full: one more event would not have fitted.
    for (const [i, batch] of batches.slice(0, -1).entries()) {
      const next = batches[i + 1]![0]!;
      expect(partJson([...batch, next], isDirectoryEvent(next.event)).byteLength).toBeGreaterThan(bound);
    }
  });

  it('puts everything in one batch when it fits', () => {
    const events = [checkIn(1), registration(2)].map(packEvent);
    expect(fillBatches(events, partBound(false), isDirectoryEvent)).toEqual([events]);
    expect(fillBatches([], partBound(false), isDirectoryEvent)).toEqual([]);
  });

  it('fills a part to the padding bucket and no further, signed or not', () => {
    expect(paddedSize(partBound(false))).toBe(PART_BUCKET);
    // A signed part is its JSON in base64url inside a JWS: a third larger, and a header.
    expect(paddedSize(Math.ceil((partBound(true) * 4) / 3) + 4096)).toBe(PART_BUCKET);
  });

  it('refuses an event too large for a part of its own', () => {
    const huge = packEvent(checkIn(1, 'x'.repeat(2000)));
    try {
      fillBatches([packEvent(checkIn(0)), huge], 1000, isDirectoryEvent);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).code).toBe('event_too_large');
    }
  });
});
