/**
 * Every Dexie version the app has shipped must open under the current code with its data intact,
 * above all its unsynced events (docs/sync.md#schema-versions-and-updates: "schema migrations carry the outbox across
 * versions"). Each shipped schema is copied below as it was released, never imported, because
 * src/app/core/database.ts moves on. When a version is added there, add a row to HISTORY with the
 * schema it replaces and the rows that release wrote.
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { unlock } from '../../src/app/lock/access.ts';
import { boot } from '../../src/app/core/device.ts';
import { FootfallDb, type LockState, type StaffRow } from '../../src/app/core/database.ts';
import { useFootfall } from '../../src/app/store.ts';
import { openEventRow, sealEventRow, Vault } from '../../src/app/core/vault.ts';
import { openBatchMarks, readLastSync, readMarks, sealBatchMarks, sealMarks, uploadSealer } from '../../src/app/core/marks.ts';
import { acknowledge, sweepAcknowledged } from '../../src/app/core/outbox.ts';
import { visitView } from '../../src/app/frontDesk/visitView.ts';
import { blindTag, sealJson } from '../../src/crypto/atRest.ts';
import { createKeyring, wrapRoot, type Keyring } from '../../src/crypto/keyring.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { localDateOf } from '../../src/domain/time.ts';
import { currentSession, eventIdsOf, readEvents, resetStore, uniqueDbName } from './helpers.ts';

const PIN = '482915';
const FAST = 1_000; // the PIN wrap's iteration count is stored with it, so old rows may use any

/** What a historic release left on a device, in terms the current code can check. */
interface Fixture {
  keyring: Keyring;
  staffId: string;
  events: { event: FootfallEvent; synced: 0 | 1 }[];
  women: { id: string; knownAs: string }[];
  /** Visit ids by local date. */
  visitsOn: Record<string, string[]>;
  /** Sealed batches waiting for the server (from version 2). */
  batchIds?: string[];
  /** Rows of the admin's sealed archive (from version 3). */
  archiveIds?: string[];
}

interface HistoricVersion {
  version: number;
  /** The schema exactly as this release declared it. */
  stores: Record<string, string>;
  /** Writes rows the way this release wrote them. */
  fill(db: Dexie, today: string): Promise<Fixture>;
}

const id = (n: number) => `0190${n.toString(16).padStart(4, '0')}-0000-7000-8000-000000000000`;
const LAST_SYNCED = '2025-01-06T17:00:00.000Z';
const CERTIFICATE = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3N1ZWRBdCI6IjIwMjUifQ.c2ln';
const AUTHORITY_SINCE = '2025-01-02T09:00:00.000Z';

const HISTORY: HistoricVersion[] = [
  {
    version: 1,
    stores: {
      events: '++seq, &id, synced',
      women: 'id',
      visits: 'id, dayTag',
      settings: 'id',
      staff: 'id',
      device: 'key',
    },
    async fill(db, today) {
      const keyring = await createKeyring();
      const staffId = id(1);
      const who = { deviceId: id(2), staffId };
      const at = (d: string, hh: string) => `${d}T${hh}:00:00.000Z`;
      const ana = { id: id(10), knownAs: 'Ana', details: { ageBand: '25-34' }, registeredAt: at('2025-01-06', '10') };
      const bea = { id: id(11), knownAs: 'Béa', details: {}, registeredAt: at(today, '09') };
      const oldVisit: FootfallEvent[] = [
        { ...who, id: id(20), at: at('2025-01-06', '10'), type: 'visit.checkedIn', occurredAt: at('2025-01-06', '10'), womanId: ana.id, siteId: 'centre', services: ['meal'] },
      ];
      const todayVisit: FootfallEvent[] = [
        { ...who, id: id(30), at: at(today, '10'), type: 'visit.checkedIn', occurredAt: at(today, '10'), womanId: bea.id, siteId: 'centre', services: ['shower'] },
        { ...who, id: id(31), at: at(today, '11'), type: 'visit.serviceAdded', visitId: id(30), service: 'meal' },
      ];
      const anonymous: FootfallEvent[] = [
        { ...who, id: id(40), at: at(today, '12'), type: 'visit.checkedIn', occurredAt: at(today, '12'), womanId: null, siteId: 'centre', services: [] },
        { ...who, id: id(41), at: at(today, '12'), type: 'record.voided', targetId: id(40), reason: 'Test entry' },
      ];
      const registered: FootfallEvent[] = [
        { ...who, id: ana.id, at: ana.registeredAt, type: 'woman.registered', womanId: ana.id, knownAs: ana.knownAs, details: ana.details },
        { ...who, id: bea.id, at: bea.registeredAt, type: 'woman.registered', womanId: bea.id, knownAs: bea.knownAs, details: bea.details },
      ];
      // Older records have synced; today's are still waiting in the outbox.
      const events = [
        ...[registered[0]!, ...oldVisit].map((event) => ({ event, synced: 1 as const })),
        ...[registered[1]!, ...todayVisit, ...anonymous].map((event) => ({ event, synced: 0 as const })),
      ];
      const seal = async (table: string, rowId: string, value: unknown) => ({ id: rowId, ...(await sealJson(keyring, `${table}:${rowId}`, value)) });

      const staff: StaffRow = { id: staffId, name: 'Grace', role: 'admin', wrappedRoot: await wrapRoot(keyring, PIN, staffId, FAST), createdAt: at('2025-01-06', '09') };
      const lock: LockState = { key: 'lock', failures: 2, waitUntil: 0, held: false };
      // Sealed first: WebCrypto is not IndexedDB work, and awaiting it would end the transaction.
      const eventRows = await Promise.all(events.map(async ({ event, synced }) => ({ ...(await seal('events', event.id, event)), synced })));
      const womanRows = [await seal('women', ana.id, ana), await seal('women', bea.id, bea)];
      const visitRows = [
        { ...(await seal('visits', id(20), { events: oldVisit })), dayTag: await blindTag(keyring, '2025-01-06') },
        { ...(await seal('visits', id(30), { events: todayVisit })), dayTag: await blindTag(keyring, today) },
        { ...(await seal('visits', id(40), { events: anonymous })), dayTag: await blindTag(keyring, today) },
      ];
      const configRow = await seal('settings', 'config', defaultConfig({ key: 'centre', name: 'Centre' }));
      await db.transaction('rw', db.tables, async () => {
        for (const row of eventRows) await db.table('events').add(row);
        await db.table('women').bulkPut(womanRows);
        await db.table('visits').bulkPut(visitRows);
        await db.table('settings').put(configRow);
        await db.table('staff').put(staff);
        await db.table('device').bulkPut([
          lock,
          { key: 'identity', deviceId: who.deviceId, deviceName: 'Old tablet', siteKey: 'centre', createdAt: staff.createdAt },
        ]);
      });
      return {
        keyring,
        staffId,
        events,
        women: [ana, bea],
        visitsOn: { '2025-01-06': [id(20)], [today]: [id(30), id(40)] },
      };
    },
  },
  {
    // The sync outbox: sealed batches, each naming the run of event rows it carries.
    version: 2,
    stores: { batches: '&batchId, seq, state' },
    async fill(db, today) {
      const fixture = await HISTORY[0]!.fill(db, today);
      const rows = await db.table('events').orderBy('seq').toArray();
      const waiting = rows.filter((r) => r.synced === 0);
      const batchId = '3b2d7c1e-8f4a-4c6b-9d2e-5a1f0e9c8b7a';
      const sealedPart = 'eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn'; // opaque to the device: never opened here
      await db.transaction('rw', db.tables, async () => {
        // Enrolled, its counters and last sync in the clear, as this release kept them.
        await db.table('device').bulkPut([
          { key: 'enrolment', orgId: id(3), role: 'admin', orgPublicKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, nextSeq: 1, sealedThrough: waiting.at(-1).seq },
          { key: 'sync', lastSyncedAt: LAST_SYNCED, directoryCursor: null },
        ]);
        await db.table('batches').add({
          batchId,
          seq: 0,
          fromSeq: waiting[0].seq,
          toSeq: waiting.at(-1).seq,
          eventIds: waiting.map((r) => r.id),
          activity: sealedPart,
          directory: sealedPart,
          state: 'pending',
          refusals: 0,
          lastError: null,
        });
      });
      return { ...fixture, batchIds: [batchId] };
    },
  },
  {
    // The admin's decrypted archive for reports, sealed at rest: a state row and one chunk per fetched page.
    version: 3,
    stores: { archive: 'id' },
    async fill(db, today) {
      const fixture = await HISTORY[1]!.fill(db, today);
      const seal = async (rowId: string, value: unknown) => ({ id: rowId, ...(await sealJson(fixture.keyring, `archive:${rowId}`, value)) });
      const archived = fixture.events.filter((e) => e.synced === 1).map((e) => e.event);
      const rows = [
        { ...(await seal('state', { v: 1, orgId: id(3), cursors: { activity: '1', directory: '1' }, batches: 1, events: archived.length, unreadable: [], refreshedAt: null })), rev: 1 },
        await seal('chunk:000000000001', { v: 1, events: archived }),
      ];
      await db.transaction('rw', db.tables, async () => {
        await db.table('archive').bulkPut(rows);
      });
      return { ...fixture, archiveIds: rows.map((r) => r.id).sort() };
    },
  },
  {
    // The kept count of waiting events, a row of the device table; no table changes.
    version: 4,
    stores: {},
    async fill(db, today) {
      const fixture = await HISTORY[2]!.fill(db, today);
      await db.table('device').put({ key: 'waiting', count: fixture.events.filter((e) => e.synced === 0).length });
      return fixture;
    },
  },
  {
    // Batches count their events instead of listing their ids, and event rows are keyed by tags of
    // their ids (written so by this release; rows of earlier ones are keyed again at unlock).
    version: 5,
    stores: {},
    async fill(db, today) {
      const fixture = await HISTORY[3]!.fill(db, today);
      const rows = await db.table('events').toArray();
      const tagged = await Promise.all(
        rows.map(async (row) => {
          const event = fixture.events.find((e) => e.event.id === row.id)!.event;
          return { ...(await sealEventRow(fixture.keyring, event)), seq: row.seq, synced: row.synced };
        }),
      );
      await db.transaction('rw', db.tables, async () => {
        await db.table('events').bulkPut(tagged);
        await db.table('batches').toCollection().modify((batch) => {
          batch.eventCount = batch.eventIds.length;
          delete batch.eventIds;
        });
        await db.table('device').where('key').equals('enrolment').modify((row) => Object.assign(row, { certificate: CERTIFICATE, authoritySince: AUTHORITY_SINCE }));
      });
      return fixture;
    },
  },
  {
    // The outbox keyed by tags only, its batches listing their rows; counters and times sealed
    // (the batch's number under the upload key, the enrolment's marks in the settings table).
    version: 6,
    stores: { outbox: 'id', batches: '&batchId, state, *rows' },
    async fill(db, today) {
      const fixture = await HISTORY[4]!.fill(db, today);
      const rows = await db.table('events').toArray();
      const waiting = rows.filter((r) => r.synced === 0);
      const batch = (await db.table('batches').toArray())[0];
      const upload = uploadSealer(fixture.keyring);
      const sealedBatch = batch && {
        batchId: batch.batchId,
        marks: await sealBatchMarks(upload, batch.batchId, { seq: 0 }),
        rows: waiting.filter((r) => r.seq >= batch.fromSeq && r.seq <= batch.toSeq).map((r) => r.id).sort(),
        eventCount: batch.eventCount,
        activity: batch.activity,
        directory: batch.directory,
        state: batch.state,
        refusals: batch.refusals,
        lastError: batch.lastError,
      };
      const marks = await sealMarks(fixture.keyring, { nextSeq: 1, certificate: CERTIFICATE, authoritySince: AUTHORITY_SINCE });
      const lastSync = { key: 'lastSync', ...(await sealJson(upload, 'device:lastSync', { at: LAST_SYNCED })) };
      await db.transaction('rw', db.tables, async () => {
        await db.table('outbox').bulkPut(waiting.map(({ id: key, iv, ct }) => ({ id: key, iv, ct })));
        await db.table('events').clear();
        await db.table('batches').clear();
        if (sealedBatch) await db.table('batches').put(sealedBatch);
        const enrolment = await db.table('device').get('enrolment');
        if (enrolment) {
          const { nextSeq: _n, sealedThrough: _s, certificate: _c, authoritySince: _a, ...clear } = enrolment;
          await db.table('device').put(clear);
          await db.table('settings').put(marks);
          await db.table('device').bulkPut([lastSync, { key: 'sync', directoryCursor: null }]);
        }
      });
      return fixture;
    },
  },
  {
    // Batches without the index of the rows they list (nothing else changed).
    version: 7,
    stores: { batches: '&batchId, state' },
    fill: (db, today) => HISTORY[5]!.fill(db, today),
  },
];

/** A database exactly as a device on `upTo` left it, declared with every version up to it. */
function historicDb(name: string, upTo: HistoricVersion): Dexie {
  const db = new Dexie(name);
  for (const h of HISTORY.filter((x) => x.version <= upTo.version)) db.version(h.version).stores(h.stores);
  return db;
}

const opened: Dexie[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

describe('database versions', () => {
  it('lists every version the current database declares', () => {
    const current = new FootfallDb(uniqueDbName('migrations'));
    expect(current.verno).toBe(HISTORY.at(-1)!.version);
    expect(HISTORY.map((h) => h.version)).toEqual([...HISTORY.map((h) => h.version)].sort((a, b) => a - b));
  });

  describe.each(HISTORY.map((h) => [h.version, h] as const))('a device last opened at version %i', (_version, historic) => {
    it('keeps every event, unsynced ones included, and every row readable', async () => {
      const name = uniqueDbName(`migrations-v${historic.version}`);
      const today = localDateOf(Date.now(), 'Europe/London');
      const old = historicDb(name, historic);
      await old.open();
      const fixture = await historic.fill(old, today);
      old.close();

      const db = new FootfallDb(name);
      opened.push(db);
      await db.open();

      // Every waiting event is in the outbox, and only those: rows an early version marked synced
      // are ones the server has. The old log is empty.
      const waitingEvents = fixture.events.filter((e) => e.synced === 0).map((e) => e.event);
      expect(await readEvents(db, fixture.keyring)).toEqual(waitingEvents);
      const waiting = waitingEvents.length;
      expect(await db.outbox.count()).toBe(waiting);
      expect(await db.table('events').count()).toBe(0);
      // Counted once by the upgrade from the events themselves.
      expect(await db.device.get('waiting')).toEqual({ key: 'waiting', count: waiting });

      const vault = new Vault(db, fixture.keyring);
      expect((await vault.loadConfig()).sites.map((s) => s.key)).toEqual(['centre']);
      const women = await vault.loadWomen();
      expect(women.unreadable).toBe(0);
      expect(women.items.map((w) => [w.id, w.knownAs]).sort()).toEqual(fixture.women.map((w) => [w.id, w.knownAs]).sort());
      for (const [date, ids] of Object.entries(fixture.visitsOn)) {
        const visits = await vault.loadVisitsOn(date);
        expect(visits.unreadable).toBe(0);
        expect(visits.items.map((v) => v.id).sort()).toEqual([...ids].sort());
        for (const v of visits.items) expect(visitView(v, { timeZone: 'Europe/London' }).date).toBe(date);
      }
      const batches = await db.batches.toArray();
      expect(batches.map((b) => b.batchId)).toEqual(fixture.batchIds ?? []);
      // A batch counts its events; it no longer lists their ids, which date them.
      for (const b of batches) expect(Object.keys(b)).not.toContain('eventIds');
      expect(batches.map((b) => b.eventCount)).toEqual(fixture.batchIds ? [waiting] : []);
      // Each batch lists the rows it carries, and no run of seqs any more.
      for (const b of batches) {
        expect(b).not.toHaveProperty('fromSeq');
        expect((await eventIdsOf(db, fixture.keyring, b)).sort()).toEqual(waitingEvents.map((e) => e.id).sort());
      }
      // The counter that said how much of the log was sealed is gone: what no batch lists waits to be sealed.
      if (fixture.batchIds) expect(await db.device.get('enrolment')).not.toHaveProperty('sealedThrough');
      expect((await db.archive.toArray()).map((r) => r.id).sort()).toEqual(fixture.archiveIds ?? []);
      expect(await db.staff.get(fixture.staffId)).toMatchObject({ name: 'Grace', role: 'admin' });
      expect(await db.device.get('lock')).toMatchObject({ failures: 2, held: false });
    });

    it('boots to the lock screen and unlocks into the same records', async () => {
      const name = uniqueDbName(`migrations-boot-v${historic.version}`);
      const today = localDateOf(Date.now(), 'Europe/London');
      const old = historicDb(name, historic);
      await old.open();
      const fixture = await historic.fill(old, today);
      old.close();

      resetStore();
      const db = new FootfallDb(name);
      opened.push(db);
      await boot(db);
      const state = useFootfall.getState();
      expect(state.phase).toEqual({ kind: 'locked' });
      expect(state.lock.failures).toBe(2);
      // The count follows the lock screen.
      await vi.waitFor(() => expect(useFootfall.getState().unsynced).toBe(fixture.events.filter((e) => e.synced === 0).length));

      expect(await unlock(fixture.staffId, PIN)).toMatchObject({ ok: true });
      const s = currentSession();
      expect([...s.women.values()].map((w) => w.knownAs).sort()).toEqual(fixture.women.map((w) => w.knownAs).sort());
      expect(s.visits.map((v) => v.id).sort()).toEqual([...fixture.visitsOn[today]!].sort());
      const views = s.visits.map((v) => visitView(v, s.config));
      expect(views.find((v) => v.id === id(30))).toMatchObject({ services: ['meal', 'shower'], voided: false });
      expect(views.find((v) => v.id === id(40))).toMatchObject({ voided: true });

      // Unlocking keyed every event again by a tag, and its batch lists the new keys: nothing says when it was made.
      const keys = await db.outbox.toCollection().primaryKeys();
      expect(keys.filter((key) => key.includes('-'))).toEqual([]);
      const waitingEvents = fixture.events.filter((e) => e.synced === 0).map((e) => e.event);
      expect(await readEvents(db, fixture.keyring)).toEqual(waitingEvents);
      expect(useFootfall.getState().unsynced).toBe(waitingEvents.length);
      for (const b of await db.batches.toArray()) expect([...b.rows].sort()).toEqual([...keys].sort());

      // And sealed what it kept in the clear: the batch's number, the enrolment's marks, the last sync.
      const batches = await db.batches.toArray();
      for (const b of batches) {
        expect(b).not.toHaveProperty('seq');
        expect(await openBatchMarks(uploadSealer(fixture.keyring), b)).toEqual({ seq: 0 });
      }
      if (fixture.batchIds) {
        const enrolment = await db.device.get('enrolment');
        for (const field of ['nextSeq', 'sealedThrough', 'certificate', 'authoritySince']) expect(enrolment).not.toHaveProperty(field);
        expect((await readMarks(db, fixture.keyring)).marks).toEqual({ nextSeq: 1, ...(historic.version >= 5 && { certificate: CERTIFICATE, authoritySince: AUTHORITY_SINCE }) });
        expect(await db.device.get('sync')).not.toHaveProperty('lastSyncedAt');
        expect(await readLastSync(db, uploadSealer(fixture.keyring))).toBe(LAST_SYNCED);
      }
    });
  });

  it('a device upgraded mid-backlog keeps every waiting event in exactly one place: its old batch, or still to be sealed', async () => {
    const name = uniqueDbName('migrations-backlog');
    const old = historicDb(name, HISTORY[4]!);
    await old.open();
    const keyring = await createKeyring();
    const who = { deviceId: id(2), staffId: id(1) };
    const at = '2025-01-06T10:00:00.000Z';
    // 3,000 waiting events as version 5 kept them: the first 2,000 in two sealed batches, the rest not yet sealed.
    const events: FootfallEvent[] = Array.from({ length: 3000 }, (_, i) => ({ ...who, id: id(0x1000 + i), at, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId: 'centre', services: [] }));
    const rows = await Promise.all(events.map(async (event, i) => ({ ...(await sealEventRow(keyring, event)), seq: i + 1, synced: 0 })));
    const sealedPart = 'eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn';
    const batch = (n: number, fromSeq: number, toSeq: number) => ({ batchId: crypto.randomUUID(), seq: n, fromSeq, toSeq, eventCount: toSeq - fromSeq + 1, activity: sealedPart, directory: sealedPart, state: 'pending', refusals: 0, lastError: null });
    const batches = [batch(0, 1, 1200), batch(1, 1201, 2000)];
    await old.transaction('rw', old.tables, async () => {
      await old.table('events').bulkAdd(rows);
      await old.table('batches').bulkAdd(batches);
      await old.table('device').bulkPut([{ key: 'waiting', count: 3000 }, { key: 'enrolment', orgId: id(3), role: 'frontDesk', orgPublicKey: {}, nextSeq: 2, sealedThrough: 2000 }]);
    });
    old.close();

    const db = new FootfallDb(name);
    opened.push(db);
    await db.open();
    // Largest first: batch rows are keyed by random ids, in no order.
    const upgraded = (await db.batches.toArray()).sort((a, b) => b.rows.length - a.rows.length);
    const listed = upgraded.map((b) => b.rows);
    expect(listed.map((r) => r.length)).toEqual([1200, 800]);
    const byBatch = await Promise.all(upgraded.map((b) => eventIdsOf(db, keyring, b)));
    expect(byBatch.map((ids) => ids.sort())).toEqual([events.slice(0, 1200).map((e) => e.id), events.slice(1200, 2000).map((e) => e.id)]);
    const inBatches = new Set(listed.flat());
    const unsealed = (await db.outbox.toCollection().primaryKeys()).filter((key) => !inBatches.has(key));
    const unsealedIds = await Promise.all((await db.outbox.bulkGet(unsealed)).map(async (row) => (await openEventRow(keyring, row!)).id));
    expect(unsealedIds.sort()).toEqual(events.slice(2000).map((e) => e.id));
    expect(await db.device.get('waiting')).toEqual({ key: 'waiting', count: 3000 });

    // Acknowledging the first batch counts exactly its rows off, and sweeping deletes exactly them.
    await boot(db);
    await acknowledge((await db.batches.toArray()).find((b) => b.rows.length === 1200)!);
    expect(await db.device.get('waiting')).toEqual({ key: 'waiting', count: 1800 });
    await sweepAcknowledged();
    expect(await db.outbox.count()).toBe(1800);
    expect(await db.device.get('waiting')).toEqual({ key: 'waiting', count: 1800 });
  });

  it('refuses a database from a newer version with a clear message, and leaves it as it was', async () => {
    const name = uniqueDbName('migrations-newer');
    const newer = new Dexie(name);
    for (const h of HISTORY) newer.version(h.version).stores(h.stores);
    newer.version(HISTORY.at(-1)!.version + 1).stores({ outreach: 'id, dayTag' });
    await newer.open();
    await newer.table('outreach').put({ id: 'x', dayTag: 't' });
    await newer.table('device').put({ key: 'identity', deviceId: 'd', deviceName: 'Newer tablet', siteKey: 'centre', createdAt: '2026-01-01T00:00:00.000Z' });
    const nativeVersion = newer.backendDB().version;
    newer.close();

    resetStore();
    const db = new FootfallDb(name);
    opened.push(db);
    await boot(db);
    expect(useFootfall.getState().phase).toEqual({
      kind: 'failed',
      message: 'This device holds data from a newer version of Footfall. Reload to get the update.',
    });
    expect(useFootfall.getState().identity).toBeNull();

    const again = new Dexie(name);
    opened.push(again);
    await again.open();
    expect(again.backendDB().version).toBe(nativeVersion);
    expect(await again.table('outreach').toArray()).toEqual([{ id: 'x', dayTag: 't' }]);
  });
});
