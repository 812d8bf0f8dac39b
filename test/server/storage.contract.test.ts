/**
 * One contract for the Storage interface, run for real against SQLite (a temp folder) and
 * PostgreSQL (a fresh schema, dropped afterwards). If PostgreSQL is not reachable its suite fails
 * loudly instead of skipping: CI has PostgreSQL, and a skipped suite would hide a broken adapter.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role, WrappedOrgKey } from '../../src/domain/protocol.ts';
import { openStorage } from '../../src/server/storage/index.ts';
import { openPostgresStorage } from '../../src/server/storage/postgres.ts';
import { openSqliteStorage, SQLITE_FILE } from '../../src/server/storage/sqlite.ts';
import { DeviceExistsError, OrgExistsError, type NewBatch, type Storage, type StoredDevice, type StoredOrg } from '../../src/server/storage/types.ts';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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

async function newOrg(storage: Storage) {
  const org: StoredOrg = { orgId: randomUUID(), orgPublicKey: jwk(), createdAt: at(0) };
  const admin = device(org.orgId, 'admin');
  const wrappedKeys = [wrappedKey('passphrase'), wrappedKey('recovery')];
  await storage.createOrg(org, admin, wrappedKeys);
  return { org, orgId: org.orgId, admin, wrappedKeys };
}

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

      it('deletes batches of one organisation and says how many went', async () => {
        const a = await newOrg(storage);
        const b = await newOrg(storage);
        const [x, y, z] = [0, 1, 2].map((seq) => batch(a.orgId, a.admin.deviceId, { seq }));
        const theirs = batch(b.orgId, b.admin.deviceId);
        for (const each of [x!, y!, z!, theirs]) await storage.putBatch(each);
        expect(await storage.deleteBatches(a.orgId, [x!.batchId, z!.batchId, theirs.batchId, randomUUID()])).toBe(2);
        expect((await storage.listBatches(a.orgId, null, 10)).map((r) => r.batchId)).toEqual([y!.batchId]);
        expect(await storage.listBatches(b.orgId, null, 10)).toHaveLength(1);
        expect(await storage.deleteBatches(a.orgId, [])).toBe(0);
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

      it('rejects a malformed cursor or limit', async () => {
        const { orgId } = await newOrg(storage);
        await expect(storage.listBatches(orgId, '1 OR 1=1', 10)).rejects.toThrow(RangeError);
        await expect(storage.listBatches(orgId, null, 0)).rejects.toThrow(RangeError);
        await expect(storage.listAudit(orgId, '-1', 10)).rejects.toThrow(RangeError);
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
      const b = batch(orgId, admin.deviceId);
      await storage.putBatch(b);
      await storage.putTeamKeyEnvelopes(orgId, 1, [{ deviceId: admin.deviceId, sealed: 'sealed.team.key' }]);
      await storage.appendAudit({ orgId, at: at(5), actor: admin.deviceId, action: 'batch.uploaded', subject: b.batchId });
      await storage.revokeDevice(orgId, admin.deviceId, at(7));
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

const freshSchema = () => `footfall_test_${randomBytes(6).toString('hex')}`;

async function dropSchema(schema: string) {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
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
    async cleanup() {
      await current.close();
      await dropSchema(schema);
    },
  };
}

describeStorageContract('SQLite', sqliteHarness);
describeStorageContract('PostgreSQL', postgresHarness);

// ---- what only one adapter has ---------------------------------------------------------------

describe('SQLite storage', () => {
  it('creates the data folder and a WAL database file, with one schema version recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footfall-storage-'));
    const dataDir = join(dir, 'nested', 'data');
    try {
      const [one, two] = await Promise.all([openSqliteStorage(dataDir), openSqliteStorage(dataDir)]);
      await Promise.all([one.close(), two.close()]);
      const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
      db.close();
    } finally {
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
    const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.end();
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
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      const { rows } = await client.query(`SELECT version FROM ${schema}.schema_version`).finally(() => client.end());
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await dropSchema(schema);
    }
  });

  it('is what openStorage opens when a database URL is set', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
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
      await client.end();
    }
  });

  it('fails to open, quickly and clearly, when the server is not there', async () => {
    await expect(openPostgresStorage('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(/ECONNREFUSED|connect/);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openPostgresStorage(DATABASE_URL, { schema: 'x; DROP TABLE orgs' })).rejects.toThrow(RangeError);
  });
});
