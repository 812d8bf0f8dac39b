/**
 * After the server acknowledges, a device keeps only what its job needs (docs/security.md#holding-little): today's
 * visits and the directory. Nothing the server does not yet hold is ever let go.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkIn, pruneSynced, registerWoman } from '../../src/app/session.ts';
import { currentSession, setUpFresh } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('letting go of synced visits', () => {
  it('drops other days’ visits once their events have left the outbox, and keeps the rest', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-06-10T09:00:00Z'));
    const db = await setUpFresh('prune');
    const ana = await registerWoman('Ana', {});
    const synced = await checkIn(ana.id, ['meal']);
    const stillWaiting = await checkIn(null, ['shower']);

    vi.setSystemTime(new Date('2025-06-11T09:00:00Z'));
    const today = await checkIn(ana.id, ['laundry']);
    expect(currentSession().today).toBe('2025-06-11');

    // The server acknowledged everything but yesterday's anonymous visit.
    const waitingIds = new Set((await currentSession().vault.loadVisitsOn('2025-06-10')).items.find((v) => v.id === stillWaiting)!.events.map((e) => e.id));
    await db.events.filter((e) => !waitingIds.has(e.id) && e.id !== today).delete();

    await pruneSynced();
    expect((await db.visits.toArray()).map((v) => v.id).sort()).toEqual([stillWaiting, today].sort());
    expect(await db.women.count()).toBe(1); // the directory stays
    expect(synced).not.toBe(today);

    await db.events.clear();
    await pruneSynced();
    expect((await db.visits.toArray()).map((v) => v.id)).toEqual([today]);
  });
});
