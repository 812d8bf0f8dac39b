import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import type { FootfallDb } from '../../src/app/core/database.ts';
import { VisitEvents } from '../../src/app/core/rows.ts';
import { earlierRecords, recentAreas, recordContact, recordSession, todaysRecords, voidRecord, dayRecordView } from '../../src/app/shared/recordActions.ts';
import { useFootfall } from '../../src/app/store.ts';
import { blindTag, openJson } from '../../src/crypto/atRest.ts';
import { countPeriod } from '../../src/domain/counting.ts';
import { localDateOf } from '../../src/domain/time.ts';
import { ADMIN_PIN, currentSession, readEvents, setUpFresh, core } from './helpers.ts';

const open: FootfallDb[] = [];
async function device(): Promise<FootfallDb> {
  const db = await setUpFresh('records');
  open.push(db);
  return db;
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const db of open.splice(0)) db.close();
});

const CONTACT = { occurredAt: null, area: 'hackney', place: 'street', needs: ['food'], support: ['hygiene-kit'], referrals: ['gp'] };

describe('recording an outreach contact', () => {
  it('saves one event of the right shape, and the row today’s list reads, in one go', async () => {
    const db = await device();
    const woman = await registerWoman(core(), 'Precious', {});
    const before = { events: await db.outbox.count(), rows: await db.visits.count(), unsynced: useFootfall.getState().unsynced };

    const id = await recordContact(core(), { ...CONTACT, womanId: woman.id });

    const s = currentSession();
    const [event] = (await readEvents(db, core().keyring)).slice(-1);
    expect(event).toEqual({
      id,
      type: 'outreach.contacted',
      at: expect.any(String),
      occurredAt: event!.at,
      deviceId: useFootfall.getState().identity!.deviceId,
      staffId: s.staff.id,
      womanId: woman.id,
      area: 'hackney',
      place: 'street',
      needs: ['food'],
      support: ['hygiene-kit'],
      referrals: ['gp'],
    });
    expect(await db.outbox.count()).toBe(before.events + 1);
    expect(useFootfall.getState().unsynced).toBe(before.unsynced! + 1);

    // Its row is sealed beside the visits, under a blind tag of its local date.
    expect(await db.visits.count()).toBe(before.rows + 1);
    // Keyed by a tag of its id, which says nothing of when it was made.
    const key = await core().vault.rowKey('visits', id);
    const row = (await db.visits.get(key))!;
    expect(row.dayTag).toBe(await blindTag(core().keyring, localDateOf(event!.at, s.config.timeZone)));
    expect(VisitEvents.parse(await openJson(core().keyring, `visits:${key}`, row))).toEqual({ id, events: [event] });
    expect(Buffer.from(row.ct).includes(Buffer.from('hackney'))).toBe(false);

    // Listed today, as counting resolves it.
    expect(s.contacts.map((r) => r.id)).toEqual([id]);
    expect(todaysRecords(s, 'outreach')).toEqual([expect.objectContaining({ id, kind: 'outreach', womanId: woman.id, area: 'hackney', voided: false })]);
    expect(todaysRecords(s, 'casework')).toEqual([]);
  });

  it('writes nothing, and lists nothing, when the transaction fails', async () => {
    const db = await device();
    const before = { events: await db.outbox.count(), rows: await db.visits.count() };
    const failing = vi.spyOn(db.visits, 'bulkPut').mockRejectedValueOnce(Object.assign(new Error('disk full'), { name: 'QuotaExceededError' }));
    await expect(recordContact(core(), { ...CONTACT, womanId: null })).rejects.toThrow('disk full');
    expect(failing).toHaveBeenCalledTimes(1);
    // The event and its row are one transaction: neither was written.
    expect(await db.outbox.count()).toBe(before.events);
    expect(await db.visits.count()).toBe(before.rows);
    expect(currentSession().contacts).toEqual([]);
    // And the next save goes through.
    await recordContact(core(), { ...CONTACT, womanId: null });
    expect(currentSession().contacts).toHaveLength(1);
  });

  it('says what is missing, and refuses a time still to come', async () => {
    const db = await device();
    const before = await db.outbox.count();
    await expect(recordContact(core(), { ...CONTACT, womanId: null, area: '' })).rejects.toThrow('Choose the area where you met her.');
    await expect(recordContact(core(), { ...CONTACT, womanId: null, place: '' })).rejects.toThrow('Choose the kind of place.');
    const later = new Date(Date.now() + 3 * 3600_000).toISOString();
    await expect(recordContact(core(), { ...CONTACT, womanId: null, occurredAt: later })).rejects.toThrow(
      'That date and time is still to come. Check the date and the time, then save again.',
    );
    expect(await db.outbox.count()).toBe(before);
  });

  it('dates a late entry by when it happened: on its own day, not today’s list, and it can still be voided', async () => {
    const db = await device();
    const s = currentSession();
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
    const id = await recordContact(core(), { ...CONTACT, womanId: null, occurredAt: twoDaysAgo });
    expect(todaysRecords(currentSession(), 'outreach')).toEqual([]);
    expect(earlierRecords(currentSession(), 'outreach').map((r) => [r.id, r.voided])).toEqual([[id, false]]);
    const day = await core().vault.loadVisitsOn(localDateOf(twoDaysAgo, s.config.timeZone));
    expect(day.items.map((r) => r.id)).toEqual([id]);
    const [event] = (await readEvents(db, core().keyring)).slice(-1);
    expect(event).toMatchObject({ type: 'outreach.contacted', occurredAt: twoDaysAgo });
    expect(event!.at).not.toBe(twoDaysAgo);

    await voidRecord(core(), id, 'Entered by mistake');
    expect(earlierRecords(currentSession(), 'outreach').map((r) => [r.id, r.voided])).toEqual([[id, true]]);
  });

  it('remembers her recent areas, latest first, sealed, and through a lock', async () => {
    const db = await device();
    for (const area of ['hackney', 'camden', 'hackney', 'brent']) await recordContact(core(), { ...CONTACT, womanId: null, area });
    expect(await recentAreas(core())).toEqual(['brent', 'hackney', 'camden']);
    const rows = await db.settings.toArray();
    expect(rows.some((r) => Buffer.from(r.ct).includes(Buffer.from('camden')))).toBe(false);

    const me = currentSession().staff;
    await lock();
    expect(await unlock(me.id, ADMIN_PIN)).toMatchObject({ ok: true });
    expect(await recentAreas(core())).toEqual(['brent', 'hackney', 'camden']);
  });
});

describe('recording a casework session', () => {
  it('saves one event with the woman, topics, referrals and the outcome', async () => {
    const db = await device();
    const woman = await registerWoman(core(), 'Wanjiru', {});
    const id = await recordSession(core(), { occurredAt: null, womanId: woman.id, topics: ['housing', 'exiting'], referrals: [], outcome: 'advice-given' });
    const s = currentSession();
    const [event] = (await readEvents(db, core().keyring)).slice(-1);
    expect(event).toEqual({
      id,
      type: 'casework.session',
      at: expect.any(String),
      occurredAt: event!.at,
      deviceId: useFootfall.getState().identity!.deviceId,
      staffId: s.staff.id,
      womanId: woman.id,
      topics: ['housing', 'exiting'],
      referrals: [],
      outcome: 'advice-given',
    });
    expect(todaysRecords(s, 'casework')).toEqual([expect.objectContaining({ id, kind: 'casework', topics: ['exiting', 'housing'], voided: false })]);
    // Counted as the reports count it: one session, one woman supported.
    const today = s.today;
    expect(countPeriod(s.contacts.flatMap((r) => r.events), s.config, { from: today, to: today })).toMatchObject({
      caseworkSessions: 1,
      womenSupported: 1,
      uniqueWomen: 1,
    });
  });

  it('is always with a known woman, covers a topic and has an outcome', async () => {
    await device();
    const woman = await registerWoman(core(), 'Ana', {});
    const base = { occurredAt: null, womanId: woman.id, topics: ['benefits'], referrals: [], outcome: 'resolved' };
    await expect(recordSession(core(), { ...base, womanId: null })).rejects.toThrow('Choose the woman: a casework session is always with a known woman.');
    await expect(recordSession(core(), { ...base, topics: [] })).rejects.toThrow('Choose at least one topic.');
    await expect(recordSession(core(), { ...base, outcome: '' })).rejects.toThrow('Choose the outcome.');
    expect(currentSession().contacts).toEqual([]);
  });
});

describe('voiding a mistaken record today', () => {
  it('adds a record.voided event to its row; it stays listed as voided and counts nowhere', async () => {
    const db = await device();
    const kept = await recordContact(core(), { ...CONTACT, womanId: null });
    const mistaken = await recordContact(core(), { ...CONTACT, womanId: null, place: 'hostel' });
    await voidRecord(core(), mistaken, 'Recorded twice');

    const s = currentSession();
    const [event] = (await readEvents(db, core().keyring)).slice(-1);
    expect(event).toMatchObject({ type: 'record.voided', targetId: mistaken, reason: 'Recorded twice', staffId: s.staff.id });
    const row = s.contacts.find((r) => r.id === mistaken)!;
    expect(row.events.map((e) => e.type)).toEqual(['outreach.contacted', 'record.voided']);
    expect(dayRecordView(row, s.config)).toMatchObject({ id: mistaken, place: 'hostel', voided: true });
    expect(todaysRecords(s, 'outreach').map((v) => [v.id, v.voided])).toEqual(
      expect.arrayContaining([
        [kept, false],
        [mistaken, true],
      ]),
    );
    expect(countPeriod(s.contacts.flatMap((r) => r.events), s.config, { from: s.today, to: s.today }).outreachContacts).toBe(1);
  });

  it('needs a reason, and a record on today’s list', async () => {
    await device();
    const id = await recordContact(core(), { ...CONTACT, womanId: null });
    await expect(voidRecord(core(), id, '  ')).rejects.toThrow('Choose a reason for voiding it.');
    await expect(voidRecord(core(), '0190a4a2-7c1e-7000-8000-000000000000', 'Test entry')).rejects.toThrow(
      'That record is no longer on today’s list, so it cannot be voided here. Ask your admin.',
    );
  });
});
