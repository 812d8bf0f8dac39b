import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupSqlite } from '../../src/server/backup.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';

const folders: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const jwk = { kty: 'EC' as const, crv: 'P-256' as const, x: 'A'.repeat(43), y: 'B'.repeat(43) };

describe('backup', () => {
  it('copies a live database, including what is still in the write-ahead log', async () => {
    const dataDir = tempDir('footfall-live-');
    const storage = await openSqliteStorage(dataDir);
    const orgId = crypto.randomUUID();
    const deviceId = crypto.randomUUID();
    const now = new Date().toISOString();
    await storage.createOrg({ orgId, orgPublicKey: jwk, createdAt: now }, {
      orgId, deviceId, name: 'Laptop', role: 'admin', signingKey: jwk, encryptionKey: jwk, enrolledAt: now, lastSeenAt: null, revokedAt: null,
    }, [{ id: crypto.randomUUID(), kind: 'passphrase', wrapped: '{}' }]);
    const jwe = 'eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn';
    await storage.putBatch({ orgId, batchId: crypto.randomUUID(), deviceId, seq: 0, activity: jwe, directory: jwe, sha256: 'x', size: 2 * jwe.length, receivedAt: now });

    // Taken while the server still has the database open.
    const backups = join(tempDir('footfall-backups-'), 'new');
    const file = await backupSqlite(dataDir, backups, new Date('2026-11-25T10:32:00Z'));
    expect(file).toMatch(/footfall-20261125T103200Z\.sqlite3$/);
    // As private as the database itself.
    expect(statSync(backups).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await storage.close();

    const restoredDir = tempDir('footfall-restored-');
    const { copyFileSync } = await import('node:fs');
    copyFileSync(file, join(restoredDir, 'footfall.sqlite3'));
    const restored = await openSqliteStorage(restoredDir);
    expect((await restored.listBatches(orgId, null, 10)).map((b) => b.activity)).toEqual([jwe]);
    expect(await restored.getOrg(orgId)).toMatchObject({ orgId });
    await restored.close();
  });

  it('says clearly when there is no database to back up', async () => {
    await expect(backupSqlite(tempDir('footfall-empty-'), tempDir('footfall-backups-'))).rejects.toThrow();
  });
});
