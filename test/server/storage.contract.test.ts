/**
 * One contract for the Storage interface, run for real against SQLite (a temp folder) and
 * PostgreSQL (a fresh schema, dropped afterwards). If PostgreSQL is not reachable its suite fails
 * loudly instead of skipping: CI has PostgreSQL, and a skipped suite would hide a broken adapter.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role, WrappedOrgKey } from '../../src/domain/protocol.ts';
import { openStorage } from '../../src/server/storage/index.ts';
import { MIGRATIONS as POSTGRES_MIGRATIONS, openPostgresStorage } from '../../src/server/storage/postgres.ts';
import { MIGRATIONS as SQLITE_MIGRATIONS, openSqliteStorage, SQLITE_FILE } from '../../src/server/storage/sqlite.ts';
import {
  DeviceExistsError,
  OrgExistsError,
  type Compaction,
  type NewBatch,
  type Storage,
  type StoredDevice,
  type StoredOrg,
} from '../../src/server/storage/types.ts';
import { DATABASE_URL, dropSchemas, freshSchema, withPostgres } from './postgres.ts';

// ---- fixtures --------------------------------------------------------------------------------

const b64u = (bytes: number) => randomBytes(bytes).toString('base64url');
const jwk = () => ({ kty: 'EC' as const, crv: 'P-256' as const, x: b64u(32), y: b64u(32) });
const sealed = () => [b64u(20), '', b64u(12), b64u(48), b64u(16)].join('.');
const T0 = Date.parse('2025-03-01T09:00:00.000Z');
/** A time `s` seconds after T0, in the one format storage returns. */
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function device(orgId: string, role: Role = 'frontDesk', enrolledAt = at(0)): StoredDevice {
  return { orgId, deviceId: randomUUID(), name: 'Front desk tablet', role, signingKey: jwk(), encryptionKey: jwk(), enrolledAt, lastSeenAt: null, revokedAt: null };
}
const deviceKeys = () => ({ deviceId: randomUUID(), name: 'Outreach phone', signingKey: jwk(), encryptionKey: jwk() });
const wrappedKey = (kind: WrappedOrgKey['kind'] = 'passphrase'): WrappedOrgKey => ({ id: randomUUID(), kind, wrapped: b64u(200) });

function batch(orgId: string, deviceId: string, over: Partial<NewBatch> = {}): NewBatch {
  const activity = sealed();
  const directory = sealed();
  return { orgId, batchId: randomUUID(), deviceId, seq: 0, activity, directory, sha256: b64u(32), size: activity.length + directory.length, receivedAt: at(10), ...over };
}

/** A batch whose two sealed parts are `bytes` long in all, as its `size` says. */
function sizedBatch(orgId: string, deviceId: string, bytes: number, over: Partial<NewBatch> = {}): NewBatch {
  const directory = sealed();
  return batch(orgId, deviceId, { activity: 'A'.repeat(bytes - directory.length), directory, size: bytes, ...over });
}

async function newOrg(storage: Storage) {
  const org: StoredOrg = { orgId: randomUUID(), orgPublicKey: jwk(), createdAt: at(0) };
  const admin = device(org.orgId, 'admin');
  const wrappedKeys = [wrappedKey('passphrase'), wrappedKey('recovery')];
  await storage.createOrg(org, admin, wrappedKeys);
  return { org, orgId: org.orgId, admin, wrappedKeys };
}

/** The admin's compaction: `batches` (hers, received at `s`) replace `supersedes`, for an erasure. */
function compaction(orgId: string, adminId: string, batches: NewBatch[], supersedes: string[], s = 100): Compaction {
  return {
    orgId,
    batches: batches.map((b) => ({ ...b, deviceId: adminId, receivedAt: at(s) })),
    supersedes,
    at: at(s),
    audit: { orgId, at: at(s), actor: adminId, action: 'archive.compacted', subject: 'erasure' },
  };
}

const ids = (rows: { batchId: string }[]) => rows.map((r) => r.batchId);

async function newEnrolment(storage: Storage, orgId: string, createdBy: string, expiresAt = at(600)) {
  const e = { orgId, lookup: b64u(32), role: 'outreach' as const, package: sealed(), createdBy, createdAt: at(0), expiresAt };
  await storage.createEnrolment(e);
  return e;
}

// ---- the contract ----------------------------------------------------------------------------

interface Harness {
  storage: Storage;
  /** Closes the storage and opens it again on the same data, like a restart. */
  reopen(): Promise<Storage>;
  /** The enrolment package stored for a code, read from the database itself as a copy of it would show. */
  storedPackage(lookup: string): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

function describeStorageContract(name: string, open: () => Promise<Harness>) {
  describe(`Storage contract: ${name}`, () => {
    let harness: Harness | undefined;
    let openError: unknown;
    let storage: Storage;

    // A failed open fails every test with its message; thrown from beforeAll, Vitest would only
    // count the tests as skipped.
    beforeAll(async () => {
      try {
        harness = await open();
        storage = harness.storage;
      } catch (error) {
        openError = error;
      }
    });
    beforeEach(() => {
      if (openError) throw openError;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    describe('organisations', () => {
      it('creates an organisation with its admin and wrapped keys, and reads it back', async () => {
        const { org, orgId, admin, wrappedKeys } = await newOrg(storage);
        expect(await storage.getOrg(orgId)).toEqual(org);
        expect(await storage.listDevices(orgId)).toEqual([admin]);
        expect(await storage.listWrappedKeys(orgId)).toEqual(wrappedKeys);
        expect(await storage.getOrg(randomUUID())).toBeNull();
      });

      it('refuses a second organisation with the same id and changes nothing', async () => {
        const { org, orgId, admin, wrappedKeys } = await newOrg(storage);
        const intruder = device(orgId, 'admin');
        await expect(storage.createOrg({ ...org, orgPublicKey: jwk() }, intruder, [wrappedKey()])).rejects.toBeInstanceOf(OrgExistsError);
        expect(await storage.getOrg(orgId)).toEqual(org);
        expect(await storage.listDevices(orgId)).toEqual([admin]);
        expect(await storage.listWrappedKeys(orgId)).toEqual(wrappedKeys);
      });

      it('writes nothing at all when a later part of createOrg fails', async () => {
        const org: StoredOrg = { orgId: randomUUID(), orgPublicKey: jwk(), createdAt: at(0) };
        const admin = device(org.orgId, 'admin');
        const broken = { id: randomUUID(), kind: null, wrapped: 'x' } as unknown as WrappedOrgKey;
        await expect(storage.createOrg(org, admin, [wrappedKey(), broken])).rejects.toThrow();
        expect(await storage.getOrg(org.orgId)).toBeNull();
        expect(await storage.listDevices(org.orgId)).toEqual([]);
        expect(await storage.listWrappedKeys(org.orgId)).toEqual([]);
        // And the id is still free.
        await storage.createOrg(org, admin, [wrappedKey()]);
        expect(await storage.getOrg(org.orgId)).toEqual(org);
      });

      it('returns every time in one ISO 8601 UTC format with milliseconds', async () => {
        const org: StoredOrg = { orgId: randomUUID(), orgPublicKey: jwk(), createdAt: '2025-03-01T10:00:00Z' };
        await storage.createOrg(org, { ...device(org.orgId, 'admin'), enrolledAt: '2025-03-01T11:00:00+01:00' }, [wrappedKey()]);
        expect((await storage.getOrg(org.orgId))?.createdAt).toBe('2025-03-01T10:00:00.000Z');
        expect((await storage.listDevices(org.orgId))[0]?.enrolledAt).toBe('2025-03-01T10:00:00.000Z');
      });
    });

    describe('devices', () => {
      it('gets and lists devices, per organisation', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        expect(await storage.getDevice(a.orgId, a.admin.deviceId)).toEqual(a.admin);
        expect(await storage.getDevice(b.orgId, a.admin.deviceId)).toBeNull();
        expect(await storage.getDevice(a.orgId, randomUUID())).toBeNull();
        expect(await storage.listDevices(b.orgId)).toEqual([b.admin]);
      });

      it('revokes a device; revoking again keeps the first time; an unknown device is false', async () => {
        const { orgId, admin } = await newOrg(storage);
        expect(await storage.revokeDevice(orgId, admin.deviceId, at(100))).toBe(true);
        expect(await storage.revokeDevice(orgId, admin.deviceId, at(200))).toBe(true);
        expect((await storage.getDevice(orgId, admin.deviceId))?.revokedAt).toBe(at(100));
        expect(await storage.revokeDevice(orgId, randomUUID(), at(100))).toBe(false);
        expect(await storage.revokeDevice(randomUUID(), admin.deviceId, at(100))).toBe(false);
      });

      it('records when a device was last seen, never moving backwards', async () => {
        const { orgId, admin } = await newOrg(storage);
        await storage.touchDevice(orgId, admin.deviceId, at(50));
        expect((await storage.getDevice(orgId, admin.deviceId))?.lastSeenAt).toBe(at(50));
        await storage.touchDevice(orgId, admin.deviceId, at(40));
        expect((await storage.getDevice(orgId, admin.deviceId))?.lastSeenAt).toBe(at(50));
        await storage.touchDevice(orgId, admin.deviceId, at(60));
        expect((await storage.getDevice(orgId, admin.deviceId))?.lastSeenAt).toBe(at(60));
        await expect(storage.touchDevice(orgId, randomUUID(), at(60))).resolves.toBeUndefined();
      });
    });

    describe('enrolment codes', () => {
      it('can be claimed once, adding the device with the code’s role', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId);
        const keys = deviceKeys();
        expect(await storage.claimEnrolment(e.lookup, at(30), keys)).toEqual({ orgId, role: 'outreach', package: e.package });
        expect(await storage.getDevice(orgId, keys.deviceId)).toEqual({ ...keys, orgId, role: 'outreach', enrolledAt: at(30), lastSeenAt: null, revokedAt: null });
        expect(await storage.claimEnrolment(e.lookup, at(31), deviceKeys())).toBeNull();
        expect(await storage.listDevices(orgId)).toHaveLength(2);
      });

      it('keeps no package once its code is claimed, and keeps it while the claim fails', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId);
        expect(await harness!.storedPackage(e.lookup)).toBe(e.package);
        await expect(storage.claimEnrolment(e.lookup, at(30), { ...deviceKeys(), deviceId: admin.deviceId })).rejects.toBeInstanceOf(DeviceExistsError);
        expect(await harness!.storedPackage(e.lookup)).toBe(e.package);
        expect(await storage.claimEnrolment(e.lookup, at(31), deviceKeys())).toEqual({ orgId, role: 'outreach', package: e.package });
        expect(await harness!.storedPackage(e.lookup)).toBe('');
        // A retried registration of the spent code brings nothing back.
        await storage.createEnrolment(e);
        expect(await harness!.storedPackage(e.lookup)).toBe('');
      });

      it('lists a joined device under the name the admin gave it with its code; a code from an older app keeps the claimed name', async () => {
        const { orgId, admin } = await newOrg(storage);
        const named = { ...(await newEnrolment(storage, orgId, admin.deviceId)), lookup: b64u(32), deviceName: 'Front desk tablet' };
        await storage.createEnrolment(named);
        const tablet = { ...deviceKeys(), name: 'New device' };
        await storage.claimEnrolment(named.lookup, at(30), tablet);
        expect((await storage.getDevice(orgId, tablet.deviceId))?.name).toBe('Front desk tablet');

        const older = await newEnrolment(storage, orgId, admin.deviceId);
        const phone = { ...deviceKeys(), name: 'New device' };
        await storage.claimEnrolment(older.lookup, at(31), phone);
        expect((await storage.getDevice(orgId, phone.deviceId))?.name).toBe('New device');
      });

      it('treats a retried registration of the same code as done: the first one stands', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId);
        await storage.createEnrolment({ ...e, package: sealed(), createdAt: at(5) });
        expect(await storage.claimEnrolment(e.lookup, at(30), deviceKeys())).toEqual({ orgId, role: 'outreach', package: e.package });
      });

      it('cannot be claimed once expired (expiry itself included) or when unknown', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId, at(600));
        expect(await storage.claimEnrolment(e.lookup, at(601), deviceKeys())).toBeNull();
        expect(await storage.claimEnrolment(e.lookup, at(600), deviceKeys())).toBeNull();
        expect(await storage.claimEnrolment(b64u(32), at(1), deviceKeys())).toBeNull();
        expect(await storage.listDevices(orgId)).toEqual([admin]);
      });

      it('cannot be claimed once the device that made it is revoked; codes of other devices still can', async () => {
        const { orgId, admin } = await newOrg(storage);
        const second = deviceKeys();
        await storage.claimEnrolment((await newEnrolment(storage, orgId, admin.deviceId)).lookup, at(10), second);
        const kept = await newEnrolment(storage, orgId, second.deviceId);
        const other = await newEnrolment(storage, orgId, admin.deviceId);
        await storage.revokeDevice(orgId, second.deviceId, at(20));
        const keys = deviceKeys();
        expect(await storage.claimEnrolment(kept.lookup, at(30), keys)).toBeNull();
        expect(await storage.getDevice(orgId, keys.deviceId)).toBeNull();
        expect(await storage.claimEnrolment(other.lookup, at(31), keys)).toEqual({ orgId, role: 'outreach', package: other.package });
      });

      it('refuses an already-enrolled device id with DeviceExistsError and leaves the code unused', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId);
        const sameId = { ...deviceKeys(), deviceId: admin.deviceId };
        await expect(storage.claimEnrolment(e.lookup, at(30), sameId)).rejects.toBeInstanceOf(DeviceExistsError);
        expect(await storage.getDevice(orgId, admin.deviceId)).toEqual(admin);
        const keys = deviceKeys();
        expect(await storage.claimEnrolment(e.lookup, at(31), keys)).toEqual({ orgId, role: 'outreach', package: e.package });
      });

      it('lets exactly one of ten simultaneous claims win', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId);
        const results = await Promise.all(Array.from({ length: 10 }, () => storage.claimEnrolment(e.lookup, at(30), deviceKeys())));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect(await storage.listDevices(orgId)).toHaveLength(2);
      });
    });

    describe('batches', () => {
      it('stores a batch, answers an exact repeat as a duplicate with the original receipt time', async () => {
        const { orgId, admin } = await newOrg(storage);
        const b = batch(orgId, admin.deviceId, { receivedAt: at(10) });
        expect(await storage.putBatch(b)).toEqual({ status: 'stored', receivedAt: at(10) });
        expect(await storage.putBatch({ ...b, receivedAt: at(20) })).toEqual({ status: 'duplicate', receivedAt: at(10) });
        const [stored] = await storage.listBatches(orgId, null, 10);
        expect(stored).toEqual({ ...b, cursor: expect.stringMatching(/^\d+$/) });
      });

      it('gives back each part exactly as stored: a large one, then shorter ones, written together and apart', async () => {
        const { orgId, admin } = await newOrg(storage);
        const large = sizedBatch(orgId, admin.deviceId, 300_000);
        // Text outside ASCII is a store's to keep as given, whatever the API lets through.
        const other = batch(orgId, admin.deviceId, { activity: 'é€😀.x', directory: 'a\u0001b' });
        const short = batch(orgId, admin.deviceId);
        await storage.putBatch(large);
        await Promise.all([storage.putBatch(other), storage.putBatch(short)]);
        // The two written together may commit, and so be listed, in either order.
        const parts = (list: readonly { activity: string; directory: string }[]) => list.map(({ activity, directory }) => ({ activity, directory }));
        const byActivity = (a: { activity: string }, b: { activity: string }) => (a.activity < b.activity ? -1 : 1);
        const [first, ...together] = parts(await storage.listBatches(orgId, null, 10));
        expect(first).toEqual(parts([large])[0]);
        expect(together.sort(byActivity)).toEqual(parts([other, short]).sort(byActivity));
      });

      it('answers the same id with other bytes as a conflict and overwrites nothing', async () => {
        const { orgId, admin } = await newOrg(storage);
        const b = batch(orgId, admin.deviceId);
        await storage.putBatch(b);
        const other = batch(orgId, admin.deviceId, { batchId: b.batchId, seq: 7, receivedAt: at(99) });
        expect(await storage.putBatch(other)).toEqual({ status: 'conflict' });
        const list = await storage.listBatches(orgId, null, 10);
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ activity: b.activity, directory: b.directory, sha256: b.sha256, seq: 0, receivedAt: b.receivedAt });
      });

      it('stores one of twenty simultaneous identical uploads; the rest are duplicates', async () => {
        const { orgId, admin } = await newOrg(storage);
        const b = batch(orgId, admin.deviceId);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => storage.putBatch({ ...b, receivedAt: at(10 + i) })));
        expect(results.filter((r) => r.status === 'stored')).toHaveLength(1);
        expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(19);
        // Every answer carries the one receipt time that was stored.
        const rows = await storage.listBatches(orgId, null, 100);
        expect(rows).toHaveLength(1);
        expect(results.every((r) => 'receivedAt' in r && r.receivedAt === rows[0]!.receivedAt)).toBe(true);
      });

      it('keeps batch ids per organisation', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        const batchId = randomUUID();
        expect((await storage.putBatch(batch(a.orgId, a.admin.deviceId, { batchId }))).status).toBe('stored');
        expect((await storage.putBatch(batch(b.orgId, b.admin.deviceId, { batchId }))).status).toBe('stored');
      });

      it('pages through an organisation’s batches in receipt order, never another’s', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        const mine: NewBatch[] = [];
        for (let i = 0; i < 5; i++) {
          const own = batch(a.orgId, a.admin.deviceId, { seq: i });
          mine.push(own);
          await storage.putBatch(own);
          await storage.putBatch(batch(b.orgId, b.admin.deviceId, { seq: i }));
        }
        const pages: string[][] = [];
        const cursors: string[] = [];
        let after: string | null = null;
        for (;;) {
          const page = await storage.listBatches(a.orgId, after, 2);
          if (page.length === 0) break;
          pages.push(page.map((p) => p.batchId));
          cursors.push(...page.map((p) => p.cursor));
          expect(page.every((p) => p.orgId === a.orgId)).toBe(true);
          after = page.at(-1)!.cursor;
        }
        expect(pages).toEqual([[mine[0]!.batchId, mine[1]!.batchId], [mine[2]!.batchId, mine[3]!.batchId], [mine[4]!.batchId]]);
        const numbers = cursors.map(BigInt);
        expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).toBe(true);
        expect(cursors.every((c) => /^\d+$/.test(c))).toBe(true);
        expect(await storage.listBatches(a.orgId, cursors[1]!, 100)).toHaveLength(3);
        expect(await storage.listBatches(randomUUID(), null, 10)).toEqual([]);
      });

      it('pages the archive with whole batches, bounded in number and in bytes, and says where to read on', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        for (const [seq, bytes] of [1000, 1000, 1000, 5000, 500].entries()) {
          await storage.putBatch(sizedBatch(a.orgId, a.admin.deviceId, bytes, { seq }));
          await storage.putBatch(sizedBatch(b.orgId, b.admin.deviceId, bytes, { seq }));
        }
        const all = await storage.listBatches(a.orgId, null, 10);
        const [, , b2, b3, b4] = all;
        /** Every page from the start, as [its batches' seq numbers, whether `next` is its last batch's cursor]. */
        const pages = async (limit: number, maxBytes: number) => {
          const seen: [number[], boolean][] = [];
          for (let after: string | null = null; ; ) {
            const page = await storage.listBatchPage(a.orgId, after, limit, maxBytes);
            seen.push([page.batches.map((x) => x.seq), page.next !== null && page.next === page.batches.at(-1)?.cursor]);
            // Whole batches, both parts, as they are stored.
            for (const listed of page.batches) expect(listed).toEqual(all.find((x) => x.cursor === listed.cursor));
            if (page.next === null) return seen;
            after = page.next;
          }
        };
        // Up to 2,500 bytes: the 5,000-byte batch has a page of its own, since a page always moves on.
        expect(await pages(10, 2500)).toEqual([[[0, 1], true], [[2], true], [[3], true], [[4], false]]);
        // Exactly the bound fits.
        expect(await pages(10, 2000)).toEqual([[[0, 1], true], [[2], true], [[3], true], [[4], false]]);
        expect(await pages(10, 6000)).toEqual([[[0, 1, 2], true], [[3, 4], false]]);
        expect(await pages(2, 1_000_000)).toEqual([[[0, 1], true], [[2, 3], true], [[4], false]]);
        // A page that ends where the batches do says so: no empty page after it.
        expect(await pages(5, 8500)).toEqual([[[0, 1, 2, 3, 4], false]]);
        expect(await storage.listBatchPage(a.orgId, b2!.cursor, 1, 100)).toEqual({ batches: [b3], next: b3!.cursor });
        expect(await storage.listBatchPage(a.orgId, b4!.cursor, 10, 100)).toEqual({ batches: [], next: null });
        expect(await storage.listBatchPage(randomUUID(), null, 10, 100)).toEqual({ batches: [], next: null });
      });

      it('pages the directory with directory parts alone, bounded by their bytes, activity neither listed nor counted', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        // Large activity parts, directory parts of 100, 100, 300, 100 bytes.
        for (const [seq, bytes] of [100, 100, 300, 100].entries()) {
          await storage.putBatch(batch(a.orgId, a.admin.deviceId, { seq, activity: 'A'.repeat(50_000), directory: 'D'.repeat(bytes), size: 50_000 + bytes }));
          await storage.putBatch(sizedBatch(b.orgId, b.admin.deviceId, 5000, { seq }));
        }
        const all = await storage.listBatches(a.orgId, null, 10);
        const entries = all.map(({ cursor, batchId, deviceId, receivedAt, directory }) => ({ cursor, batchId, deviceId, receivedAt, directory }));
        /** Every page from the start, as the cursors of its entries, and whether more follow. */
        const pages = async (limit: number, maxBytes: number) => {
          const seen: [string[], boolean][] = [];
          for (let after: string | null = null; ; ) {
            const page = await storage.listDirectoryPage(a.orgId, after, limit, maxBytes);
            for (const listed of page.entries) expect(listed).toEqual(entries.find((x) => x.cursor === listed.cursor));
            seen.push([page.entries.map((x) => x.cursor), page.next !== null]);
            if (page.next === null) return seen;
            expect(page.next).toBe(page.entries.at(-1)!.cursor);
            after = page.next;
          }
        };
        const [c0, c1, c2, c3] = all.map((x) => x.cursor);
        // 50 kB of activity per batch would have put one batch on each page; the directory parts fit on one.
        expect(await pages(10, 600)).toEqual([[[c0, c1, c2, c3], false]]);
        expect(await pages(10, 500)).toEqual([[[c0, c1, c2], true], [[c3], false]]);
        // The first always goes on, whatever its size; the count bounds too.
        expect(await pages(10, 50)).toEqual([[[c0], true], [[c1], true], [[c2], true], [[c3], false]]);
        expect(await pages(2, 1_000_000)).toEqual([[[c0, c1], true], [[c2, c3], false]]);
        expect(await storage.listDirectoryPage(a.orgId, c3!, 10, 100)).toEqual({ entries: [], next: null });
        expect(await storage.listDirectoryPage(randomUUID(), null, 10, 100)).toEqual({ entries: [], next: null });
        await expect(storage.listDirectoryPage(a.orgId, 'x', 10, 1000)).rejects.toThrow(RangeError);
      });

      it('appends the audit entry given with a batch only when the batch is stored', async () => {
        const { orgId, admin } = await newOrg(storage);
        const b = batch(orgId, admin.deviceId);
        const entry = (s: number) => ({ orgId, at: at(s), actor: admin.deviceId, action: 'batch.uploaded' as const, subject: b.batchId });
        expect(await storage.putBatch(b, entry(10))).toEqual({ status: 'stored', receivedAt: b.receivedAt });
        expect(await storage.putBatch({ ...b, receivedAt: at(20) }, entry(20))).toEqual({ status: 'duplicate', receivedAt: b.receivedAt });
        expect(await storage.putBatch({ ...b, seq: 9, sha256: b64u(32) }, entry(30))).toEqual({ status: 'conflict' });
        expect((await storage.listAudit(orgId, null, 10)).map(({ cursor, ...rest }) => rest)).toEqual([entry(10)]);
      });

      it('stores neither the batch nor its audit entry when the entry cannot be written', async () => {
        const { orgId, admin } = await newOrg(storage);
        const b = batch(orgId, admin.deviceId);
        const broken = { orgId, at: at(10), actor: admin.deviceId, action: null, subject: b.batchId } as unknown as Parameters<Storage['appendAudit']>[0];
        await expect(storage.putBatch(b, broken)).rejects.toThrow();
        expect(await storage.listBatches(orgId, null, 10)).toEqual([]);
        expect(await storage.listAudit(orgId, null, 10)).toEqual([]);
        // And the id is still free.
        expect(await storage.putBatch(b, { ...broken, action: 'batch.uploaded' })).toMatchObject({ status: 'stored' });
        expect(await storage.listAudit(orgId, null, 10)).toHaveLength(1);
      });

      it('keeps simultaneous uploads apart: one that fails takes none of the others with it', async () => {
        const { orgId, admin } = await newOrg(storage);
        const entry = (b: NewBatch) => ({ orgId, at: at(10), actor: admin.deviceId, action: 'batch.uploaded' as const, subject: b.batchId });
        const batches = Array.from({ length: 5 }, (_, seq) => batch(orgId, admin.deviceId, { seq }));
        const broken = { ...entry(batches[2]!), action: null } as unknown as Parameters<Storage['appendAudit']>[0];
        const results = await Promise.allSettled(batches.map((b, i) => storage.putBatch(b, i === 2 ? broken : entry(b))));
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        // Simultaneous, so in no particular order.
        const stored = (await storage.listBatches(orgId, null, 10)).map((b) => b.batchId).sort();
        expect(stored).toEqual([0, 1, 3, 4].map((i) => batches[i]!.batchId).sort());
        expect((await storage.listAudit(orgId, null, 10)).map((e) => e.subject).sort()).toEqual(stored);
      });

      it('stores one of twenty simultaneous identical uploads with their audit entries, and audits it once', async () => {
        const { orgId, admin } = await newOrg(storage);
        const b = batch(orgId, admin.deviceId);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            storage.putBatch({ ...b, receivedAt: at(10 + i) }, { orgId, at: at(10 + i), actor: admin.deviceId, action: 'batch.uploaded', subject: b.batchId }),
          ),
        );
        expect(results.filter((r) => r.status === 'stored')).toHaveLength(1);
        expect(await storage.listAudit(orgId, null, 100)).toHaveLength(1);
      });

      it('stores two hundred simultaneous uploads (more than one group takes), each once with its audit entry', async () => {
        const { orgId, admin } = await newOrg(storage);
        const batches = Array.from({ length: 200 }, (_, seq) => batch(orgId, admin.deviceId, { seq }));
        const results = await Promise.all(batches.map((b) => storage.putBatch(b, { orgId, at: at(10), actor: admin.deviceId, action: 'batch.uploaded', subject: b.batchId })));
        expect(results.every((r) => r.status === 'stored')).toBe(true);
        const stored = (await storage.listBatches(orgId, null, 1000)).map((b) => [b.batchId, b.seq, b.size, b.activity]);
        expect(stored.sort()).toEqual(batches.map((b) => [b.batchId, b.seq, b.size, b.activity]).sort());
        expect((await storage.listAudit(orgId, null, 1000)).map((e) => e.subject).sort()).toEqual(batches.map((b) => b.batchId).sort());
      });

      it('answers simultaneous uploads of one id with two contents: one stored, its repeats duplicates, the other bytes conflicts', async () => {
        const { orgId, admin } = await newOrg(storage);
        const first = batch(orgId, admin.deviceId);
        const other = { ...first, seq: 1, sha256: b64u(32) };
        const sent = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : other));
        const results = await Promise.all(sent.map((b) => storage.putBatch(b, { orgId, at: at(10), actor: admin.deviceId, action: 'batch.uploaded', subject: b.batchId })));
        const winner = sent[results.findIndex((r) => r.status === 'stored')]!;
        expect(results.filter((r) => r.status === 'stored')).toHaveLength(1);
        const expected = sent.map((b, i) => (results[i]!.status === 'stored' ? 'stored' : b === winner ? 'duplicate' : 'conflict'));
        expect(results.map((r) => r.status)).toEqual(expected);
        expect(await storage.listAudit(orgId, null, 100)).toHaveLength(1);
      });

      it('rejects a malformed cursor or limit', async () => {
        const { orgId } = await newOrg(storage);
        await expect(storage.listBatches(orgId, '1 OR 1=1', 10)).rejects.toThrow(RangeError);
        await expect(storage.listBatches(orgId, null, 0)).rejects.toThrow(RangeError);
        await expect(storage.listBatchPage(orgId, 'x', 10, 1000)).rejects.toThrow(RangeError);
        await expect(storage.listBatchPage(orgId, null, 0, 1000)).rejects.toThrow(RangeError);
        await expect(storage.listBatchPage(orgId, null, 10, 0)).rejects.toThrow(RangeError);
        await expect(storage.listAudit(orgId, '-1', 10)).rejects.toThrow(RangeError);
      });
    });

    describe('compaction and tombstones', () => {
      /** An organisation with a front-desk tablet that has uploaded three batches. */
      async function orgWithBatches() {
        const o = await newOrg(storage);
        const tablet = device(o.orgId);
        const e = await newEnrolment(storage, o.orgId, o.admin.deviceId);
        await storage.claimEnrolment(e.lookup, at(1), tablet);
        const [x, y, z] = [0, 1, 2].map((seq) => batch(o.orgId, tablet.deviceId, { seq, receivedAt: at(10 + seq) }));
        for (const each of [x!, y!, z!]) await storage.putBatch(each);
        return { ...o, tablet, x: x!, y: y!, z: z! };
      }
      const audited = async (orgId: string) => (await storage.listAudit(orgId, null, 100)).map(({ cursor, ...rest }) => rest);

      it('stores the new batches, removes the superseded ones and audits it, all together; other batches stay', async () => {
        const o = await orgWithBatches();
        const other = await newOrg(storage);
        const theirs = batch(other.orgId, other.admin.deviceId);
        await storage.putBatch(theirs);
        const [n1, n2] = [batch(o.orgId, o.admin.deviceId, { seq: 0 }), batch(o.orgId, o.admin.deviceId, { seq: 1 })];
        const c = compaction(o.orgId, o.admin.deviceId, [n1!, n2!], [o.x.batchId, o.z.batchId]);
        expect(await storage.compact(c)).toEqual({ status: 'compacted', stored: 2, alreadyStored: 0, removed: 2, alreadyRemoved: 0 });

        const listed = await storage.listBatches(o.orgId, null, 10);
        expect(ids(listed)).toEqual([o.y.batchId, n1!.batchId, n2!.batchId]);
        expect(await storage.listBatchPage(o.orgId, null, 10, 1_000_000)).toEqual({ batches: listed, next: null });
        expect(listed[1]).toEqual({ ...n1!, deviceId: o.admin.deviceId, receivedAt: at(100), cursor: expect.stringMatching(/^\d+$/) });
        expect(ids(await storage.listBatches(other.orgId, null, 10))).toEqual([theirs.batchId]);
        expect(await audited(o.orgId)).toEqual([c.audit]);
        // A batch received after the snapshot was made is not superseded, and comes after it.
        const later = batch(o.orgId, o.tablet.deviceId, { seq: 3 });
        await storage.putBatch(later);
        expect(ids(await storage.listBatches(o.orgId, listed.at(-1)!.cursor, 10))).toEqual([later.batchId]);
      });

      it('answers a retried upload of a removed batch as a duplicate and stores nothing; other bytes are a conflict', async () => {
        const o = await orgWithBatches();
        await storage.compact(compaction(o.orgId, o.admin.deviceId, [batch(o.orgId, o.admin.deviceId)], [o.x.batchId]));
        const before = await storage.listBatches(o.orgId, null, 10);
        const auditBefore = await audited(o.orgId);

        const retry = { orgId: o.orgId, at: at(200), actor: o.tablet.deviceId, action: 'batch.uploaded' as const, subject: o.x.batchId };
        expect(await storage.putBatch({ ...o.x, receivedAt: at(200) }, retry)).toEqual({ status: 'duplicate', receivedAt: o.x.receivedAt });
        expect(await storage.putBatch({ ...o.x, receivedAt: at(201) })).toEqual({ status: 'duplicate', receivedAt: o.x.receivedAt });
        expect(await storage.putBatch({ ...o.x, seq: 9, sha256: b64u(32) })).toEqual({ status: 'conflict' });
        expect(await storage.listBatches(o.orgId, null, 10)).toEqual(before);
        expect(await audited(o.orgId)).toEqual(auditBefore);
      });

      it('changes nothing, and audits nothing, when the same compaction comes again', async () => {
        const o = await orgWithBatches();
        const c = compaction(o.orgId, o.admin.deviceId, [batch(o.orgId, o.admin.deviceId)], [o.x.batchId, o.y.batchId]);
        await storage.compact(c);
        const before = await storage.listBatches(o.orgId, null, 10);
        expect(await storage.compact({ ...c, at: at(300) })).toEqual({ status: 'compacted', stored: 0, alreadyStored: 1, removed: 0, alreadyRemoved: 2 });
        expect(await storage.listBatches(o.orgId, null, 10)).toEqual(before);
        expect(await audited(o.orgId)).toEqual([c.audit]);
      });

      it('lets a later compaction supersede an earlier one’s batches, and the earlier one retried is still harmless', async () => {
        const o = await orgWithBatches();
        const first = compaction(o.orgId, o.admin.deviceId, [batch(o.orgId, o.admin.deviceId)], [o.x.batchId], 100);
        await storage.compact(first);
        const second = compaction(o.orgId, o.admin.deviceId, [batch(o.orgId, o.admin.deviceId)], [first.batches[0]!.batchId, o.y.batchId], 200);
        expect(await storage.compact(second)).toEqual({ status: 'compacted', stored: 1, alreadyStored: 0, removed: 2, alreadyRemoved: 0 });
        expect(await storage.compact(first)).toEqual({ status: 'compacted', stored: 0, alreadyStored: 1, removed: 0, alreadyRemoved: 1 });
        expect(ids(await storage.listBatches(o.orgId, null, 10))).toEqual([o.z.batchId, second.batches[0]!.batchId]);
        expect((await audited(o.orgId)).map((e) => e.at)).toEqual([at(100), at(200)]);
      });

      it('may store no new batch at all: the superseded ones are just removed', async () => {
        const o = await orgWithBatches();
        expect(await storage.compact(compaction(o.orgId, o.admin.deviceId, [], [o.y.batchId]))).toEqual({
          status: 'compacted',
          stored: 0,
          alreadyStored: 0,
          removed: 1,
          alreadyRemoved: 0,
        });
        expect(ids(await storage.listBatches(o.orgId, null, 10))).toEqual([o.x.batchId, o.z.batchId]);
      });

      it('changes nothing when a superseded id is not a batch of this organisation, and says which', async () => {
        const o = await orgWithBatches();
        const other = await newOrg(storage);
        const theirs = batch(other.orgId, other.admin.deviceId);
        await storage.putBatch(theirs);
        const before = await storage.listBatches(o.orgId, null, 10);
        const fresh = batch(o.orgId, o.admin.deviceId);
        const unknown = randomUUID();
        const c = compaction(o.orgId, o.admin.deviceId, [fresh], [o.x.batchId, unknown, theirs.batchId]);
        expect(await storage.compact(c)).toEqual({ status: 'unknownBatches', batchIds: [unknown, theirs.batchId] });
        expect(await storage.listBatches(o.orgId, null, 10)).toEqual(before);
        expect(ids(await storage.listBatches(other.orgId, null, 10))).toEqual([theirs.batchId]);
        expect(await audited(o.orgId)).toEqual([]);
        // The new batch's id is still free: it was never stored.
        expect((await storage.putBatch(fresh)).status).toBe('stored');
      });

      it('changes nothing when a new batch id was already received with other bytes, even after storing others', async () => {
        const o = await orgWithBatches();
        const before = await storage.listBatches(o.orgId, null, 10);
        const fresh = batch(o.orgId, o.admin.deviceId);
        const taken = batch(o.orgId, o.admin.deviceId, { batchId: o.z.batchId });
        const c = compaction(o.orgId, o.admin.deviceId, [fresh, taken], [o.x.batchId]);
        expect(await storage.compact(c)).toEqual({ status: 'conflict', batchIds: [o.z.batchId] });
        expect(await storage.listBatches(o.orgId, null, 10)).toEqual(before);
        expect(await audited(o.orgId)).toEqual([]);
        expect((await storage.putBatch(fresh)).status).toBe('stored');
      });

      it('changes nothing when its audit entry cannot be written', async () => {
        const o = await orgWithBatches();
        const before = await storage.listBatches(o.orgId, null, 10);
        const c = compaction(o.orgId, o.admin.deviceId, [batch(o.orgId, o.admin.deviceId)], [o.x.batchId]);
        const broken = { ...c, audit: { ...c.audit, action: null } } as unknown as Compaction;
        await expect(storage.compact(broken)).rejects.toThrow();
        expect(await storage.listBatches(o.orgId, null, 10)).toEqual(before);
        expect(await storage.compact(c)).toMatchObject({ status: 'compacted', stored: 1, removed: 1 });
      });

      it('never lets retried uploads racing a compaction bring removed content back', async () => {
        const o = await orgWithBatches();
        const c = compaction(o.orgId, o.admin.deviceId, [batch(o.orgId, o.admin.deviceId)], [o.x.batchId, o.y.batchId, o.z.batchId]);
        const retries = [o.x, o.y, o.z].flatMap((b) => Array.from({ length: 5 }, (_, i) => storage.putBatch({ ...b, receivedAt: at(150 + i) })));
        const [compacted, ...uploads] = await Promise.all([storage.compact(c), ...retries]);
        expect(compacted).toMatchObject({ status: 'compacted', removed: 3 });
        expect(uploads.every((u) => u.status === 'duplicate')).toBe(true);
        expect(ids(await storage.listBatches(o.orgId, null, 10))).toEqual([c.batches[0]!.batchId]);
      });
    });

    describe('keys', () => {
      it('adds wrapped keys in order; adding the same id again keeps the first', async () => {
        const { orgId, wrappedKeys } = await newOrg(storage);
        const more = [wrappedKey('recovery'), wrappedKey('passphrase')];
        await storage.addWrappedKeys(orgId, more);
        await storage.addWrappedKeys(orgId, [{ ...more[0]!, wrapped: 'replaced' }]);
        expect(await storage.listWrappedKeys(orgId)).toEqual([...wrappedKeys, ...more]);
      });

      it('keeps team key envelopes per device and version; the same version again replaces it', async () => {
        const { orgId, admin } = await newOrg(storage);
        const e = await newEnrolment(storage, orgId, admin.deviceId);
        const other = deviceKeys();
        await storage.claimEnrolment(e.lookup, at(1), other);
        const [a1, b1, a2, a2again, b2] = [sealed(), sealed(), sealed(), sealed(), sealed()];
        await storage.putTeamKeyEnvelopes(orgId, 2, [{ deviceId: admin.deviceId, sealed: a2 }, { deviceId: other.deviceId, sealed: b2 }]);
        await storage.putTeamKeyEnvelopes(orgId, 1, [{ deviceId: admin.deviceId, sealed: a1 }, { deviceId: other.deviceId, sealed: b1 }]);
        await storage.putTeamKeyEnvelopes(orgId, 2, [{ deviceId: admin.deviceId, sealed: a2again }]);
        expect(await storage.listTeamKeyEnvelopes(orgId, admin.deviceId)).toEqual([{ version: 1, sealed: a1 }, { version: 2, sealed: a2again }]);
        expect(await storage.listTeamKeyEnvelopes(orgId, other.deviceId)).toEqual([{ version: 1, sealed: b1 }, { version: 2, sealed: b2 }]);
        expect(await storage.listTeamKeyEnvelopes(orgId, randomUUID())).toEqual([]);
      });
    });

    describe('audit log', () => {
      it('appends entries and pages through them per organisation', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        const entries = [
          { orgId: a.orgId, at: at(0), actor: null, action: 'org.created' as const, subject: null },
          { orgId: a.orgId, at: at(1), actor: a.admin.deviceId, action: 'enrolment.created' as const, subject: null },
          { orgId: a.orgId, at: at(2), actor: null, action: 'device.enrolled' as const, subject: randomUUID() },
        ];
        for (const entry of entries) {
          await storage.appendAudit(entry);
          await storage.appendAudit({ ...entry, orgId: b.orgId });
        }
        const first = await storage.listAudit(a.orgId, null, 2);
        expect(first.map(({ cursor, ...rest }) => rest)).toEqual(entries.slice(0, 2));
        const rest = await storage.listAudit(a.orgId, first[1]!.cursor, 2);
        expect(rest.map(({ cursor, ...r }) => r)).toEqual(entries.slice(2));
        expect(BigInt(rest[0]!.cursor)).toBeGreaterThan(BigInt(first[1]!.cursor));
        expect(await storage.listAudit(a.orgId, rest[0]!.cursor, 2)).toEqual([]);
      });
    });

    it('keeps everything across a restart', async () => {
      const { org, orgId, admin, wrappedKeys } = await newOrg(storage);
      const e = await newEnrolment(storage, orgId, admin.deviceId);
      const tablet = deviceKeys();
      await storage.claimEnrolment((await newEnrolment(storage, orgId, admin.deviceId)).lookup, at(4), tablet);
      const b = batch(orgId, admin.deviceId);
      await storage.putBatch(b);
      const removed = batch(orgId, admin.deviceId, { seq: 1 });
      await storage.putBatch(removed);
      await storage.compact(compaction(orgId, admin.deviceId, [], [removed.batchId], 6));
      await storage.putTeamKeyEnvelopes(orgId, 1, [{ deviceId: admin.deviceId, sealed: 'sealed.team.key' }]);
      await storage.appendAudit({ orgId, at: at(5), actor: admin.deviceId, action: 'batch.uploaded', subject: b.batchId });
      await storage.revokeDevice(orgId, tablet.deviceId, at(7));
      const before = {
        devices: await storage.listDevices(orgId),
        batches: await storage.listBatches(orgId, null, 10),
        audit: await storage.listAudit(orgId, null, 10),
      };

      storage = await harness!.reopen();

      expect(await storage.getOrg(orgId)).toEqual(org);
      expect(await storage.listDevices(orgId)).toEqual(before.devices);
      expect(await storage.listWrappedKeys(orgId)).toEqual(wrappedKeys);
      expect(await storage.listBatches(orgId, null, 10)).toEqual(before.batches);
      expect(await storage.listAudit(orgId, null, 10)).toEqual(before.audit);
      expect(await storage.listTeamKeyEnvelopes(orgId, admin.deviceId)).toEqual([{ version: 1, sealed: 'sealed.team.key' }]);
      expect(await storage.putBatch({ ...b, receivedAt: at(50) })).toEqual({ status: 'duplicate', receivedAt: b.receivedAt });
      // A removed batch's id is remembered too.
      expect(await storage.putBatch({ ...removed, receivedAt: at(50) })).toEqual({ status: 'duplicate', receivedAt: removed.receivedAt });
      // The enrolment code survived too, still unused.
      expect(await storage.claimEnrolment(e.lookup, at(60), deviceKeys())).not.toBeNull();
      // Cursors keep growing after a restart: clients page on from where they were.
      const next = batch(orgId, admin.deviceId);
      await storage.putBatch(next);
      expect(await storage.listBatches(orgId, before.batches.at(-1)!.cursor, 10)).toMatchObject([{ batchId: next.batchId }]);
    });
  });
}

// ---- the two adapters --------------------------------------------------------------------------

async function sqliteHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
  const dataDir = join(dir, 'data');
  let current = await openSqliteStorage(dataDir);
  return {
    storage: current,
    async reopen() {
      await current.close();
      return (current = await openSqliteStorage(dataDir));
    },
    async storedPackage(lookup) {
      const copy = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      try {
        return (copy.prepare('SELECT package FROM enrolments WHERE lookup = ?').get(lookup) as { package: string } | undefined)?.package;
      } finally {
        copy.close();
      }
    },
    async cleanup() {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The URL without its password, for error messages that end up in CI logs. */
function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function unreachable(error: unknown): Error {
  return new Error(
    `PostgreSQL is not reachable at ${redacted(DATABASE_URL)} (${(error as Error).message}). ` +
      'The PostgreSQL storage tests need a real server: start one, or set DATABASE_URL.',
    { cause: error },
  );
}

async function postgresHarness(): Promise<Harness> {
  const schema = freshSchema();
  let current: Storage;
  try {
    current = await openPostgresStorage(DATABASE_URL, { schema });
  } catch (error) {
    throw unreachable(error);
  }
  return {
    storage: current,
    async reopen() {
      await current.close();
      return (current = await openPostgresStorage(DATABASE_URL, { schema }));
    },
    async storedPackage(lookup) {
      const { rows } = await withPostgres((client) => client.query<{ package: string }>(`SELECT package FROM ${schema}.enrolments WHERE lookup = $1`, [lookup]));
      return rows[0]?.package;
    },
    async cleanup() {
      await current.close();
      await dropSchemas(schema);
    },
  };
}

describeStorageContract('SQLite', sqliteHarness);
describeStorageContract('PostgreSQL', postgresHarness);

// ---- what only one adapter has ---------------------------------------------------------------

/**
 * What a database made by schema version 1 (the first release) holds: an organisation, its admin
 * and one batch, as rows of that schema. Each adapter's migration test writes them with the
 * version 1 SQL and then opens the database with today's code.
 */
function versionOneData() {
  const org: StoredOrg = { orgId: randomUUID(), orgPublicKey: jwk(), createdAt: at(0) };
  const admin = device(org.orgId, 'admin');
  const b = batch(org.orgId, admin.deviceId, { seq: 4 });
  // Two enrolment codes: one claimed, whose package a later migration empties, and one not yet.
  const spent = { lookup: b64u(32), package: sealed() };
  const unspent = { lookup: b64u(32), package: sealed() };
  const enrolment = 'enrolments (lookup, org_id, role, package, created_by, created_at, expires_at, used_at, used_by)';
  const rows = [
    ['orgs (org_id, public_key, created_at)', [org.orgId, JSON.stringify(org.orgPublicKey), org.createdAt]],
    [
      'devices (org_id, device_id, name, role, signing_key, encryption_key, enrolled_at)',
      [org.orgId, admin.deviceId, admin.name, admin.role, JSON.stringify(admin.signingKey), JSON.stringify(admin.encryptionKey), admin.enrolledAt],
    ],
    [
      'batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)',
      [b.orgId, b.batchId, b.deviceId, b.seq, b.activity, b.directory, b.sha256, b.size, b.receivedAt],
    ],
    [enrolment, [spent.lookup, org.orgId, 'outreach', spent.package, admin.deviceId, at(0), at(600), at(30), randomUUID()]],
    [enrolment, [unspent.lookup, org.orgId, 'outreach', unspent.package, admin.deviceId, at(0), at(600), null, null]],
  ] as const;
  /** The packages the migrated database must hold: none for the spent code. */
  const packages = [
    { lookup: spent.lookup, package: '' },
    { lookup: unspent.lookup, package: unspent.package },
  ].sort((x, y) => (x.lookup < y.lookup ? -1 : 1)); // byte order, as the databases sort them
  return { org, admin, batch: b, rows, packages };
}

/** Today's storage on a version 1 database: everything is still there, and removal works on old batches. */
async function expectMigrated(storage: Storage, old: ReturnType<typeof versionOneData>) {
  const { org, admin, batch: b } = old;
  expect(await storage.getOrg(org.orgId)).toEqual(org);
  expect(await storage.listDevices(org.orgId)).toEqual([admin]);
  expect(await storage.listBatches(org.orgId, null, 10)).toEqual([{ ...b, cursor: expect.stringMatching(/^\d+$/) }]);
  expect(await storage.putBatch({ ...b, receivedAt: at(50) })).toEqual({ status: 'duplicate', receivedAt: b.receivedAt });
  expect(await storage.compact(compaction(org.orgId, admin.deviceId, [], [b.batchId]))).toMatchObject({ status: 'compacted', removed: 1 });
  expect(await storage.listBatches(org.orgId, null, 10)).toEqual([]);
  expect(await storage.putBatch({ ...b, receivedAt: at(60) })).toEqual({ status: 'duplicate', receivedAt: b.receivedAt });
}

describe('SQLite storage', () => {
  it('creates the data folder and a WAL database file, with every schema version recorded once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    const dataDir = join(dir, 'nested', 'data');
    try {
      const [one, two] = await Promise.all([openSqliteStorage(dataDir), openSqliteStorage(dataDir)]);
      await Promise.all([one.close(), two.close()]);
      const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_version').all()).toEqual(SQLITE_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** The permission bits of a file or folder, as 0o600 and the like. */
  const mode = (path: string) => statSync(path).mode & 0o777;
  const files = (dataDir: string) => ['', '-wal', '-shm'].map((suffix) => join(dataDir, SQLITE_FILE + suffix));

  it("keeps its folder and files to the server's own user: the folder 0700, the database, its log and shared memory 0600", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    const dataDir = join(dir, 'data');
    try {
      const storage = await openSqliteStorage(dataDir);
      const org = await newOrg(storage);
      await storage.putBatch(batch(org.orgId, org.admin.deviceId));
      // While it runs, as a written batch leaves it: the log and shared memory exist.
      expect(mode(dataDir)).toBe(0o700);
      for (const file of files(dataDir)) expect(mode(file), file).toBe(0o600);
      await storage.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('makes database files an earlier version left readable by everyone 0600, and leaves the mode of a folder it did not make', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    try {
      const old = new Database(join(dir, SQLITE_FILE));
      old.pragma('journal_mode = WAL');
      old.close();
      chmodSync(dir, 0o755);
      chmodSync(join(dir, SQLITE_FILE), 0o644);
      const storage = await openSqliteStorage(dir);
      const org = await newOrg(storage);
      await storage.putBatch(batch(org.orgId, org.admin.deviceId));
      for (const file of files(dir)) expect(mode(file), file).toBe(0o600);
      expect(mode(dir)).toBe(0o755);
      await storage.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens a data folder made by schema version 1, keeps its batches and migrates it to the latest version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    try {
      const old = versionOneData();
      mkdirSync(dir, { recursive: true });
      // Exactly what the version 1 code did to a new folder.
      const db = new Database(join(dir, SQLITE_FILE));
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
      db.exec(SQLITE_MIGRATIONS[0]!);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (1, ?)').run(at(0));
      for (const [table, values] of old.rows) db.prepare(`INSERT INTO ${table} VALUES (${values.map(() => '?').join(', ')})`).run(...values);
      db.close();

      const storage = await openSqliteStorage(dir);
      try {
        await expectMigrated(storage, old);
      } finally {
        await storage.close();
      }
      const check = new Database(join(dir, SQLITE_FILE), { readonly: true });
      expect(check.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual(SQLITE_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
      expect(check.prepare('SELECT lookup, package FROM enrolments ORDER BY lookup').all()).toEqual(old.packages);
      check.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves no copy of a removed batch’s content in the database file or its log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    const storage = await openSqliteStorage(dir);
    try {
      const { orgId, admin } = await newOrg(storage);
      // One small enough to sit in its table page, one spread over overflow pages.
      const long = () => [b64u(20), '', b64u(12), b64u(30_000), b64u(16)].join('.');
      const [small, large, kept] = [batch(orgId, admin.deviceId), batch(orgId, admin.deviceId, { activity: long(), directory: long() }), batch(orgId, admin.deviceId)];
      for (const b of [small, large, kept]) await storage.putBatch(b);
      await storage.compact(compaction(orgId, admin.deviceId, [], [small.batchId, large.batchId]));

      const files = [SQLITE_FILE, `${SQLITE_FILE}-wal`].map((f) => join(dir, f)).filter((f) => existsSync(f));
      const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
      const contains = (text: string) => bytes.includes(Buffer.from(text, 'utf8'));
      // The search itself works: what was kept is found.
      expect(contains(kept.activity)).toBe(true);
      for (const removed of [small.activity, small.directory, large.activity.slice(0, 2000), large.directory.slice(-2000)]) expect(contains(removed)).toBe(false);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is what openStorage opens when no database URL is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    try {
      const storage = await openStorage({ dataDir: dir });
      await newOrg(storage);
      await storage.close();
      expect(existsSync(join(dir, SQLITE_FILE))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL storage', () => {
  let openError: unknown;
  beforeAll(async () => {
    try {
      await withPostgres(async () => undefined);
    } catch (error) {
      openError = unreachable(error);
    }
  });
  beforeEach(() => {
    if (openError) throw openError;
  });

  it('applies migrations once when several processes start at the same moment', async () => {
    const schema = freshSchema();
    try {
      const opened = await Promise.all([1, 2, 3].map(() => openPostgresStorage(DATABASE_URL, { schema, maxConnections: 2 })));
      await Promise.all(opened.map((s) => s.close()));
      const { rows } = await withPostgres((client) => client.query(`SELECT version FROM ${schema}.schema_version`));
      expect(rows).toEqual(POSTGRES_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    } finally {
      await dropSchemas(schema);
    }
  });

  it('counts a rate limit for every process on the database alike, each key in its own window', async () => {
    const schema = freshSchema();
    // Two storages on one schema: what two endpoint processes hold.
    const [one, two] = await Promise.all([1, 2].map(() => openPostgresStorage(DATABASE_URL, { schema, maxConnections: 4 })));
    try {
      const counted = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one! : two!).countRequest!('device:a@192.0.2.1', 60_000)));
      expect(counted.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      for (const c of counted) {
        expect(c.resetInMs).toBeGreaterThan(0);
        expect(c.resetInMs).toBeLessThanOrEqual(60_000);
      }
      expect((await two!.countRequest!('device:b@192.0.2.1', 60_000)).count).toBe(1);
    } finally {
      await Promise.all([one!.close(), two!.close()]);
      await dropSchemas(schema);
    }
  });

  it("starts a key's count again once its window has passed", async () => {
    const schema = freshSchema();
    const storage = await openPostgresStorage(DATABASE_URL, { schema, maxConnections: 2 });
    try {
      expect((await storage.countRequest!('ip:192.0.2.2', 60_000)).count).toBe(1);
      expect((await storage.countRequest!('ip:192.0.2.2', 60_000)).count).toBe(2);
      // A window of 50 ms: counted on while it lasts, then from one again.
      const short = 'ip:192.0.2.3';
      expect((await storage.countRequest!(short, 50)).count).toBe(1);
      await vi.waitFor(async () => expect((await storage.countRequest!(short, 50)).count).toBe(1), { timeout: 10_000, interval: 20 });
      expect((await storage.countRequest!('ip:192.0.2.2', 60_000)).count).toBe(3);
    } finally {
      await storage.close();
      await dropSchemas(schema);
    }
  });

  it('never lists past a batch whose upload is still committing: a reader sees batches in commit order', async () => {
    const schema = freshSchema();
    const storage = await openPostgresStorage(DATABASE_URL, { schema, maxConnections: 4 });
    try {
      const { orgId, admin } = await newOrg(storage);
      const first = batch(orgId, admin.deviceId);
      await storage.putBatch(first);
      const page = await storage.listBatchPage(orgId, null, 100, 1 << 20);
      expect(ids(page.batches)).toEqual([first.batchId]);
      const cursor = page.batches[0]!.cursor;
      const slow = batch(orgId, admin.deviceId);
      const quick = batch(orgId, admin.deviceId);
      await withPostgres(async (client) => {
        // An upload that has inserted its row, so holds the lower sequence number, but not committed yet.
        await client.query(`SET search_path = ${schema}`);
        await client.query('BEGIN');
        await client.query('INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
          slow.orgId, slow.batchId, slow.deviceId, slow.seq, slow.activity, slow.directory, slow.sha256, slow.size, slow.receivedAt,
        ]);
        // Another upload, begun after it, commits first.
        expect((await storage.putBatch(quick)).status).toBe('stored');
        // A reader now must not be handed a cursor past the first one's place.
        expect(await storage.listBatchPage(orgId, cursor, 100, 1 << 20)).toEqual({ batches: [], next: null });
        expect(await storage.listBatches(orgId, cursor, 100)).toEqual([]);
        await client.query('COMMIT');
      });
      const after = await storage.listBatchPage(orgId, cursor, 100, 1 << 20);
      expect(ids(after.batches)).toEqual([slow.batchId, quick.batchId]);
      expect(ids(await storage.listBatches(orgId, null, 100))).toEqual([first.batchId, slow.batchId, quick.batchId]);
    } finally {
      await storage.close();
      await dropSchemas(schema);
    }
  });

  it('opens a database made by schema version 1, keeps its batches and migrates it to the latest version', async () => {
    const schema = freshSchema();
    await withPostgres(async (client) => {
      try {
        const old = versionOneData();
        // Exactly what the version 1 code did to a new database.
        await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
        await client.query('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        await client.query(POSTGRES_MIGRATIONS[0]!);
        await client.query('INSERT INTO schema_version (version) VALUES (1)');
        for (const [table, values] of old.rows) await client.query(`INSERT INTO ${table} VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, [...values]);

        const storage = await openPostgresStorage(DATABASE_URL, { schema });
        try {
          await expectMigrated(storage, old);
        } finally {
          await storage.close();
        }
        expect((await client.query('SELECT version FROM schema_version ORDER BY version')).rows).toEqual(POSTGRES_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
        expect((await client.query('SELECT lookup, package FROM enrolments ORDER BY lookup COLLATE "C"')).rows).toEqual(old.packages);
        // The removed batch's row holds nothing of its content, only what makes its id a tombstone.
        const { rows } = await client.query('SELECT activity, directory, sha256, removed_at FROM batches WHERE batch_id = $1', [old.batch.batchId]);
        expect(rows).toEqual([{ activity: '', directory: '', sha256: old.batch.sha256, removed_at: new Date(at(100)) }]);
      } finally {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
    });
  });

  it('is what openStorage opens when a database URL is set', async () => {
    const schema = freshSchema();
    await withPostgres(async (client) => {
      try {
        await client.query(`CREATE SCHEMA ${schema}`);
        const url = new URL(DATABASE_URL);
        url.searchParams.set('options', `-c search_path=${schema}`);
        const storage = await openStorage({ dataDir: '/nonexistent/never/created', databaseUrl: url.toString() });
        const { orgId } = await newOrg(storage);
        await storage.close();
        const { rows } = await client.query(`SELECT org_id FROM ${schema}.orgs`);
        expect(rows).toEqual([{ org_id: orgId }]);
        expect(existsSync('/nonexistent/never/created')).toBe(false);
      } finally {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
    });
  });

  it('fails to open, quickly and clearly, when the server is not there', async () => {
    await expect(openPostgresStorage('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(/ECONNREFUSED|connect/);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openPostgresStorage(DATABASE_URL, { schema: 'x; DROP TABLE orgs' })).rejects.toThrow(RangeError);
  });
});
