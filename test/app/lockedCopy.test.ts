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

const UUID_V7 = /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/i;
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

  it('keys the events waiting for the server by tags, and its batches list no event ids', () => {
    const events = stores.get('events')!;
    expect(events.length).toBeGreaterThan(0); // saved after the last sync: waiting when it locked
    for (const { value } of events) expect((value as { id: string }).id).toMatch(/^[0-9a-f]{32}$/);
    const batches = stores.get('batches')!;
    expect(batches.length).toBeGreaterThan(0); // locking sealed them
    for (const { value } of batches) {
      expect(value).not.toHaveProperty('eventIds');
      expect((value as { eventCount: number }).eventCount).toBeGreaterThan(0);
    }
  });

  it('keeps no clock skew: the page that measured it holds it in memory', () => {
    const sync = stores.get('device')!.find((r) => r.key === 'sync')!.value;
    expect(sync).toHaveProperty('lastSyncedAt');
    expect(sync).not.toHaveProperty('skewMs');
  });

  it('shows what docs/security.md lists, and nothing else', () => {
    const shown = new Set<string>();
    for (const { path, value } of all) {
      if (typeof value !== 'string') continue;
      if (UUID_V7.test(value)) shown.add(`time in an id: ${path}`);
      if (ISO_TIME.test(value)) shown.add(`timestamp: ${path}`);
    }
    expect([...shown].sort()).toEqual(WHAT_A_COPY_SHOWS_OF_TIME);
  });
});

/**
 * The places a copy still shows a time, as docs/security.md#what-a-copy-of-a-locked-device-shows lists them. Each
 * line is a point of that list; a change that hides one removes it here and there.
 */
const WHAT_A_COPY_SHOWS_OF_TIME: string[] = [
  // When the device was set up, and when each person was added to it.
  'time in an id: device.deviceId',
  'time in an id: staff key',
  'time in an id: staff.id',
  // When the organisation began to sign its changes, and when this device last reached the server.
  'timestamp: device.authoritySince',
  'timestamp: device.lastSyncedAt',
];
