import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addStaff, removeStaff, saveConfig } from '../../src/app/settings/settingsActions.ts';
import { checkIn, correctVisit, saveCheckIn, setServices, todaysVisitOf, voidVisit } from '../../src/app/frontDesk/visitActions.ts';
import { lock, setUpDevice, unlock } from '../../src/app/lock/access.ts';
import { waitRemaining } from '../../src/app/lock/lockPolicy.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { boot } from '../../src/app/core/device.ts';
import { FootfallDb, type LockState, type LockStaff } from '../../src/app/core/database.ts';
import { OPEN_LOCK } from '../../src/app/core/lockSnapshot.ts';
import { useFootfall } from '../../src/app/store.ts';
import { visitView } from '../../src/app/frontDesk/visitView.ts';
import { sealJson } from '../../src/crypto/atRest.ts';
import { PIN_KDF_ITERATIONS } from '../../src/crypto/keyring.ts';
import { searchByName } from '../../src/domain/search.ts';
import { directorySearchIndex } from '../../src/app/directory/directory.ts';
import {
  ADMIN_PIN,
  DESK_PIN,
  bootFresh,
  currentSession,
  readEvents,
  setUpFresh,
  snapshotRows,
  tableCounts, core } from './helpers.ts';

const open: FootfallDb[] = [];
async function device(): Promise<FootfallDb> {
  const db = await setUpFresh('actions');
  open.push(db);
  return db;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const db of open.splice(0)) db.close();
});

function staffNamed(name: string): LockStaff {
  const s = useFootfall.getState().staff.find((x) => x.name === name);
  if (!s) throw new Error(`no staff member called ${name}`);
  return s;
}

async function lockRow(db: FootfallDb): Promise<LockState> {
  return (await db.device.get('lock')) as LockState;
}

describe('first run', () => {
  it('boots an empty database into the setup screen', async () => {
    const db = await bootFresh('actions');
    open.push(db);
    expect(useFootfall.getState().phase).toEqual({ kind: 'setup' });
    expect(useFootfall.getState().identity).toBeNull();
    expect(await db.device.count()).toBe(0);
  });

  it('sets the device up and opens a session for its first admin', async () => {
    const db = await device();
    const s = currentSession();
    expect(s.staff).toMatchObject({ name: 'Grace', role: 'admin' });
    expect(s.config.sites).toEqual([{ key: 'drop-in-centre', name: 'Drop-in centre', retired: false }]);
    expect(s.config.services.map((x) => x.key)).toEqual(['meal', 'shower', 'laundry', 'clothes', 'advice']);
    expect(s.women.size).toBe(0);
    expect(s.visits).toEqual([]);
    expect(s.today).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const state = useFootfall.getState();
    expect(state.identity).toMatchObject({ key: 'identity', deviceName: 'Front desk tablet', siteKey: 'drop-in-centre' });
    expect(state.lock).toEqual(OPEN_LOCK);
    expect(state.unsynced).toBe(0);

    const [staff] = await db.staff.toArray();
    expect(staff!.wrappedRoot.iterations).toBeGreaterThanOrEqual(PIN_KDF_ITERATIONS);
    expect(JSON.stringify(staff)).not.toContain(ADMIN_PIN);
    expect(await db.device.get('identity')).toEqual(state.identity);
    // The configuration is sealed, not stored in the clear.
    const [settings] = await db.settings.toArray();
    expect(Buffer.from(settings!.ct).includes(Buffer.from('Drop-in centre'))).toBe(false);
  });

  it('refuses a weak PIN at setup and leaves the device not set up', async () => {
    const db = await bootFresh('actions');
    open.push(db);
    await expect(setUpDevice({ deviceName: 'Tablet', siteName: 'Centre', staffName: 'Grace', pin: '123456' })).rejects.toThrow(
      'That PIN is too easy to guess. Avoid repeated or consecutive digits.',
    );
    expect(await db.device.get('identity')).toBeUndefined();
    expect(await db.staff.count()).toBe(0);
    expect(useFootfall.getState().phase).toEqual({ kind: 'setup' });
  });

  it('boots a set-up device into the lock screen with its staff and unsynced count', async () => {
    const db = await device();
    await checkIn(core(), null, ['meal']);
    lock();
    await boot(new FootfallDb(db.name));
    const state = useFootfall.getState();
    expect(state.phase).toEqual({ kind: 'locked' });
    expect(state.staff.map((s) => s.name)).toEqual(['Grace']);
    // Read after the lock screen shows.
    await vi.waitFor(() => expect(useFootfall.getState().unsynced).toBe(1));
  });
});

describe('recording at the desk', () => {
  it('registers a woman, sealed, and makes her findable', async () => {
    const db = await device();
    const woman = await registerWoman(core(), '  Zofia ', { ageBand: '25-34', exploitation: ['trafficking'] });
    expect(woman.knownAs).toBe('Zofia');
    const s = currentSession();
    expect(s.women.get(woman.id)).toEqual(woman);
    expect(searchByName(directorySearchIndex(s.women), 'zof')).toEqual([woman]);

    const events = await readEvents(db, core().keyring);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'woman.registered', womanId: woman.id, knownAs: 'Zofia', details: woman.details });
    expect(events[0]).toMatchObject({ deviceId: useFootfall.getState().identity!.deviceId, staffId: s.staff.id });

    const [row] = await db.women.toArray();
    expect(row!.id).toBe(await core().vault.rowKey('women', woman.id));
    expect(Buffer.from(row!.ct).includes(Buffer.from('Zofia'))).toBe(false);
    const [eventRow] = await db.outbox.toArray();
    expect(Buffer.from(eventRow!.ct).includes(Buffer.from('Zofia'))).toBe(false);
    expect(useFootfall.getState().unsynced).toBe(1);
  });

  it('checks in an identified woman and anonymous visitors, each anonymous check-in its own visit', async () => {
    const db = await device();
    const w = await registerWoman(core(), 'Ana', {});
    const v1 = await checkIn(core(), w.id, ['meal', 'shower']);
    const a1 = await checkIn(core(), null, ['meal']);
    const a2 = await checkIn(core(), null, []);
    expect(new Set([v1, a1, a2]).size).toBe(3);

    const s = currentSession();
    const views = s.visits.map((v) => visitView(v, s.config));
    expect(views.map((v) => [v.womanId, v.services, v.siteId, v.date])).toEqual([
      [w.id, ['meal', 'shower'], 'drop-in-centre', s.today],
      [null, ['meal'], 'drop-in-centre', s.today],
      [null, [], 'drop-in-centre', s.today],
    ]);
    expect(todaysVisitOf(s, useFootfall.getState().identity!.siteKey, w.id)?.id).toBe(v1);

    const events = await readEvents(db, core().keyring);
    expect(events.map((e) => e.type)).toEqual(['woman.registered', 'visit.checkedIn', 'visit.checkedIn', 'visit.checkedIn']);
    expect(events.slice(1).map((e) => e.id)).toEqual([v1, a1, a2]);
    expect(await db.visits.count()).toBe(3);
    expect(useFootfall.getState().unsynced).toBe(4);
  });

  it('adds a second check-in of the same woman on the same day to her one visit', async () => {
    const db = await device();
    const w = await registerWoman(core(), 'Ana', {});
    const first = await checkIn(core(), w.id, ['meal', 'shower']);
    const second = await checkIn(core(), w.id, ['shower', 'laundry']);
    expect(second).toBe(first);

    const s = currentSession();
    expect(s.visits).toHaveLength(1);
    expect(visitView(s.visits[0]!, s.config).services).toEqual(['laundry', 'meal', 'shower']);
    expect(await db.visits.count()).toBe(1);

    const events = await readEvents(db, core().keyring);
    // Only the service not given before is added.
    expect(events.map((e) => e.type)).toEqual(['woman.registered', 'visit.checkedIn', 'visit.serviceAdded']);
    expect(events[2]).toMatchObject({ visitId: first, service: 'laundry' });

    // Checking her in again with nothing new writes nothing.
    await checkIn(core(), w.id, ['meal']);
    expect(await db.outbox.count()).toBe(3);
  });

  it('changes services as added and removed events', async () => {
    const db = await device();
    const visitId = await checkIn(core(), null, ['meal', 'shower']);
    await setServices(core(), visitId, ['shower', 'laundry', 'advice']);
    const s = currentSession();
    expect(visitView(s.visits[0]!, s.config).services).toEqual(['advice', 'laundry', 'shower']);

    const events = await readEvents(db, core().keyring);
    const changes = events.slice(1).map((e) => (e.type === 'visit.serviceAdded' || e.type === 'visit.serviceRemoved' ? [e.type, e.visitId, e.service] : e.type));
    expect(changes).toEqual([
      ['visit.serviceAdded', visitId, 'laundry'],
      ['visit.serviceAdded', visitId, 'advice'],
      ['visit.serviceRemoved', visitId, 'meal'],
    ]);
    // The same set again writes nothing.
    await setServices(core(), visitId, ['advice', 'shower', 'laundry']);
    expect(await db.outbox.count()).toBe(4);
  });

  it('corrects and voids a visit with events, and a voided visit no longer holds her check-in', async () => {
    const db = await device();
    const ana = await registerWoman(core(), 'Ana', {});
    const bea = await registerWoman(core(), 'Bea', {});
    const visitId = await checkIn(core(), ana.id, ['meal']);

    await correctVisit(core(), visitId, { womanId: bea.id }, 'Wrong woman chosen');
    let s = currentSession();
    let view = visitView(s.visits[0]!, s.config);
    expect(view.womanId).toBe(bea.id);
    expect(todaysVisitOf(s, useFootfall.getState().identity!.siteKey, ana.id)).toBeUndefined();
    expect(todaysVisitOf(s, useFootfall.getState().identity!.siteKey, bea.id)?.id).toBe(visitId);

    await voidVisit(core(), visitId, 'Recorded by mistake');
    s = currentSession();
    view = visitView(s.visits[0]!, s.config);
    expect(view.voided).toBe(true);
    expect(todaysVisitOf(s, useFootfall.getState().identity!.siteKey, bea.id)).toBeUndefined();

    const events = await readEvents(db, core().keyring);
    expect(events.slice(3)).toMatchObject([
      { type: 'record.corrected', targetId: visitId, changes: { womanId: bea.id }, reason: 'Wrong woman chosen' },
      { type: 'record.voided', targetId: visitId, reason: 'Recorded by mistake' },
    ]);

    // Checking her in again after a void makes a new visit.
    const again = await checkIn(core(), bea.id, ['shower']);
    expect(again).not.toBe(visitId);
    expect(currentSession().visits).toHaveLength(2);
  });

  it('rejects a correction that changes nothing or has no reason, writing nothing', async () => {
    const db = await device();
    const visitId = await checkIn(core(), null, ['meal']);
    const before = await snapshotRows(db);
    await expect(correctVisit(core(), visitId, {}, 'Wrong time')).rejects.toThrow();
    await expect(correctVisit(core(), visitId, { siteId: 'drop-in-centre' }, '   ')).rejects.toThrow();
    await expect(voidVisit(core(), visitId, '')).rejects.toThrow();
    expect(await snapshotRows(db)).toBe(before);
    expect(visitView(currentSession().visits[0]!, currentSession().config).voided).toBe(false);
  });

  it('says clearly when a visit is not on today’s list', async () => {
    await device();
    await expect(setServices(core(), '0190a000-0000-7000-8000-000000000000', ['meal'])).rejects.toThrow(/no longer on today’s list/);
  });

  it('writes every event with its projection in one transaction: a failed write leaves neither', async () => {
    const db = await device();
    const w = await registerWoman(core(), 'Ana', {});
    const before = await snapshotRows(db);
    const sessionBefore = currentSession();

    vi.spyOn(db.visits, 'bulkPut').mockRejectedValueOnce(Object.assign(new Error('disk full'), { name: 'QuotaExceededError' }));
    await expect(checkIn(core(), w.id, ['meal'])).rejects.toThrow('disk full');
    expect(await snapshotRows(db)).toBe(before);
    // The screen did not move on either: it shows only what is saved.
    expect(currentSession().visits).toBe(sessionBefore.visits);
    expect(useFootfall.getState().unsynced).toBe(1);

    vi.spyOn(db.women, 'bulkPut').mockRejectedValueOnce(new Error('disk full'));
    await expect(registerWoman(core(), 'Bea', {})).rejects.toThrow('disk full');
    expect(await snapshotRows(db)).toBe(before);
    expect(currentSession().women.size).toBe(1);

    // And once the disk has room again, the same action saves both.
    await checkIn(core(), w.id, ['meal']);
    expect(await tableCounts(db)).toMatchObject({ events: 2, visits: 1 });
  });

  it('keeps every visit on screen when two saves overlap', async () => {
    const db = await device();
    await Promise.all([checkIn(core(), null, ['meal']), checkIn(core(), null, ['shower']), registerWoman(core(), 'Ana', {}), registerWoman(core(), 'Bea', {})]);
    expect(await db.visits.count()).toBe(2);
    expect(currentSession().visits).toHaveLength(2);
    expect(currentSession().women.size).toBe(2);
    expect(useFootfall.getState().unsynced).toBe(4);
  });

  it('counts every event once, each one decrypting and parsing', async () => {
    const db = await device();
    const w = await registerWoman(core(), 'Ana', { ageBand: 'under-18' });
    const v = await checkIn(core(), w.id, ['meal']);
    await checkIn(core(), w.id, ['shower']);
    await setServices(core(), v, ['shower']);
    await checkIn(core(), null, ['clothes']);
    await correctVisit(core(), v, { occurredAt: new Date(Date.now() - 60_000).toISOString() }, 'Wrong time');
    await voidVisit(core(), v, 'Test entry');
    const events = await readEvents(db, core().keyring);
    expect(events.map((e) => e.type)).toEqual([
      'woman.registered',
      'visit.checkedIn',
      'visit.serviceAdded',
      'visit.serviceRemoved',
      'visit.checkedIn',
      'record.corrected',
      'record.voided',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(7);
    expect(await db.outbox.count()).toBe(7);
    expect(useFootfall.getState().unsynced).toBe(7);
  });
});

describe('locking and unlocking', () => {
  it('drops the session on lock and restores the same women and visits with the right PIN', async () => {
    const db = await device();
    const w = await registerWoman(core(), 'Ana', { housing: 'hostel' });
    await registerWoman(core(), 'Bea', {});
    await checkIn(core(), w.id, ['meal']);
    await checkIn(core(), null, ['shower']);
    const before = currentSession();
    const closing = core();
    const keyring = closing.keyring;

    const dropped = lock();
    expect(useFootfall.getState().phase).toEqual({ kind: 'locked' });
    await dropped;
    expect(keyring.root.every((b) => b === 0)).toBe(true);
    // A screen still holding the closed core cannot save through it.
    await expect(checkIn(closing, null, [])).rejects.toThrow('The app is locked. Unlock it with your PIN and try again.');

    const grace = staffNamed('Grace');
    expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true });
    const after = currentSession();
    expect(after.staff.id).toBe(grace.id);
    expect(after.women).toEqual(before.women);
    expect([...after.visits].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([...before.visits].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(after.config).toEqual(before.config);
    expect(after.today).toBe(before.today);
    expect(searchByName(directorySearchIndex(after.women), 'ana').map((x) => x.id)).toEqual([w.id]);
    expect(useFootfall.getState().unsynced).toBe(4);
    expect(await db.outbox.count()).toBe(4);
  });

  it('counts a wrong PIN, says so, and deletes nothing', async () => {
    const db = await device();
    await registerWoman(core(), 'Ana', {});
    await checkIn(core(), null, ['meal']);
    lock();
    const before = await snapshotRows(db);
    const grace = staffNamed('Grace');

    expect(await unlock(grace.id, '999111')).toEqual({ ok: false, message: 'That PIN is not right. 3 more tries before a wait.' });
    expect(await unlock(grace.id, '999112')).toEqual({ ok: false, message: 'That PIN is not right. 2 more tries before a wait.' });
    expect((await lockRow(db)).failures).toBe(2);
    expect(useFootfall.getState().lock.failures).toBe(2);
    expect(useFootfall.getState().phase).toEqual({ kind: 'locked' });
    expect(await snapshotRows(db)).toBe(before);

    // The right PIN resets the counter.
    expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true });
    expect(await lockRow(db)).toEqual(OPEN_LOCK);
    expect(useFootfall.getState().lock).toEqual(OPEN_LOCK);
  });

  it('asks for a name when none, or an unknown one, is chosen', async () => {
    await device();
    lock();
    expect(await unlock('', ADMIN_PIN)).toEqual({ ok: false, message: 'Choose your name first.' });
    expect(await unlock('nobody', ADMIN_PIN)).toEqual({ ok: false, message: 'Choose your name first.' });
  });

  it('makes her wait after the free tries, then holds the device for an admin', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    vi.setSystemTime(new Date('2025-06-10T10:00:00Z'));
    const db = await device();
    await addStaff(core(), 'Mary', 'frontDesk', DESK_PIN);
    await checkIn(core(), null, ['meal']);
    lock();
    const before = await snapshotRows(db);
    const grace = staffNamed('Grace');
    const mary = staffNamed('Mary');

    for (let i = 1; i <= 10; i++) {
      const state = await lockRow(db);
      const wait = waitRemaining(state);
      if (wait > 0) {
        // While she must wait, even the right PIN is not tried.
        const refused = await unlock(grace.id, ADMIN_PIN);
        expect(refused.ok).toBe(false);
        expect(!refused.ok && refused.message).toMatch(/^Too many wrong PINs\. Wait \d+ (seconds?|minutes?) before trying again\.$/);
        expect((await lockRow(db)).failures).toBe(i - 1);
        vi.advanceTimersByTime(wait); // on the page's own clock: the wall clock decides nothing
      }
      const result = await unlock(i % 2 ? mary.id : grace.id, '135791');
      expect(result.ok).toBe(false);
      expect((await lockRow(db)).failures).toBe(i);
    }
    const held = await lockRow(db);
    expect(held.held).toBe(true);
    expect(useFootfall.getState().lock.held).toBe(true);
    expect(waitRemaining(held)).toBe(0); // the admin called over may try at once

    // A front-desk PIN, even the right one, does not release a held device.
    expect(await unlock(mary.id, DESK_PIN)).toEqual({
      ok: false,
      message: 'This device is locked after too many wrong PINs. An admin must unlock it with her PIN.',
    });
    expect(await lockRow(db)).toEqual(held);
    expect(await snapshotRows(db)).toBe(before);

    // An admin's does, and the counter starts again.
    expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true });
    expect(await lockRow(db)).toEqual(OPEN_LOCK);
    expect(currentSession().visits).toHaveLength(1);
    expect(await snapshotRows(db)).toBe(before);
  });

  it('keeps the device held across a reload', async () => {
    const db = await device();
    lock();
    await db.device.put({ key: 'lock', failures: 10, held: true });
    await boot(new FootfallDb(db.name));
    expect(useFootfall.getState().lock).toEqual({ key: 'lock', failures: 10, held: true });
  });
});

describe('staff and settings', () => {
  it('adds a front-desk member who can unlock with her own PIN but cannot change settings', async () => {
    const db = await device();
    await addStaff(core(), '  Mary ', 'frontDesk', DESK_PIN);
    expect(useFootfall.getState().staff.map((s) => [s.name, s.role])).toEqual([
      ['Grace', 'admin'],
      ['Mary', 'frontDesk'],
    ]);
    const config = currentSession().config;
    const mary = staffNamed('Mary');
    lock();
    expect(await unlock(mary.id, ADMIN_PIN)).toMatchObject({ ok: false });
    expect(await unlock(mary.id, DESK_PIN)).toMatchObject({ ok: true });
    expect(currentSession().staff.role).toBe('frontDesk');

    const settingsBefore = await db.settings.toArray();
    await expect(saveConfig(core(), { ...config, idleLockMinutes: 30 })).rejects.toThrow('Only an admin can change settings.');
    await expect(addStaff(core(), 'Eve', 'admin', '918273')).rejects.toThrow('Only an admin can change settings.');
    await expect(removeStaff(core(), staffNamed('Grace').id)).rejects.toThrow('Only an admin can change settings.');
    expect(await db.settings.toArray()).toEqual(settingsBefore);
    expect(await db.staff.count()).toBe(2);
    expect(currentSession().config.idleLockMinutes).toBe(config.idleLockMinutes);

    // She records visits under her own id.
    await checkIn(core(), null, ['meal']);
    const events = await readEvents(db, core().keyring);
    expect(events.at(-1)!.staffId).toBe(mary.id);
  });

  it('rejects a weak PIN for a new staff member with a clear message', async () => {
    const db = await device();
    await expect(addStaff(core(), 'Mary', 'frontDesk', '1234')).rejects.toThrow('A PIN needs at least 6 digits.');
    await expect(addStaff(core(), 'Mary', 'frontDesk', '111111')).rejects.toThrow('That PIN is too easy to guess. Avoid repeated or consecutive digits.');
    await expect(addStaff(core(), 'Mary', 'frontDesk', 'abcdef')).rejects.toThrow('A PIN is digits only.');
    expect(await db.staff.count()).toBe(1);
  });

  it('removes a staff member: her PIN stops working and what she recorded stays', async () => {
    const db = await device();
    await addStaff(core(), 'Mary', 'frontDesk', DESK_PIN);
    const mary = staffNamed('Mary');
    lock();
    await unlock(mary.id, DESK_PIN);
    await checkIn(core(), null, ['meal']);
    lock();
    await unlock(staffNamed('Grace').id, ADMIN_PIN);

    await removeStaff(core(), mary.id);
    expect(useFootfall.getState().staff.map((s) => s.name)).toEqual(['Grace']);
    const row = await db.staff.get(mary.id);
    expect(row).toMatchObject({ removed: true });
    expect(row!.wrappedRoot.ciphertext).toBe('');
    expect(await db.outbox.count()).toBe(1);
    expect(currentSession().visits).toHaveLength(1);

    lock();
    expect(await unlock(mary.id, DESK_PIN)).toEqual({ ok: false, message: 'Choose your name first.' });
    expect(await lockRow(db)).toEqual(OPEN_LOCK);
  });

  it('does not let an admin remove herself', async () => {
    await device();
    await expect(removeStaff(core(), currentSession().staff.id)).rejects.toThrow('You cannot remove yourself. Ask another admin.');
    expect(useFootfall.getState().staff).toHaveLength(1);
  });

  it('saves the configuration sealed, and it survives a lock', async () => {
    const db = await device();
    const config = currentSession().config;
    const next = { ...config, idleLockMinutes: 12, services: [...config.services, { key: 'hot-drink', label: 'Hot drink', retired: false }] };
    await saveConfig(core(), next);
    expect(currentSession().config).toEqual(next);
    expect(await db.outbox.count()).toBe(0);
    lock();
    await unlock(staffNamed('Grace').id, ADMIN_PIN);
    expect(currentSession().config).toEqual(next);
    await expect(saveConfig(core(), { ...next, idleLockMinutes: 0 })).rejects.toThrow();
    expect(currentSession().config.idleLockMinutes).toBe(12);
  });
});

describe('damaged storage', () => {
  it('skips and reports a row that no longer decrypts, unlocks into the rest, and leaves it untouched', async () => {
    const db = await device();
    const w = await registerWoman(core(), 'Ana', {});
    await registerWoman(core(), 'Bea', {});
    const key = await core().vault.rowKey('women', w.id);
    lock();
    const row = (await db.women.get(key))!;
    const ct = new Uint8Array(row.ct.slice(0));
    ct[3]! ^= 0xff;
    await db.women.put({ ...row, ct: ct.buffer });
    const before = await snapshotRows(db);

    await expect(unlock(staffNamed('Grace').id, ADMIN_PIN)).resolves.toMatchObject({ ok: true });
    const s = currentSession();
    expect(s.unreadable).toBe(1);
    expect([...s.women.values()].map((x) => x.knownAs)).toEqual(['Bea']);
    expect(await snapshotRows(db)).toBe(before);
  });

  it('does not open a row moved from another record', async () => {
    const db = await device();
    const a = await registerWoman(core(), 'Ana', {});
    const b = await registerWoman(core(), 'Bea', {});
    const [keyA, keyB] = [await core().vault.rowKey('women', a.id), await core().vault.rowKey('women', b.id)];
    lock();
    const rowA = (await db.women.get(keyA))!;
    await db.women.put({ ...rowA, id: keyB });
    await unlock(staffNamed('Grace').id, ADMIN_PIN);
    const s = currentSession();
    expect(s.unreadable).toBe(1);
    expect([...s.women.values()].map((x) => x.knownAs)).toEqual(['Ana']);
  });

  it('skips a row in a form this version does not understand, and leaves it untouched', async () => {
    const db = await device();
    const v = await checkIn(core(), null, ['meal']);
    await checkIn(core(), null, ['shower']);
    const keyring = core().keyring;
    const key = await core().vault.rowKey('visits', v);
    const odd = await sealJson(keyring, `visits:${key}`, { events: [{ type: 'visit.teleported' }] });
    const row = (await db.visits.get(key))!;
    await db.visits.put({ ...row, ...odd });
    lock();
    const before = await snapshotRows(db);
    await unlock(staffNamed('Grace').id, ADMIN_PIN);
    const s = currentSession();
    expect(s.unreadable).toBe(1);
    expect(s.visits).toHaveLength(1);
    expect(await snapshotRows(db)).toBe(before);
  });
});

describe('the day changes', () => {
  it('loads the new day’s visits once the local date changes (Europe/London)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // 23:59 BST on 10 June.
    vi.setSystemTime(new Date('2025-06-10T22:59:00Z'));
    const db = await device();
    expect(currentSession().today).toBe('2025-06-10');
    const w = await registerWoman(core(), 'Ana', {});
    const late = await checkIn(core(), w.id, ['meal']);
    const anonymous = await checkIn(core(), null, ['shower']);

    // 00:01 BST on 11 June: a new day, so a new visit, not an addition to last night's.
    vi.setSystemTime(new Date('2025-06-10T23:01:00Z'));
    const early = await checkIn(core(), w.id, ['shower']);
    expect(early).not.toBe(late);
    const s = currentSession();
    expect(s.today).toBe('2025-06-11');
    expect(s.visits.map((v) => v.id)).toEqual([early]);
    expect(visitView(s.visits[0]!, s.config)).toMatchObject({ date: '2025-06-11', services: ['shower'] });
    expect(await db.visits.count()).toBe(3);

    // Unlocking later that day shows that day only; the day before is still stored.
    lock();
    vi.setSystemTime(new Date('2025-06-11T15:00:00Z'));
    await unlock(staffNamed('Grace').id, ADMIN_PIN);
    expect(currentSession().visits.map((v) => v.id)).toEqual([early]);
    lock();
    vi.setSystemTime(new Date('2025-06-10T12:00:00Z'));
    await unlock(staffNamed('Grace').id, ADMIN_PIN);
    expect(currentSession().visits.map((v) => v.id).sort()).toEqual([late, anonymous].sort());
  });
});

describe('the check-in panel across midnight', () => {
  it('never adds today’s services to last night’s visit: a panel opened before midnight says so, and the woman is checked in anew', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // 23:50 BST on 10 June: Ana is checked in for a meal.
    vi.setSystemTime(new Date('2025-06-10T22:50:00Z'));
    const db = await device();
    const w = await registerWoman(core(), 'Ana', {});
    const late = await checkIn(core(), w.id, ['meal']);
    // 00:10 BST on 11 June: the desk still shows her visit of last night, and a shower is ticked.
    vi.setSystemTime(new Date('2025-06-10T23:10:00Z'));
    await expect(saveCheckIn(core(), w.id, ['meal', 'shower'], late)).rejects.toMatchObject({ code: 'visit_of_another_day' });
    let s = currentSession();
    expect(s.today).toBe('2025-06-11');
    expect(s.visits).toEqual([]);
    // Checked in again for today: a visit of its own, last night's as it was.
    const early = await saveCheckIn(core(), w.id, ['shower'], null);
    s = currentSession();
    expect(s.visits.map((v) => visitView(v, s.config))).toMatchObject([{ id: early, date: '2025-06-11', services: ['shower'] }]);
    const events = await readEvents(db, core().keyring);
    expect(events.filter((e) => e.type === 'visit.serviceAdded')).toEqual([]);
  });
});
