/**
 * After the server acknowledges, a device keeps only what its job needs (docs/security.md#holding-little): today's
 * visits, its own contacts and sessions of the last week, and the directory. Nothing the server
 * does not yet hold is ever let go.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { recordContact } from '../../src/app/shared/recordActions.ts';
import { currentSession, setUpFresh, core, readEvents } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('letting go of synced visits', () => {
  it('drops other days’ visits once their events have left the outbox, and keeps the rest', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-06-10T09:00:00Z'));
    const db = await setUpFresh('prune');
    const ana = await registerWoman(core(), 'Ana', {});
    const synced = await checkIn(core(), ana.id, ['meal']);
    const stillWaiting = await checkIn(core(), null, ['shower']);

    vi.setSystemTime(new Date('2025-06-11T09:00:00Z'));
    const today = await checkIn(core(), ana.id, ['laundry']);
    expect(currentSession().today).toBe('2025-06-11');

    // The server acknowledged everything but yesterday's anonymous visit.
    const waitingIds = new Set((await core().vault.loadVisitsOn('2025-06-10')).items.find((v) => v.id === stillWaiting)!.events.map((e) => e.id));
    const kept = new Set(await Promise.all([...waitingIds, today].map((id) => core().vault.rowKey('events', id))));
    const rows = await db.outbox.toCollection().primaryKeys();
    await db.outbox.bulkDelete(rows.filter((key) => !kept.has(key)));

    await core().pruneSynced();
    const keyOf = (id: string) => core().vault.rowKey('visits', id);
    expect((await db.visits.toArray()).map((v) => v.id).sort()).toEqual([await keyOf(stillWaiting), await keyOf(today)].sort());
    expect(await db.women.count()).toBe(1); // the directory stays
    expect(synced).not.toBe(today);

    await db.outbox.clear();
    await core().pruneSynced();
    expect((await db.visits.toArray()).map((v) => v.id)).toEqual([await keyOf(today)]);
  });
});

describe('letting go of synced contacts', () => {
  it('keeps this device’s contacts of the last seven days, synced or not, and lets older ones go once synced', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-06-01T09:00:00Z'));
    const db = await setUpFresh('prune-contacts');
    const contact = (area: string) => recordContact(core(), { occurredAt: null, womanId: null, area, place: 'street', needs: [], support: [], referrals: [] });
    const old = await contact('camden');
    vi.setSystemTime(new Date('2025-06-05T09:00:00Z'));
    const recent = await contact('hackney');
    vi.setSystemTime(new Date('2025-06-10T09:00:00Z'));
    await db.outbox.clear(); // the server holds them all

    // On 10 June the last seven days are 4 to 10 June: 1 June's contact goes, 5 June's stays and is listed.
    await core().currentDay();
    await core().pruneSynced();
    expect((await db.visits.toArray()).map((v) => v.id)).toEqual([await core().vault.rowKey('visits', recent)]);
    expect(currentSession().contacts.map((c) => c.id)).toEqual([recent]);
    expect(old).not.toBe(recent);

    // A week on, it goes too.
    vi.setSystemTime(new Date('2025-06-12T09:00:00Z'));
    await core().currentDay();
    await core().pruneSynced();
    expect(await db.visits.count()).toBe(0);
    expect(currentSession().contacts).toEqual([]);
  });
});
