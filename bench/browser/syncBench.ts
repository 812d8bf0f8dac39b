/**
 * The sync figure, in the page (bundled into entry.ts): the real outbox and sync engine
 * (src/app/core/outbox.ts sealWaitingEvents, inside engine.ts syncRound) with the real SyncClient,
 * FootfallDb (Dexie, strict durability) and keyring, uploading to the real endpoint that serves
 * the page. Each run gets a fresh device database holding `count` waiting events, saved first
 * through Vault.commit (untimed), and then one timed syncRound seals them into batches, uploads
 * every batch (signed PUTs), acknowledges them and reads the shared directory; as the app's
 * scheduler runs it, the acknowledged rows are deleted after the round, and the bench waits for
 * that untimed before it checks that nothing is left.
 *
 * Baseline, in the same page and run: the raw cost of the same bytes. A plain IndexedDB getAll of
 * the same event rows (before the round, from the same database), one AES-GCM encryption of as
 * many bytes as the round uploaded, and one HTTP POST of that many bytes to the same server
 * (/bench/sink, a route the bench adds, which reads the body and answers its length).
 */
import { v7 as uuidv7 } from 'uuid';
import type { DeviceCore } from '../../src/app/core/core.ts';
import { FootfallDb, type Enrolment } from '../../src/app/core/database.ts';
import { OPEN_LOCK } from '../../src/app/core/lockSnapshot.ts';
import { boot } from '../../src/app/core/device.ts';
import { Vault } from '../../src/app/core/vault.ts';
import { readMarks, updateMarks } from '../../src/app/core/marks.ts';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { sweepAcknowledged } from '../../src/app/core/outbox.ts';
import { keptWaiting } from '../../src/app/core/waiting.ts';
import { generateOrgKeyPair, generateTeamKey } from '../../src/crypto/envelope.ts';
import { createKeyring, wrapRoot, type Keyring } from '../../src/crypto/keyring.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { PublicJwk } from '../../src/domain/protocol.ts';
import { waitingEvents } from '../lib/waitingEvents.ts';

interface SyncDevice {
  orgId: string;
  deviceId: string;
  staffId: string;
  orgPublicKey: PublicJwk;
  signing: CryptoKeyPair;
  encryption: CryptoKeyPair;
  teamKey: CryptoKey;
  keyring: Keyring;
  nextSeq: number;
}

let device: SyncDevice | undefined;
let current: { db: FootfallDb; name: string; count: number; core: DeviceCore } | undefined;
const PIN = '482915';

export interface SyncRunResult {
  /** The timed syncRound, ms. */
  roundMs: number;
  /** Of it, time spent in fetch for the uploads (request sent to answer read), ms. */
  uploadFetchMs: number;
  /** Of it, time spent in fetch for everything else (team keys, directory), ms. */
  otherFetchMs: number;
  acknowledged: number;
  batches: number;
  /** Bytes of the upload bodies (JSON text) the round sent. */
  uploadBytes: number;
  /** Event rows waiting before, and after, the round. */
  waitingBefore: number;
  waitingAfter: number;
}

/**
 * A device database as set-up and enrolment leave it, with this device's fixed ids (the server
 * knows it by them), then unlocked through the app's own unlock: the core the round is lent.
 */
async function openDevice(d: SyncDevice, db: FootfallDb): Promise<DeviceCore> {
  await db.open();
  await new Vault(db, d.keyring).commit([], { config: defaultConfig({ key: 'main', name: 'Main' }) });
  const enrolment: Enrolment = { key: 'enrolment', orgId: d.orgId, role: 'admin', orgPublicKey: d.orgPublicKey, signingKey: d.signing.privateKey, encryptionKey: d.encryption.privateKey };
  await updateMarks(db, d.keyring, () => ({ nextSeq: d.nextSeq }));
  await db.staff.put({ id: d.staffId, name: 'Bench', role: 'admin', wrappedRoot: await wrapRoot(d.keyring, PIN, d.staffId) });
  await db.device.bulkPut([enrolment, OPEN_LOCK, { key: 'identity', deviceId: d.deviceId, deviceName: 'Bench tablet', siteKey: 'main' }]);
  await boot(db);
  const opened = await unlock(d.staffId, PIN);
  if (!opened.ok) throw new Error(opened.message);
  await opened.core.saveTeamKeys(new Map([[1, d.teamKey]]));
  return opened.core;
}

export const syncApi = {
  /** A device, and its organisation created on the server through the real API (this device its admin). */
  async syncSetUp(): Promise<{ orgId: string; deviceId: string }> {
    const [org, keys, teamKey, keyring] = await Promise.all([generateOrgKeyPair(), generateDeviceKeys(), generateTeamKey(), createKeyring()]);
    const d: SyncDevice = {
      orgId: crypto.randomUUID(),
      deviceId: crypto.randomUUID(),
      staffId: uuidv7(),
      orgPublicKey: org.publicJwk,
      signing: keys.signing,
      encryption: keys.encryption,
      teamKey,
      keyring,
      nextSeq: 0,
    };
    const created = await new SyncClient(location.origin).createOrg({
      orgId: d.orgId,
      orgPublicKey: d.orgPublicKey,
      adminDevice: { deviceId: d.deviceId, name: 'Bench tablet', signingKey: await publicJwk(keys.signing.publicKey), encryptionKey: await publicJwk(keys.encryption.publicKey) },
      wrappedKeys: [{ id: crypto.randomUUID(), kind: 'passphrase', wrapped: 'bench' }],
    });
    if (created.kind !== 'ok') throw new Error(`createOrg: ${JSON.stringify(created)}`);
    device = d;
    return { orgId: d.orgId, deviceId: d.deviceId };
  },

  /**
   * A fresh device database, enrolled, holding `count` waiting events saved through Vault.commit.
   * `offline`: as a device that saved them with no network, each save of 1000 followed by the round
   * the scheduler starts after a save, which cannot reach the server (its fetch fails): the batches
   * such rounds seal ahead stay pending, and the rest waits unsealed.
   */
  async syncPrefill(name: string, count: number, offline = false): Promise<{ ms: number; waiting: number; ctBytes: number; sealedAhead: number }> {
    const d = device;
    if (!d) throw new Error('call syncSetUp() first');
    const t0 = performance.now();
    if (current) {
      await lock();
      current.db.close();
      await current.db.delete();
    }
    const db = new FootfallDb(name);
    const core = await openDevice(d, db);
    const all = waitingEvents(count, d.deviceId, d.staffId);
    const unreachable = new SyncClient(location.origin, () => Promise.reject(new TypeError('Failed to fetch')));
    for (let i = 0; i < all.length; i += 1000) {
      await core.vault.commit(all.slice(i, i + 1000));
      if (offline && (await syncRound(unreachable, core)).stopped?.kind !== 'unreachable') throw new Error('the offline round was not stopped');
    }
    current = { db, name, count, core };
    let sealedAhead = 0;
    await db.batches.each((batch) => {
      sealedAhead += batch.eventCount;
    });
    const waiting = await db.outbox.count();
    let ctBytes = 0;
    await db.outbox.each((row) => {
      ctBytes += row.ct.byteLength;
    });
    return { ms: performance.now() - t0, waiting, ctBytes, sealedAhead };
  },

  /** The figure: one real syncRound over the waiting events. */
  async syncRun(): Promise<SyncRunResult> {
    const d = device;
    const c = current;
    if (!d || !c) throw new Error('call syncPrefill() first');
    let uploadFetchMs = 0;
    let otherFetchMs = 0;
    let batches = 0;
    // Measured after the round: encoding each body again to count its bytes is no part of a round.
    const bodies: unknown[] = [];
    const timedFetch: typeof fetch = async (input, init) => {
      const t = performance.now();
      const isUpload = init?.method === 'PUT';
      try {
        const response = await fetch(input, init);
        // The client reads the body next; read it here so the time includes it.
        const body = await response.arrayBuffer();
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      } finally {
        const ms = performance.now() - t;
        if (isUpload) {
          uploadFetchMs += ms;
          batches++;
          bodies.push(init?.body);
        } else otherFetchMs += ms;
      }
    };
    const client = new SyncClient(location.origin, timedFetch);
    const waitingBefore = await c.db.outbox.count();
    const t0 = performance.now();
    // As the app's scheduler runs it: the acknowledged rows are deleted after the round (untimed).
    const result = await syncRound(client, c.core, { awaitSweep: false });
    const roundMs = performance.now() - t0;
    if (result.stopped) throw new Error(`the sync round stopped: ${JSON.stringify(result.stopped)}`);
    const keptAfter = await keptWaiting(c.db);
    await sweepAcknowledged();
    const waitingAfter = await c.db.outbox.count();
    const uploadBytes = bodies.reduce<number>((sum, body) => sum + (body instanceof Blob ? body.size : typeof body === 'string' ? new TextEncoder().encode(body).byteLength : 0), 0);
    if (keptAfter !== waitingAfter) throw new Error(`the round left a waiting count of ${keptAfter}, and ${waitingAfter} rows once swept`);
    d.nextSeq = (await readMarks(c.db, d.keyring)).marks.nextSeq;
    return { roundMs, uploadFetchMs, otherFetchMs, acknowledged: result.acknowledged, batches, uploadBytes, waitingBefore, waitingAfter };
  },

  /**
   * Baseline part 1, before the round: a plain IndexedDB getAll of the same event rows, from the
   * outbox (the `events` store of earlier versions stays declared, empty).
   */
  async syncBaselineRead(): Promise<{ ms: number; rows: number }> {
    const c = current;
    if (!c) throw new Error('call syncPrefill() first');
    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(c.name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      const t0 = performance.now();
      const rows = await new Promise<unknown[]>((resolve, reject) => {
        const req = raw.transaction('outbox', 'readonly').objectStore('outbox').getAll();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      return { ms: performance.now() - t0, rows: rows.length };
    } finally {
      raw.close();
    }
  },

  /** Baseline parts 2 and 3, after the round: one AES-GCM encryption and one POST of `bytes` bytes. */
  async syncBaselineSend(bytes: number): Promise<{ aesGcmMs: number; postMs: number }> {
    const data = crypto.getRandomValues(new Uint8Array(Math.min(bytes, 65536)));
    const payload = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i += data.length) payload.set(data.subarray(0, Math.min(data.length, bytes - i)), i);
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    let t = performance.now();
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, payload);
    const aesGcmMs = performance.now() - t;
    t = performance.now();
    const response = await fetch('/bench/sink', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: payload, cache: 'no-store' });
    const answer = (await response.json()) as { bytes: number };
    const postMs = performance.now() - t;
    if (answer.bytes !== bytes) throw new Error(`the sink read ${answer.bytes} bytes of ${bytes}`);
    return { aesGcmMs, postMs };
  },
};
