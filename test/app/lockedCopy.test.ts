/**
 * A copy of a locked device's IndexedDB, read as a thief would read it: every object store, every
 * value, with no PIN. What it shows must be exactly the list in docs/security.md#what-a-copy-of-a-locked-device-shows
 * (and the README), point by point; no key, no woman's name or detail, no record time.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { lock } from '../../src/app/lock/access.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { useFootfall } from '../../src/app/store.ts';
import { core } from './helpers.ts';
import { newDevice, setUpOrganisationHere, startServer, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.dispose());

const NAMES = ['Zofia Kowalska', 'Amaka Obi'];
const DETAILS = { housing: 'rough-sleeping', exploitation: ['trafficking'] };

/** Every value of every object store of a database, as IndexedDB itself hands them out. */
async function rawStores(name: string): Promise<Map<string, { key: IDBValidKey; value: unknown }[]>> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const stores = new Map<string, { key: IDBValidKey; value: unknown }[]>();
  for (const store of Array.from(db.objectStoreNames)) {
    const rows = await new Promise<{ key: IDBValidKey; value: unknown }[]>((resolve, reject) => {
      const out: { key: IDBValidKey; value: unknown }[] = [];
      const cursor = db.transaction(store).objectStore(store).openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return resolve(out);
        out.push({ key: c.primaryKey, value: c.value });
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
    stores.set(store, rows);
  }
  db.close();
  return stores;
}

interface Leaf {
  path: string;
  value: unknown;
}

/** Every leaf of a stored value, with where it sits; bytes are read as text too. */
function leaves(value: unknown, path: string, out: Leaf[] = []): Leaf[] {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    out.push({ path, value: Buffer.from(value instanceof ArrayBuffer ? value : value.buffer).toString('latin1') });
  } else if (typeof CryptoKey !== 'undefined' && value instanceof CryptoKey) {
    out.push({ path, value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => leaves(v, `${path}[]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
  } else {
    out.push({ path, value });
  }
  return out;
}

const UUID_V7 = /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/gi;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

describe('a copy of a locked device', () => {
  let device: Device;
  let stores: Map<string, { key: IDBValidKey; value: unknown }[]>;
  let all: Leaf[];

  beforeAll(async () => {
    device = await newDevice('copy');
    const client = new SyncClient(server.url);
    await setUpOrganisationHere(client);
    const first = await registerWoman(core(), NAMES[0]!, DETAILS);
    await checkIn(core(), first.id, ['meal']);
    await core().vault.saveRecentAreas(core().staff.id, ['Station Road']);
    await syncRound(client, core());
    // Saved after the last sync: waiting for the server when the device is locked.
    const second = await registerWoman(core(), NAMES[1]!, { housing: 'sofa-surfing' });
    await checkIn(core(), second.id, ['shower']);
    await lock();
    stores = await rawStores(device.db.name);
    all = [...stores].flatMap(([store, rows]) => rows.flatMap((r) => [{ path: `${store} key`, value: String(r.key) }, ...leaves(r.value, store)]));
  }, 120_000);

  it('holds no key: no CryptoKey, no private key in JSON, no team key', () => {
    expect(all.filter((l) => typeof CryptoKey !== 'undefined' && l.value instanceof CryptoKey).map((l) => l.path)).toEqual([]);
    const text = all.map((l) => String(l.value)).join('\n');
    expect(text).not.toMatch(/"d":"/);
    expect(text).not.toMatch(/"raw":"/);
  });

  it('holds no woman’s name or detail, and no place', () => {
    const text = all.map((l) => String(l.value)).join('\n');
    for (const secret of [...NAMES, 'rough-sleeping', 'sofa-surfing', 'trafficking', 'Station Road', 'meal', 'shower']) expect(text).not.toContain(secret);
  });

  it('pads every sealed row to a size bucket', () => {
    const sizes = [...stores].flatMap(([, rows]) => rows.flatMap((r) => (r.value as { ct?: ArrayBuffer }).ct?.byteLength ?? []));
    expect(sizes.length).toBeGreaterThan(0);
    for (const size of sizes) expect([528, 1040, 2064, 4112, 8208, 16400, 32784, 65552]).toContain(size);
  });

  it('keys the events waiting for the server by tags only, and its batches list them in no order and carry no number', () => {
    const outbox = stores.get('outbox')!;
    expect(outbox.length).toBeGreaterThan(0); // saved after the last sync: waiting when it locked
    for (const { key, value } of outbox) {
      expect(key).toMatch(TAG);
      // Nothing beside the sealed bytes: no counter, no flag, no index.
      expect(Object.keys(value as object).sort()).toEqual(['ct', 'id', 'iv']);
    }
    // The log of earlier builds, keyed by an auto-incremented counter, is empty.
    expect(stores.get('events')).toEqual([]);
    const batches = stores.get('batches')!;
    expect(batches.length).toBeGreaterThan(0); // locking sealed them
    for (const { value } of batches) {
      const batch = value as Record<string, unknown> & { rows: string[]; eventCount: number };
      for (const field of ['seq', 'fromSeq', 'toSeq', 'eventIds']) expect(batch).not.toHaveProperty(field);
      expect(batch.rows).toHaveLength(batch.eventCount);
      expect(batch.rows).toEqual([...batch.rows].sort());
      for (const key of batch.rows) expect(key).toMatch(TAG);
    }
  });

  it('keeps no counter of batches or events, no certificate, no time of signing, of the last sync, of a revocation or of the clock', () => {
    const device = new Map(stores.get('device')!.map((r) => [String(r.key), r.value as Record<string, unknown>]));
    for (const field of ['nextSeq', 'sealedThrough', 'certificate', 'authoritySince']) expect(device.get('enrolment')).not.toHaveProperty(field);
    for (const field of ['lastSyncedAt', 'skewMs', 'revokedAt']) expect(device.get('sync')).not.toHaveProperty(field);
    // The last sync is sealed, under the key a locked page holds in memory only.
    expect(Object.keys(device.get('lastSync')!).sort()).toEqual(['ct', 'iv', 'key']);
  });

  it('a locked page that uploads seals the last-synced time it writes, and shows it from memory', async () => {
    const before = stores.get('device')!.find((r) => r.key === 'lastSync')!.value as { iv: Uint8Array };
    const round = await syncRound(new SyncClient(server.url), null);
    expect(round.acknowledged).toBeGreaterThan(0); // what locking sealed went up, locked
    const rows = await rawStores(device.db.name);
    const after = rows.get('device')!.find((r) => r.key === 'lastSync')!.value as { iv: Uint8Array };
    expect(Buffer.from(after.iv).equals(Buffer.from(before.iv))).toBe(false); // written again, sealed
    expect(rows.get('device')!.find((r) => r.key === 'sync')!.value).not.toHaveProperty('lastSyncedAt');
    await refreshStatus();
    expect(useFootfall.getState().sync.lastSyncedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('holds no number but those docs/security.md lists, and no time but those it lists', () => {
    const numbers = new Set(all.filter((l) => typeof l.value === 'number').map((l) => l.path));
    expect([...numbers].sort()).toEqual(NUMBERS_A_COPY_SHOWS);
    const times = new Set<string>();
    for (const { path, value } of all) {
      if (typeof value === 'number' && value >= EPOCH_MS_FROM && value <= EPOCH_MS_TO) times.add(`time: ${path}`);
      if (typeof value !== 'string') continue;
      for (const [uuid] of value.matchAll(UUID_V7)) if (plausibleTime(uuid)) times.add(`time in an id: ${path}`);
      if (ISO_TIME.test(value)) times.add(`timestamp: ${path}`);
    }
    expect([...times].sort()).toEqual(WHAT_A_COPY_SHOWS_OF_TIME);
  });
});

const TAG = /^[0-9a-f]{32}$/;
/** Epoch milliseconds from 2001 to 2100: a number in this range is read as a time. */
const EPOCH_MS_FROM = 1e12;
const EPOCH_MS_TO = 4_102_444_800_000;

/** Whether a UUIDv7's first 48 bits are a time between 2001 and 2100. */
function plausibleTime(uuid: string): boolean {
  const ms = parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
  return ms >= EPOCH_MS_FROM && ms <= EPOCH_MS_TO;
}

/**
 * Every number a copy shows, where it sits, as docs/security.md#what-a-copy-of-a-locked-device-shows
 * lists them: none of them is a time, a sequence or an order.
 */
const NUMBERS_A_COPY_SHOWS: string[] = [
  // How many events each batch carries, and how often the server refused it.
  'batches.eventCount',
  'batches.refusals',
  // The wrong-PIN counter, and how the directory was read (a version).
  'device.directoryForm',
  'device.failures',
  // The waiting count the lock screen shows.
  'device.count',
  // The PIN wrap's iteration count.
  'staff.wrappedRoot.iterations',
].sort();

/**
 * The places a copy still shows a time, as docs/security.md#what-a-copy-of-a-locked-device-shows lists them. Each
 * line is a point of that list; a change that hides one removes it here and there.
 */
const WHAT_A_COPY_SHOWS_OF_TIME: string[] = [
  // None: the device's own id is random, and people's ids have a zero time field (src/crypto/ids.ts).
];
