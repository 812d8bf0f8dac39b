/**
 * Fault tests (docs/sync.md#how-the-invariant-is-tested), in Node: real devices (fake-indexeddb + the app's own actions and
 * outbox) against the real endpoint (Fastify + SQLite) over HTTP, with the network and the server
 * made to misbehave. Every scenario ends with the invariant (docs/sync.md#the-invariant): each event saved on any device
 * appears exactly once when the admin opens the archive (with the organisation key unwrapped from
 * her passphrase), and nothing is left waiting on the devices once the faults stop, except where
 * the scenario says so. Beyond what the reader sees, it also checks that the server holds each
 * event in one stored batch only: duplicates were recognised by batch id, not merely hidden by the
 * reader's de-duplication.
 */
import type { OrgKeyring } from '../../src/crypto/orgKeyring.ts';
import 'fake-indexeddb/auto';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { messageOf } from '../../src/app/problems.ts';
import type { OutboxRow } from '../../src/app/core/database.ts';
import { readMarks, uploadSealer } from '../../src/app/core/marks.ts';
import { readArchive, type Archive } from '../../src/app/admin/archive/archiveReader.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { createEnrolmentCode, revokeDevice } from '../../src/app/sync/organisation.ts';
import { pendingBatches, reserveSeqs, retryQuarantined } from '../../src/app/core/outbox.ts';
import { isDirectoryEvent } from '../../src/app/core/batchSealing.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { readSyncState } from '../../src/app/core/device.ts';
import { useFootfall } from '../../src/app/store.ts';
import { enrolmentKeys } from '../../src/crypto/enrolmentCode.ts';
import { generateTeamKey, jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { MESSAGES } from '../../src/server/api/errors.ts';
import type { Storage } from '../../src/server/storage/types.ts';
import { currentSession, snapshotRows, core, enrolmentOf, eventIdsOf, readEvents } from './helpers.ts';
import { Ledger, PASSPHRASE, addMember, archiveKeysOf, credentialsOf, isCurrent, joinDevice, joinWith, newDevice, organisationKey, recordSome, setUpOrganisationHere, startServer, storedCopies, syncUntilDone, use, waiting, type Device, type RunningServer } from './syncHarness.ts';

const servers: RunningServer[] = [];
let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
  servers.push(server);
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const dir of new Set(servers.map((s) => s.dataDir))) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// An organisation: its admin's device (which records and uploads like any other), any tablets,
// and the ledger of every event saved on any of them.

interface Org {
  admin: Device;
  devices: Device[];
  ledger: Ledger;
  orgKey?: OrgKeyring;
}

async function newOrganisation(url: string): Promise<Org> {
  const admin = await newDevice('admin');
  await setUpOrganisationHere(new SyncClient(url));
  return { admin, devices: [admin], ledger: new Ledger() };
}

/** A new front-desk tablet, enrolled with a code from the admin; it is the current device after. */
async function enrolTablet(org: Org, url: string): Promise<Device> {
  const tablet = await joinDevice(org.admin, new SyncClient(url), 'tablet', { ledger: org.ledger });
  org.devices.push(tablet);
  return tablet;
}

interface InvariantOptions {
  /** Devices the scenario expects to still hold records (a revoked one). */
  stillWaiting?: Device[];
  /** Events the scenario expects not to be readable in the archive (never uploaded, or damaged). */
  missing?: Iterable<string>;
  /** Batches the admin's reader must report as unreadable. */
  unreadable?: string[];
}

/**
 * The invariant of docs/sync.md#the-invariant, as the admin sees it: she unlocks her device, unwraps the
 * organisation key with her passphrase and reads the whole archive.
 */
async function expectInvariant(org: Org, url: string, options: InvariantOptions = {}): Promise<Archive> {
  for (const device of org.devices) {
    if (options.stillWaiting?.includes(device)) continue;
    expect(await waiting(device), `records left waiting on ${device.deviceId}`).toEqual({ events: 0, batches: 0 });
  }
  if (!isCurrent(org.admin)) await use(org.admin);
  const client = new SyncClient(url);
  const creds = await credentialsOf(org.admin);
  org.orgKey ??= await organisationKey(client, org.admin, PASSPHRASE);
  const keys = await archiveKeysOf(org.admin, org.orgKey);
  const archive = await readArchive(client, creds, keys);

  expect([...archive.unreadable].sort()).toEqual([...(options.unreadable ?? [])].sort());
  const ids = archive.events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const missing = new Set(options.missing ?? []);
  const expected = [...org.ledger.keys()].filter((id) => !missing.has(id)).sort();
  expect([...ids].sort()).toEqual(expected);
  // Exactly as saved: not a forged or altered copy.
  for (const e of archive.events) expect(e).toEqual(org.ledger.get(e.id));
  // And the server holds each once: every repeated delivery was recognised as the same batch.
  const copies = await storedCopies(client, creds, keys);
  expect([...copies].filter(([, n]) => n > 1)).toEqual([]);
  return archive;
}

// ---------------------------------------------------------------------------------------------
// Faulty networks: wrappers around the real fetch, and what the server actually stored.

type Fetch = typeof fetch;

/** The request reached the server and was handled; the answer is read and thrown away. */
async function deliver(input: Parameters<Fetch>[0], init: Parameters<Fetch>[1]): Promise<Response> {
  const response = await fetch(input, init);
  await response.arrayBuffer();
  return response;
}

const cut = () => new TypeError('fetch failed', { cause: new Error('other side closed') });

/** Never answers; rejects as AbortSignal.timeout does, after `ms` (not the client's 30 s). */
function hangUntilTimeout(ms = 5): Promise<Response> {
  return new Promise((_, reject) => {
    const signal = AbortSignal.timeout(ms);
    signal.addEventListener('abort', () => reject(signal.reason));
  });
}

function serverError(status = 500): Response {
  const message = status === 503 ? 'Service unavailable.' : MESSAGES.serverError;
  return new Response(JSON.stringify({ error: 'server_error', message }), { status, headers: { 'content-type': 'application/json' } });
}

const isUpload = (init: Parameters<Fetch>[1]) => init?.method === 'PUT';
const batchIdOf = (input: Parameters<Fetch>[0]) => String(input).split('/batches/')[1]!;

/** A network that is down: nothing reaches the server. */
const offline = new SyncClient('http://127.0.0.1:9', async () => {
  throw cut();
});

/**
 * Seals what is waiting on the current device into a batch without uploading it, as locking does
 * (a round that cannot reach the server seals only full batches).
 */
async function sealOffline(device: Device): Promise<void> {
  const enrolment = await enrolmentOf(device.db);
  if (!enrolment) throw new Error('the device is not enrolled');
  await core().sealWaiting(enrolment);
}

interface Upload {
  batchId: string;
  deviceId: string;
  seq: number;
  status: string;
}

/** Every upload the server handled, in order, with what storage answered. */
function tapUploads(storage: Storage) {
  const real = storage.putBatch.bind(storage);
  const uploads: Upload[] = [];
  const logged = async (...args: Parameters<Storage['putBatch']>) => {
    const [b] = args;
    const result = await real(...args);
    uploads.push({ batchId: b.batchId, deviceId: b.deviceId, seq: b.seq, status: result.status });
    return result;
  };
  const spy = vi.spyOn(storage, 'putBatch').mockImplementation(logged);
  return { uploads, spy, logged };
}

function byBatch(uploads: Upload[]): Map<string, Upload[]> {
  const out = new Map<string, Upload[]>();
  for (const u of uploads) out.set(u.batchId, [...(out.get(u.batchId) ?? []), u]);
  return out;
}

/** `n` anonymous check-ins saved at once through the device's vault (the app's save path). */
async function saveMany(org: Org, device: Device, n: number): Promise<void> {
  const s = currentSession();
  const identity = useFootfall.getState().identity!;
  const events: FootfallEvent[] = Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.now() + i).toISOString();
    return { id: uuidv7(), at, deviceId: identity.deviceId, staffId: s.staff.id, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId: identity.siteKey, services: ['meal'] };
  });
  await core().vault.commit(events);
  device.saved = await org.ledger.collect(device);
}

/** Damages one character in the middle of a compact JWE's ciphertext, keeping it well formed. */
function damage(jwe: string): string {
  const parts = jwe.split('.');
  const ct = parts[3]!;
  const at = Math.floor(ct.length / 2);
  parts[3] = ct.slice(0, at) + (ct[at] === 'A' ? 'B' : 'A') + ct.slice(at + 1);
  return parts.join('.');
}

// =============================================================================================

/** The current device's batches waiting, in the order they were sealed, their sealed numbers opened. */
function batchesInOrder() {
  return pendingBatches(uploadSealer(core().keyring));
}

describe('the server killed mid-upload, and started again on the same data folder', () => {
  let srv: RunningServer;
  let org: Org;
  let client: SyncClient;

  /** A new server process on the same SQLite folder and the same port: the devices' address does not change. */
  async function restart(): Promise<void> {
    const next = await startServer(srv.dataDir, srv.port);
    servers.push(next);
    expect(next.url).toBe(srv.url);
    srv = next;
  }

  /** Three batches waiting on the admin's device, sealed one after another while offline. */
  async function threeBatches(tag: string): Promise<string[]> {
    for (const i of [1, 2, 3]) {
      await recordSome(org.ledger, org.admin, [`${tag} ${i}`]);
      await sealOffline(org.admin);
    }
    const batches = await batchesInOrder();
    expect(batches).toHaveLength(3);
    return batches.map((b) => b.batchId);
  }

  beforeAll(async () => {
    srv = await startServer();
    servers.push(srv);
    client = new SyncClient(srv.url);
    org = await newOrganisation(srv.url);
  });

  it('after storing the first batch, before answering: the batch is sent again and recognised', async () => {
    const ids = await threeBatches('Killed after commit');
    const { spy, logged } = tapUploads(srv.storage);
    spy.mockImplementationOnce(async (...args) => {
      const result = await logged(...args);
      srv.kill(); // committed to SQLite; the answer never leaves
      return result;
    });
    const round = await syncRound(client, core());
    expect(round.stopped?.kind).toBe('unreachable');
    expect(await org.admin.db.batches.count()).toBe(3); // nothing let go without an answer

    await restart();
    const after = tapUploads(srv.storage);
    await syncUntilDone(org.admin, client);
    expect(after.uploads.map((u) => [u.batchId, u.status])).toEqual([
      [ids[0], 'duplicate'],
      [ids[1], 'stored'],
      [ids[2], 'stored'],
    ]);
    await expectInvariant(org, srv.url);
  });

  it('after receiving the first batch, before storing it: nothing half-stored, all sent again', async () => {
    const ids = await threeBatches('Killed before commit');
    const { spy } = tapUploads(srv.storage);
    spy.mockImplementationOnce(async () => {
      srv.kill();
      throw new Error('the process died');
    });
    const round = await syncRound(client, core());
    expect(round.stopped?.kind).toBe('unreachable');

    await restart();
    const after = tapUploads(srv.storage);
    await syncUntilDone(org.admin, client);
    expect(after.uploads.map((u) => [u.batchId, u.status])).toEqual(ids.map((id) => [id, 'stored']));
    await expectInvariant(org, srv.url);
  });

  it('between batches: the first is acknowledged, the rest wait for the new server', async () => {
    const ids = await threeBatches('Killed between batches');
    let killed = false;
    const dying = new SyncClient(srv.url, async (input, init) => {
      const response = await fetch(input, init);
      if (!isUpload(init) || killed) return response;
      // The whole answer to the first upload arrives, then the server dies.
      const body = await response.text();
      killed = true;
      srv.kill();
      return new Response(body, { status: response.status, headers: response.headers });
    });
    const round = await syncRound(dying, core());
    expect(round.stopped?.kind).toBe('unreachable');
    expect(round.acknowledged).toBeGreaterThan(0);
    expect((await batchesInOrder()).map((b) => b.batchId)).toEqual(ids.slice(1));

    await restart();
    const after = tapUploads(srv.storage);
    await syncUntilDone(org.admin, client);
    expect(after.uploads.map((u) => [u.batchId, u.status])).toEqual(ids.slice(1).map((id) => [id, 'stored']));
    await expectInvariant(org, srv.url);
  });
});

// =============================================================================================

describe('the connection cut mid-batch, 500s and timeouts', () => {
  let org: Org;
  let url: string;

  beforeAll(async () => {
    url = server.url;
    org = await newOrganisation(url);
  });

  it('the upload reaches the server but the answer never comes back, twice for every batch', async () => {
    for (const i of [1, 2]) {
      await recordSome(org.ledger, org.admin, [`Cut ${i}`]);
      await sealOffline(org.admin);
    }
    await recordSome(org.ledger, org.admin, ['Cut 3']);
    const { uploads } = tapUploads(server.storage);
    const tries = new Map<string, number>();
    const cutting = new SyncClient(url, async (input, init) => {
      if (!isUpload(init)) return fetch(input, init);
      const id = batchIdOf(input);
      tries.set(id, (tries.get(id) ?? 0) + 1);
      if (tries.get(id)! > 2) return fetch(input, init);
      await deliver(input, init);
      throw cut();
    });
    const rounds = await syncUntilDone(org.admin, cutting, 20);
    expect(rounds.filter((r) => r.stopped?.kind === 'unreachable').length).toBe(6); // two cuts for each of three batches
    expect([...tries.values()]).toEqual([3, 3, 3]);
    // Each batch stored once, then recognised twice.
    for (const [, list] of byBatch(uploads)) expect(list.map((u) => u.status)).toEqual(['stored', 'duplicate', 'duplicate']);
    await expectInvariant(org, url);
  });

  it('500 and 503 answers, from a proxy and from the server itself, and a 500 after the batch was stored', async () => {
    await recordSome(org.ledger, org.admin, ['Five hundred 1']);
    await sealOffline(org.admin);
    await recordSome(org.ledger, org.admin, ['Five hundred 2']);
    const { spy, logged, uploads } = tapUploads(server.storage);
    // The server's disk fails during one upload: it answers 500 and stores nothing.
    spy.mockImplementationOnce(async () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    });
    // Next, the batch is committed, but the server fails before answering: a 500 for a stored batch.
    spy.mockImplementationOnce(async (...args) => {
      await logged(...args);
      throw new Error('the database connection dropped after the commit');
    });

    let calls = 0;
    const proxy = new SyncClient(url, async (input, init) => {
      calls++;
      if (calls === 1) return serverError(503); // the team keys fetch
      if (calls === 2) return serverError(500);
      return fetch(input, init);
    });
    const rounds: { stopped: string | undefined; message: string | undefined }[] = [];
    for (let i = 0; i < 10 && (await waiting(org.admin)).batches + (await waiting(org.admin)).events > 0; i++) {
      const r = await syncRound(proxy, core());
      rounds.push({ stopped: r.stopped?.kind, message: r.stopped?.message });
    }
    // The proxy's 500 on the first upload; the server's own 500 (its contract message); the 500 after storing.
    expect(rounds.slice(0, 3)).toEqual([
      { stopped: 'unreachable', message: MESSAGES.serverError },
      { stopped: 'unreachable', message: MESSAGES.serverError },
      { stopped: 'unreachable', message: MESSAGES.serverError },
    ]);
    expect(uploads.map((u) => u.status)).toEqual(['stored', 'duplicate', 'stored']);
    await expectInvariant(org, url);
  });

  it('timeouts: requests that never reach the server, and answers too late to be read', async () => {
    for (const i of [1, 2]) {
      await recordSome(org.ledger, org.admin, [`Timeout ${i}`]);
      await sealOffline(org.admin);
    }
    const { uploads } = tapUploads(server.storage);
    // Counted apart, uploads and other requests: a round reads the directory beside its uploads,
    // so one count over both could fail the same upload of every round.
    const calls = { upload: 0, other: 0 };
    const timeouts: string[] = [];
    const slow = new SyncClient(url, async (input, init) => {
      const n = ++calls[isUpload(init) ? 'upload' : 'other'];
      if (n % 3 === 1) {
        // The request hangs before it is sent, until the timeout aborts it.
        return hangUntilTimeout(5).catch((error: unknown) => {
          timeouts.push((error as Error).name);
          throw error;
        });
      }
      if (n % 3 === 2 && isUpload(init)) {
        // The server stores it, but the answer arrives after the client gave up.
        await deliver(input, init);
        timeouts.push('TimeoutError');
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      }
      return fetch(input, init);
    });
    const started = Date.now();
    await syncUntilDone(org.admin, slow, 30);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(timeouts.length).toBeGreaterThan(2);
    expect(new Set(timeouts)).toEqual(new Set(['TimeoutError']));
    expect(uploads.some((u) => u.status === 'duplicate')).toBe(true);
    await expectInvariant(org, url);
  });
});

// =============================================================================================

describe('a device whose clock is wrong', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('two hours slow, it still syncs: each request is signed again in the server’s time, nothing is set aside, and the skew is shown', async () => {
    const url = server.url;
    const real = Date.now.bind(Date);
    // The device's clock (the app reads Date.now); the endpoint's is right (it reads new Date()).
    vi.spyOn(Date, 'now').mockImplementation(() => real() - 2 * 60 * 60_000);
    const org = await newOrganisation(url);
    await recordSome(org.ledger, org.admin, ['Slow clock 1', 'Slow clock 2']);
    const refusedAsStale: string[] = [];
    const watching = new SyncClient(url, async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) refusedAsStale.push(String((await response.clone().json()).error));
      return response;
    });
    const results = await syncUntilDone(org.admin, watching, 5);
    // Refused once, when the device had not yet heard the server's time; signed again in it then.
    expect(refusedAsStale.length).toBeGreaterThan(0);
    expect(new Set(refusedAsStale)).toEqual(new Set(['stale_request']));
    expect(results.every((r) => r.stopped === null)).toBe(true);
    expect(await org.admin.db.batches.where('state').equals('quarantined').count()).toBe(0);
    const skew = results.at(-1)!.skewMs!;
    expect(Math.abs(skew - 2 * 60 * 60_000)).toBeLessThan(60_000);
    await refreshStatus();
    expect(useFootfall.getState().sync.skewMs).toBe(skew);
    vi.restoreAllMocks();
    await expectInvariant(org, url);
  });
});

// =============================================================================================

describe('duplicated and reordered deliveries', () => {
  let org: Org;
  let url: string;

  beforeAll(async () => {
    url = server.url;
    org = await newOrganisation(url);
  });

  it('every upload delivered twice, one after the other and both at once', async () => {
    for (const i of [1, 2]) {
      await recordSome(org.ledger, org.admin, [`Twice ${i}`]);
      await sealOffline(org.admin);
    }
    await recordSome(org.ledger, org.admin, ['Twice 3']);
    const { uploads } = tapUploads(server.storage);
    let n = 0;
    const echo = new SyncClient(url, async (input, init) => {
      if (!isUpload(init)) return fetch(input, init);
      if (n++ % 2 === 0) {
        await deliver(input, init);
        return fetch(input, init);
      }
      const [, second] = await Promise.all([deliver(input, init), fetch(input, init)]);
      return second;
    });
    await syncUntilDone(org.admin, echo, 5);
    expect(uploads).toHaveLength(6);
    for (const [, list] of byBatch(uploads)) expect(list.map((u) => u.status).sort()).toEqual(['duplicate', 'stored']);
    await expectInvariant(org, url);
  });

  it('a later batch arrives first: the first is refused once, the ones behind it go on', async () => {
    for (const i of [1, 2]) {
      await recordSome(org.ledger, org.admin, [`Behind ${i}`]);
      await sealOffline(org.admin);
    }
    const seqs = (await batchesInOrder()).map((b) => b.seq);
    const { uploads } = tapUploads(server.storage);
    let refused = false;
    const hiccup = new SyncClient(url, async (input, init) => {
      if (isUpload(init) && !refused) {
        refused = true;
        return new Response(JSON.stringify({ error: 'invalid_request', message: 'A proxy refused this request.' }), {
          status: 400,
          headers: { 'content-type': 'application/json' },
        });
      }
      return fetch(input, init);
    });
    await syncRound(hiccup, core());
    const [held] = await batchesInOrder();
    expect(held).toMatchObject({ seq: seqs[0], state: 'pending', refusals: 1, lastError: 'A proxy refused this request.' });
    await syncUntilDone(org.admin, hiccup, 5);
    expect(uploads.map((u) => u.seq)).toEqual([seqs[1], seqs[0]]);
    await expectInvariant(org, url);
  });

  it('uploads held back by the network and delivered in reverse order, then sent again', async () => {
    for (const i of [1, 2, 3]) {
      await recordSome(org.ledger, org.admin, [`Reversed ${i}`]);
      await sealOffline(org.admin);
    }
    const seqs = (await batchesInOrder()).map((b) => b.seq);
    const held: [Parameters<Fetch>[0], Parameters<Fetch>[1]][] = [];
    const holding = new SyncClient(url, async (input, init) => {
      if (!isUpload(init)) return fetch(input, init);
      held.push([input, { ...init, signal: null }]);
      // A gateway gives up on it; the device records a refusal and goes on with the next.
      return new Response(JSON.stringify({ error: 'invalid_request', message: 'Held by the gateway.' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      });
    });
    await syncRound(holding, core());
    expect(held).toHaveLength(3);
    const { uploads } = tapUploads(server.storage);
    for (const [input, init] of held.reverse()) expect((await deliver(input, init)).status).toBe(201);
    await syncUntilDone(org.admin, new SyncClient(url), 5);
    expect(uploads.map((u) => [u.seq, u.status])).toEqual([
      [seqs[2], 'stored'],
      [seqs[1], 'stored'],
      [seqs[0], 'stored'],
      [seqs[0], 'duplicate'],
      [seqs[1], 'duplicate'],
      [seqs[2], 'duplicate'],
    ]);
    await expectInvariant(org, url);
  });
});

// =============================================================================================

describe('two tabs syncing the same device at once (no Web Locks in Node: the outbox’s own guard)', () => {
  let org: Org;
  let url: string;

  beforeAll(async () => {
    url = server.url;
    org = await newOrganisation(url);
  });

  it('two rounds sealing at once never put an event in two batches', async () => {
    const { db } = org.admin;
    await recordSome(org.ledger, org.admin, ['Tab A']);
    await sealOffline(org.admin);
    await saveMany(org, org.admin, 2300);
    await recordSome(org.ledger, org.admin, ['Tab B']);

    await Promise.all([sealOffline(org.admin), sealOffline(org.admin), sealOffline(org.admin)]);
    const batches = await pendingBatches(uploadSealer(core().keyring));
    const rows = await db.outbox.toCollection().primaryKeys();
    const inBatches = batches.flatMap((b) => b.rows);
    expect(batches.length).toBeGreaterThanOrEqual(2); // the earlier one, and at least one more
    expect(inBatches).toHaveLength(new Set(inBatches).size); // no event in two batches
    expect(new Set(inBatches)).toEqual(new Set(rows)); // and every event in one
    // Each batch counts exactly the rows it lists.
    for (const b of batches) expect(b.rows).toHaveLength(b.eventCount);
    const seqs = batches.map((b) => b.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await readMarks(db, core().keyring)).marks.nextSeq).toBe(Math.max(...seqs) + 1);

    const client = new SyncClient(url);
    const [a, b] = await Promise.all([
      syncRound(client, core()),
      syncRound(client, core()),
    ]);
    expect(a.stopped).toBeNull();
    expect(b.stopped).toBeNull();
    expect(await waiting(org.admin)).toEqual({ events: 0, batches: 0 });
    await expectInvariant(org, url);
  });

  it('another tab taking a number between two batches being stored: the ones before stand, the next is dropped unwritten, no number used twice', async () => {
    const { db } = org.admin;
    await saveMany(org, org.admin, 4000); // at least one full batch, and a last one filling
    const enrolment = (await enrolmentOf(db))!;
    const { nextSeq } = (await readMarks(db, core().keyring)).marks;
    const stored: number[] = [];
    let taken: number | null = null;
    await core().sealWaiting(enrolment, {
      stored: (batch) => stored.push(batch.seq),
      // Asked once the full batches are stored: another tab (an admin's compaction) takes a number first.
      lastBatch: async () => {
        taken = await reserveSeqs(core().keyring, 1);
        return true;
      },
    });
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored).toEqual(stored.map((_, i) => nextSeq + i));
    expect(taken).toBe(nextSeq + stored.length);
    const sealedNow = await pendingBatches(uploadSealer(core().keyring));
    expect(sealedNow.map((b) => b.seq)).toEqual(stored); // the last batch was not written
    expect((await readMarks(db, core().keyring)).marks.nextSeq).toBe(nextSeq + stored.length + 1);
    const listed = new Set(sealedNow.flatMap((b) => b.rows));
    const rows = await db.outbox.toCollection().primaryKeys();
    expect(rows.filter((key) => !listed.has(key)).length).toBeGreaterThan(0); // still waiting

    // The next sealing takes the rest, from the number after the one taken.
    await sealOffline(org.admin);
    const batches = await pendingBatches(uploadSealer(core().keyring));
    expect(batches.map((b) => b.seq)).toEqual([...stored, nextSeq + stored.length + 1]);
    const inBatches = batches.flatMap((b) => b.rows);
    expect(inBatches).toHaveLength(new Set(inBatches).size);
    expect(new Set(inBatches)).toEqual(new Set(rows));

    await syncUntilDone(org.admin, new SyncClient(url));
    expect(await waiting(org.admin)).toEqual({ events: 0, batches: 0 });
    await expectInvariant(org, url);
  });

  it('rounds that cannot reach the server keep the last batch filling: one small batch for a stretch offline, not one per round', async () => {
    const { db } = org.admin;
    for (const name of ['Offline 1', 'Offline 2', 'Offline 3', 'Offline 4']) {
      await recordSome(org.ledger, org.admin, [name]);
      expect((await syncRound(offline, core())).stopped?.kind).toBe('unreachable');
    }
    // The first round had nothing pending and sealed what waited (it could not know it was
    // offline); the ones after it found that batch unanswered and sealed nothing more.
    const [batch, ...more] = await db.batches.toArray();
    expect(more).toEqual([]);
    const waitingEvents = (await waiting(org.admin)).events;
    expect(waitingEvents).toBeGreaterThan(batch!.eventCount);

    // Back online: that batch goes up, then everything saved since goes in one more.
    const { uploads } = tapUploads(server.storage);
    const result = await syncRound(new SyncClient(url), core());
    expect(result).toMatchObject({ stopped: null, acknowledged: waitingEvents });
    expect(uploads.map((u) => u.status)).toEqual(['stored', 'stored']);
    expect(await waiting(org.admin)).toEqual({ events: 0, batches: 0 });
    await expectInvariant(org, url);
  });

  it('two rounds sealing and uploading at once, straight from saved events', async () => {
    await saveMany(org, org.admin, 2100);
    await recordSome(org.ledger, org.admin, ['Tab C', 'Tab D']);
    const { uploads } = tapUploads(server.storage);
    const client = new SyncClient(url);
    await Promise.all([
      syncRound(client, core()),
      syncRound(client, core()),
    ]);
    await syncUntilDone(org.admin, client, 3);
    expect(uploads.filter((u) => u.status === 'stored').length).toBeGreaterThanOrEqual(1);
    await expectInvariant(org, url);
  });
});

// =============================================================================================

describe('corrupt, tampered, forged and replayed batches', () => {
  let org: Org;
  let url: string;
  let tablet: Device;
  const unreadable: string[] = [];
  const missing = new Set<string>();

  beforeAll(async () => {
    url = server.url;
    org = await newOrganisation(url);
    tablet = await enrolTablet(org, url);
  });

  it('a batch damaged on the device: stored as the opaque bytes it is, reported by the admin’s reader, the rest intact', async () => {
    await recordSome(org.ledger, tablet, ['Damaged 1']);
    await sealOffline(tablet);
    const [batch] = await tablet.db.batches.toArray();
    const carried = await eventIdsOf(tablet.db, core().keyring, batch!);
    await tablet.db.batches.update(batch!.batchId, { activity: damage(batch!.activity) });
    await recordSome(org.ledger, tablet, ['Intact 1']);
    await syncUntilDone(tablet, new SyncClient(url));

    // Only the damaged part is lost to the reader: its directory part still opens.
    const lost = carried.filter((id) => !isDirectoryEvent(org.ledger.get(id)!));
    expect(lost.length).toBeGreaterThan(0);
    for (const id of lost) missing.add(id);
    unreadable.push(batch!.batchId);
    const archive = await expectInvariant(org, url, { missing, unreadable });
    expect(archive.events.map((e) => e.id)).toEqual(expect.arrayContaining(carried.filter((id) => !missing.has(id))));
  });

  it('a batch whose directory part is damaged: other devices pass it and keep pulling the directory', async () => {
    await use(tablet);
    await recordSome(org.ledger, tablet, ['Directory damaged 1']);
    await sealOffline(tablet);
    const [batch] = await tablet.db.batches.toArray();
    const carried = await eventIdsOf(tablet.db, core().keyring, batch!);
    await tablet.db.batches.update(batch!.batchId, { directory: damage(batch!.directory) });
    await syncUntilDone(tablet, new SyncClient(url));
    await recordSome(org.ledger, tablet, ['After the damage']);
    await syncUntilDone(tablet, new SyncClient(url));

    // The admin's device pulls the directory past the damaged part (it could never be opened),
    // and gets the woman registered after it. Before the fix, every later round stopped there.
    await use(org.admin);
    const round = await syncRound(new SyncClient(url), core());
    expect(round.stopped).toBeNull();
    const known = [...currentSession().women.values()].map((w) => w.knownAs);
    expect(known).toEqual(expect.arrayContaining(['After the damage']));
    expect(known).not.toContain('Directory damaged 1');

    for (const id of carried.filter((id) => isDirectoryEvent(org.ledger.get(id)!))) missing.add(id);
    unreadable.push(batch!.batchId);
    await expectInvariant(org, url, { missing, unreadable });
  });

  it('a batch altered in transit: refused (401), set aside after three tries and shown, sent again once the network is honest', async () => {
    await use(tablet);
    await recordSome(org.ledger, tablet, ['Tampered 1']);
    const tampering = new SyncClient(url, async (input, init) => {
      if (!isUpload(init)) return fetch(input, init);
      const body = JSON.parse(await new Response(init!.body).text()) as { seq: number };
      return fetch(input, { ...init, body: JSON.stringify({ ...body, seq: body.seq + 100 }) });
    });
    for (let i = 0; i < 3; i++) {
      const round = await syncRound(tampering, core());
      expect(round.stopped).toBeNull(); // a refusal does not stop the round
    }
    const [set] = await tablet.db.batches.toArray();
    expect(set).toMatchObject({ state: 'quarantined', refusals: 3 });
    expect(set).not.toHaveProperty('seq'); // its number stays sealed (docs/security.md#what-a-copy-of-a-locked-device-shows)
    expect(set!.lastError).toMatch(/signature does not match/);
    await refreshStatus();
    expect(useFootfall.getState().sync.quarantined).toBe(1);
    expect(useFootfall.getState().unsynced).toBe(set!.eventCount); // counted as waiting, not dropped

    expect(await retryQuarantined(core().keyring)).toBe(1); // "Try again", once the cause is gone
    await syncUntilDone(tablet, new SyncClient(url));
    await expectInvariant(org, url, { missing, unreadable });
  });

  it('forged batches: a stranger’s key, another device’s id, an unknown device: 401, nothing stored', async () => {
    await use(tablet);
    const direct = new SyncClient(url);
    const tabletCreds = await credentialsOf(tablet);
    const enrolment = (await enrolmentOf(tablet.db))!;
    const stranger = await generateDeviceKeys();
    // A forger can seal to the organisation's public key: only the signature keeps this out.
    const fake: FootfallEvent = {
      id: uuidv7(),
      at: new Date().toISOString(),
      deviceId: org.admin.deviceId,
      staffId: 'forger',
      type: 'visit.checkedIn',
      occurredAt: new Date().toISOString(),
      womanId: null,
      siteId: 'drop-in-centre',
      services: ['meal'],
    };
    const upload = {
      seq: 0,
      activity: await sealTo(enrolment.orgPublicKey, jsonBytes([fake])),
      directory: await sealWithTeamKey({ version: 1, key: await generateTeamKey() }, jsonBytes([])),
    };
    const { uploads } = tapUploads(server.storage);

    const asAdminWithStrangerKey = await direct.putBatch({ ...tabletCreds, deviceId: org.admin.deviceId, signingKey: stranger.signing.privateKey }, crypto.randomUUID(), upload);
    expect(asAdminWithStrangerKey).toMatchObject({ kind: 'refused', status: 401, error: 'bad_signature' });
    const tabletClaimingAdmin = await direct.putBatch({ ...tabletCreds, deviceId: org.admin.deviceId }, crypto.randomUUID(), upload);
    expect(tabletClaimingAdmin).toMatchObject({ kind: 'refused', status: 401, error: 'bad_signature' });
    const unknown = await direct.putBatch({ ...tabletCreds, deviceId: uuidv7(), signingKey: stranger.signing.privateKey }, crypto.randomUUID(), upload);
    expect(unknown).toMatchObject({ kind: 'refused', status: 401, error: 'unknown_device' });
    expect(uploads).toEqual([]); // refused before storage was touched

    await expectInvariant(org, url, { missing, unreadable });
  });

  it('a replayed upload, sent again later by someone who captured it: 200 duplicate, counted once', async () => {
    await use(tablet);
    await recordSome(org.ledger, tablet, ['Replayed 1']);
    const captured: [Parameters<Fetch>[0], Parameters<Fetch>[1]][] = [];
    const recording = new SyncClient(url, async (input, init) => {
      if (isUpload(init)) captured.push([input, { ...init, signal: null }]);
      return fetch(input, init);
    });
    await syncUntilDone(tablet, recording);
    expect(captured).toHaveLength(1);
    await recordSome(org.ledger, tablet, ['After replay 1']);
    await syncUntilDone(tablet, new SyncClient(url));

    const [input, init] = captured[0]!;
    const replay = await fetch(input, init);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: 'duplicate' });
    // The same signature on another batch id is refused: the path is signed.
    const elsewhere = await fetch(String(input).replace(batchIdOf(input), crypto.randomUUID()), init);
    expect(elsewhere.status).toBe(401);
    await expectInvariant(org, url, { missing, unreadable });
  });
});

// =============================================================================================

describe('a revoked device', () => {
  it('is refused (403) with the clear message, keeps its records counted as waiting, and cannot be re-enrolled under its id', async () => {
    const url = server.url;
    const org = await newOrganisation(url);
    const tablet = await enrolTablet(org, url);
    await recordSome(org.ledger, tablet, ['Before revocation']);
    await syncUntilDone(tablet, new SyncClient(url));

    await use(org.admin);
    await revokeDevice(core(), new SyncClient(url), tablet.deviceId);

    await use(tablet);
    await recordSome(org.ledger, tablet, ['After revocation']);
    const round = await syncRound(new SyncClient(url), core());
    expect(round.stopped).toEqual({ kind: 'revoked', message: MESSAGES.deviceRevoked });
    const stranded = new Set((await readEvents(tablet.db, core().keyring)).map((e) => e.id));
    expect(stranded.size).toBeGreaterThan(0);
    expect([...stranded].every((id) => org.ledger.get(id)!.deviceId === tablet.deviceId)).toBe(true);
    await refreshStatus();
    expect(useFootfall.getState().unsynced).toBe(stranded.size);
    // The sealed batch waits as it was: revocation is not a refusal of the batch.
    expect((await tablet.db.batches.toArray()).map((b) => [b.state, b.refusals])).toEqual([['pending', 0]]);

    // Re-enrolment: the admin issues a new code. The server refuses a claim for the revoked
    // device's id: it is taken.
    await use(org.admin);
    const member = await addMember('frontDesk');
    await org.ledger.collect(org.admin);
    await syncUntilDone(org.admin, new SyncClient(url));
    const { code } = await createEnrolmentCode(core(), new SyncClient(url), { name: 'New device', role: 'frontDesk', siteKey: null });
    // Making the code is itself a record: the admin's signed invitation of the device.
    await org.ledger.collect(org.admin);
    await use(tablet);
    const { lookup } = await enrolmentKeys(code);
    const keys = await generateDeviceKeys();
    const claim = await new SyncClient(url).claimEnrolment({
      lookup,
      device: { deviceId: tablet.deviceId, name: 'Front desk tablet', signingKey: await publicJwk(keys.signing.publicKey), encryptionKey: await publicJwk(keys.encryption.publicKey) },
    });
    expect(claim).toMatchObject({ kind: 'refused', status: 409, error: 'device_exists' });
    // The refused claim did not use up the code: a new device can still take it.
    const replacement = await joinWith(new SyncClient(url), code, member, 'replacement');
    org.devices.push(replacement);
    await recordSome(org.ledger, replacement, ['On the replacement']);
    await syncUntilDone(replacement, new SyncClient(url));

    // A device that does not hold the new team key yet passes the part sealed with it, and the
    // directory after it still comes; the round that brings the key reads the directory again.
    await use(org.admin);
    const held = core().teamKeys;
    await core().saveTeamKeys(new Map([[1, held.get(1)!]]));
    // Its next team keys are not handed out this round (the server is slow to answer for them).
    const keysLate = new SyncClient(url, (input, init) =>
      String(input).endsWith('/team-keys') ? Promise.resolve(new Response('{}', { status: 503 })) : fetch(input, init),
    );
    const behind = await syncRound(keysLate, core());
    expect(behind.stopped).toBeNull();
    expect([...currentSession().women.values()].map((w) => w.knownAs)).not.toContain('On the replacement');
    const caughtUp = await syncRound(new SyncClient(url), core());
    expect(caughtUp.stopped).toBeNull();
    expect([...currentSession().women.values()].map((w) => w.knownAs)).toContain('On the replacement');

    // Nothing lost: the archive holds everything but what is still on the revoked tablet, and that is all still there.
    await expectInvariant(org, url, { stillWaiting: [tablet], missing: stranded });
    expect(await waiting(tablet)).toEqual({ events: stranded.size, batches: 1 });
  });
});

// =============================================================================================

describe('a revoked device whose directory read fails', () => {
  it('is still told it is revoked by its upload, and stops taking records', async () => {
    const url = server.url;
    const org = await newOrganisation(url);
    const tablet = await enrolTablet(org, url);
    await use(org.admin);
    await revokeDevice(core(), new SyncClient(url), tablet.deviceId);

    await use(tablet);
    await recordSome(org.ledger, tablet, ['After revocation']);
    // The read of the shared directory, which goes on beside the uploads, is cut off by the network.
    const cut = new SyncClient(url, (input, init) => (String(input).includes('/directory') ? Promise.reject(new TypeError('Failed to fetch')) : fetch(input, init)));
    const round = await syncRound(cut, core());
    expect(round.stopped).toEqual({ kind: 'revoked', message: MESSAGES.deviceRevoked });
    expect((await readSyncState()).revoked).toBe(true);
  });
});

// =============================================================================================

describe('a full disk (IndexedDB quota exceeded)', () => {
  const QUOTA_MESSAGE = 'Not saved: this device is out of storage space. Free some space and try again. Everything saved before is safe.';
  const quotaError = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

  it('a save fails whole with the clear message; earlier records stay and sync; saving and sealing work once there is room', async () => {
    const url = server.url;
    const org = await newOrganisation(url);
    const { db } = org.admin;
    await recordSome(org.ledger, org.admin, ['Synced before']);
    await syncUntilDone(org.admin, new SyncClient(url));
    await recordSome(org.ledger, org.admin, ['Waiting before']);
    const before = await snapshotRows(db);
    const unsynced = useFootfall.getState().unsynced;
    const session = currentSession();
    const woman = [...session.women.values()].find((w) => w.knownAs === 'Waiting before')!;

    // The event rows are written, then the disk is full: the transaction takes them back, and the
    // visit row is never written.
    const realAdd = db.outbox.bulkAdd.bind(db.outbox) as (rows: OutboxRow[]) => Promise<unknown>;
    vi.spyOn(db.outbox, 'bulkAdd').mockImplementationOnce((async (rows: OutboxRow[]) => {
      await realAdd(rows);
      throw quotaError();
    }) as unknown as typeof db.outbox.bulkAdd);
    const failed = await checkIn(core(), woman.id, ['clothes']).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).name).toBe('QuotaExceededError');
    expect(messageOf(failed)).toBe(QUOTA_MESSAGE);

    vi.spyOn(db.women, 'bulkPut').mockRejectedValueOnce(quotaError());
    const failedRegistration = await registerWoman(core(), 'Not saved', {}).catch((e: unknown) => e);
    expect(messageOf(failedRegistration)).toBe(QUOTA_MESSAGE);

    expect(await snapshotRows(db)).toBe(before); // nothing half-written
    expect(useFootfall.getState().unsynced).toBe(unsynced);
    expect(currentSession().visits).toBe(session.visits);
    expect(currentSession().women.size).toBe(session.women.size);
    await org.ledger.collect(org.admin);

    // The disk fills while a round seals the waiting records into a batch: nothing half-sealed.
    const { nextSeq } = (await readMarks(db, core().keyring)).marks;
    vi.spyOn(db.batches, 'add').mockRejectedValueOnce(quotaError());
    await expect(syncRound(new SyncClient(url), core())).rejects.toMatchObject({
      name: 'QuotaExceededError',
    });
    expect(await db.batches.count()).toBe(0);
    expect((await readMarks(db, core().keyring)).marks.nextSeq).toBe(nextSeq);
    expect(await snapshotRows(db)).toBe(before);

    // Room again: the same save works, and everything syncs.
    await checkIn(core(), woman.id, ['clothes']);
    await org.ledger.collect(org.admin);
    await syncUntilDone(org.admin, new SyncClient(url));
    const archive = await expectInvariant(org, url);
    expect(archive.events.some((e) => e.type === 'visit.serviceAdded' && e.service === 'clothes')).toBe(true);
    expect(archive.events.some((e) => e.type === 'woman.registered' && e.knownAs === 'Not saved')).toBe(false);
  });
});

// =============================================================================================

describe('property: any schedule of saves and faulty deliveries ends with the invariant', () => {
  type Fault = 'ok' | 'drop' | 'duplicate' | '500' | 'cut' | 'timeout' | 'late';
  const FAULTS: Fault[] = ['ok', 'drop', 'duplicate', '500', 'cut', 'timeout', 'late'];

  /** Answers each request with the next scripted fault (then honestly once the script runs out). */
  function scripted(faults: Fault[]): Fetch {
    let i = 0;
    return async (input, init) => {
      switch (faults[i++] ?? 'ok') {
        case 'drop':
          throw cut(); // never reached the server
        case '500':
          return serverError(500);
        case 'timeout':
          return hangUntilTimeout(3);
        case 'cut':
          await deliver(input, init);
          throw cut();
        case 'late':
          await deliver(input, init);
          throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
        case 'duplicate':
          if (isUpload(init)) await deliver(input, init);
          return fetch(input, init);
        default:
          return fetch(input, init);
      }
    };
  }

  it('holds for random schedules', async () => {
    const url = server.url;
    const org = await newOrganisation(url);
    const device = org.admin;
    const step = fc.record({
      saves: fc.array(fc.constantFrom('visit', 'woman', 'seal'), { maxLength: 3 }),
      faults: fc.array(fc.constantFrom(...FAULTS), { maxLength: 6 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (schedule) => {
        run++;
        for (const [i, { saves, faults }] of schedule.entries()) {
          for (const save of saves) {
            if (save === 'visit') await checkIn(core(), null, ['meal']);
            else if (save === 'woman') await registerWoman(core(), `Run ${run} step ${i}`, {});
            else await sealOffline(device);
          }
          await org.ledger.collect(device);
          const faulty = new SyncClient(url, scripted(faults));
          await syncRound(faulty, core());
        }
        // The faults stop.
        await syncUntilDone(device, new SyncClient(url), 5);
        await expectInvariant(org, url);
      }),
      { numRuns: 12, endOnFailure: true },
    );
    expect(run).toBeGreaterThanOrEqual(12);
  });
});
