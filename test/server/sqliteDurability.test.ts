/**
 * The SQLite store acknowledges nothing before it is on disk: it commits with synchronous = NORMAL
 * and flushes the write-ahead log itself (docs/sync.md#durability-of-the-sqlite-store).
 * Here the flush is held, and nothing written, nor any listing of it, may answer until it ends.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage, SQLITE_FILE } from '../../src/server/storage/sqlite.ts';
import type { NewBatch, Storage, StoredDevice } from '../../src/server/storage/types.ts';

const b64u = (bytes: number) => randomBytes(bytes).toString('base64url');
const jwk = () => ({ kty: 'EC' as const, crv: 'P-256' as const, x: b64u(32), y: b64u(32) });
const AT = '2025-03-01T09:00:00.000Z';

/** Flushes that, once held, wait until released; `asked` counts the ones waiting. */
function heldFlushes() {
  let holding = false;
  const waiting: (() => void)[] = [];
  return {
    asked: () => waiting.length,
    syncFile(_fd: number, done: (error: NodeJS.ErrnoException | null) => void) {
      if (holding) waiting.push(() => done(null));
      else done(null);
    },
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const flushed of waiting.splice(0)) flushed();
    },
  };
}

/** Whether a promise has settled by the time the event loop has turned a few times (a commit and its flush request). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

let dir: string | null = null;
let storage: Storage | null = null;
afterEach(async () => {
  await storage?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  storage = null;
  dir = null;
});

describe('SQLite store: acknowledged only once on disk', () => {
  it('settles a write, and a listing that shows it, only after the log flush that follows its commit', async () => {
    dir = await mkdtemp(join(tmpdir(), 'footfall-durability-'));
    const flushes = heldFlushes();
    storage = await openSqliteStorage(dir, { syncFile: (fd, done) => flushes.syncFile(fd, done) });
    const orgId = randomUUID();
    const admin: StoredDevice = { orgId, deviceId: randomUUID(), name: 'Laptop', role: 'admin', signingKey: jwk(), encryptionKey: jwk(), enrolledAt: AT, lastSeenAt: null, revokedAt: null };
    await storage.createOrg({ orgId, orgPublicKey: jwk(), createdAt: AT }, admin, []);

    flushes.hold();
    const activity = b64u(100);
    const batch: NewBatch = { orgId, batchId: randomUUID(), deviceId: admin.deviceId, seq: 0, activity, directory: '', sha256: b64u(32), size: activity.length, receivedAt: AT };
    const stored = storage.putBatch(batch);
    const again = storage.putBatch(batch);
    expect(await settled(stored)).toBe(false);
    expect(await settled(again)).toBe(false);
    // Committed, so visible to a read, but not yet on disk: the listing waits too.
    const listed = storage.listBatches(orgId, null, 10);
    expect(await settled(listed)).toBe(false);
    expect(flushes.asked()).toBeGreaterThan(0);

    flushes.release();
    await expect(stored).resolves.toMatchObject({ status: 'stored' });
    await expect(again).resolves.toMatchObject({ status: 'duplicate' });
    expect((await listed).map((b) => b.batchId)).toEqual([batch.batchId]);
  });

  it('fails the writes of a group whose flush fails, and the same write again is then answered from disk', async () => {
    dir = await mkdtemp(join(tmpdir(), 'footfall-durability-'));
    let failNext = false;
    storage = await openSqliteStorage(dir, {
      syncFile: (_fd, done) => {
        const fail = failNext;
        failNext = false;
        done(fail ? Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }) : null);
      },
    });
    const orgId = randomUUID();
    const admin: StoredDevice = { orgId, deviceId: randomUUID(), name: 'Laptop', role: 'admin', signingKey: jwk(), encryptionKey: jwk(), enrolledAt: AT, lastSeenAt: null, revokedAt: null };
    await storage.createOrg({ orgId, orgPublicKey: jwk(), createdAt: AT }, admin, []);
    const batch: NewBatch = { orgId, batchId: randomUUID(), deviceId: admin.deviceId, seq: 0, activity: 'x', directory: '', sha256: b64u(32), size: 1, receivedAt: AT };
    failNext = true;
    await expect(storage.putBatch(batch)).rejects.toMatchObject({ code: 'EIO' });
    await expect(storage.putBatch(batch)).resolves.toMatchObject({ status: 'duplicate' });
  });

  it("copies the log into the database on its checkpoint worker, with the endpoint's connection never checkpointing", async () => {
    dir = await mkdtemp(join(tmpdir(), 'footfall-durability-'));
    storage = await openSqliteStorage(dir);
    const orgId = randomUUID();
    const admin: StoredDevice = { orgId, deviceId: randomUUID(), name: 'Laptop', role: 'admin', signingKey: jwk(), encryptionKey: jwk(), enrolledAt: AT, lastSeenAt: null, revokedAt: null };
    await storage.createOrg({ orgId, orgPublicKey: jwk(), createdAt: AT }, admin, []);
    const before = (await stat(join(dir, SQLITE_FILE))).size;
    const activity = b64u(200_000);
    const batch: NewBatch = { orgId, batchId: randomUUID(), deviceId: admin.deviceId, seq: 0, activity, directory: '', sha256: b64u(32), size: activity.length, receivedAt: AT };
    await storage.putBatch(batch);
    // Only a checkpoint moves the batch out of the log into the database file, and nothing
    // here commits again (SQLite's own checkpoints would run inside a commit).
    await expect.poll(async () => (await stat(join(dir!, SQLITE_FILE))).size, { timeout: 30_000 }).toBeGreaterThan(before + activity.length);
    expect((await storage.listBatches(orgId, null, 10)).map((b) => b.batchId)).toEqual([batch.batchId]);
  });
});
