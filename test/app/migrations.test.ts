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
import { sealEventRow, Vault } from '../../src/app/core/vault.ts';
import { acknowledge } from '../../src/app/core/outbox.ts';
import { visitView } from '../../src/app/frontDesk/visitView.ts';
import { blindTag, sealJson } from '../../src/crypto/atRest.ts';
import { createKeyring, wrapRoot, type Keyring } from '../../src/crypto/keyring.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { localDateOf } from '../../src/domain/time.ts';
import { currentSession, readEvents, resetStore, uniqueDbName } from './helpers.ts';

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
      });
      return fixture;
    },
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

      const rows = await db.events.orderBy('seq').toArray();
      expect(rows.map((r) => r.synced)).toEqual(fixture.events.map(({ synced }) => synced));
      expect(await readEvents(db, fixture.keyring)).toEqual(fixture.events.map((e) => e.event));
      const waiting = fixture.events.filter((e) => e.synced === 0).length;
      expect(await db.events.where('synced').equals(0).count()).toBe(waiting);
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

      // Unlocking keyed every event again by a tag, in its place in the log: nothing says when it was made.
      const rows = await db.events.orderBy('seq').toArray();
      expect(rows.filter((r) => r.id.includes('-'))).toEqual([]);
      expect(rows.map((r) => r.synced)).toEqual(fixture.events.map(({ synced }) => synced));
      expect(await readEvents(db, fixture.keyring)).toEqual(fixture.events.map((e) => e.event));
      expect(useFootfall.getState().unsynced).toBe(fixture.events.filter((e) => e.synced === 0).length);
    });
  });

  it('acknowledging a run that holds rows an early version marked synced takes only the waiting ones off the count', async () => {
    const name = uniqueDbName('migrations-ack');
    const today = localDateOf(Date.now(), 'Europe/London');
    const old = historicDb(name, HISTORY[0]!);
    await old.open();
    const fixture = await HISTORY[0]!.fill(old, today);
    old.close();

    const db = new FootfallDb(name);
    opened.push(db);
    await boot(db);
    const rows = await db.events.orderBy('seq').toArray();
    const waiting = fixture.events.filter((e) => e.synced === 0).length;
    expect(waiting).toBeLessThan(rows.length);
    expect(await db.device.get('waiting')).toEqual({ key: 'waiting', count: waiting });
    // Sealing starts from the first row, so a device's first batch carries the rows marked synced too.
    const run = rows.slice(0, -1);
    const sealed = 'eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn';
    await acknowledge({ batchId: crypto.randomUUID(), seq: 0, fromSeq: run[0]!.seq!, toSeq: run.at(-1)!.seq!, eventCount: run.length, activity: sealed, directory: sealed, state: 'pending', refusals: 0, lastError: null });
    expect(await db.device.get('waiting')).toEqual({ key: 'waiting', count: 1 });
    expect(await db.events.where('synced').equals(0).count()).toBe(1);
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
