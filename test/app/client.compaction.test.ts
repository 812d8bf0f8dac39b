/**
 * The admin's data-care calls of SyncClient (compact, archive, audit, adminKeys) against the real
 * endpoint (Fastify + SQLite) over HTTP: requests signed as the app signs them, answers checked
 * against the protocol's schemas, refusals sorted into outcomes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient, type DeviceCredentials } from '../../src/app/sync/client.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair, sealTo } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import { AuditPage, type BatchUpload, type PublicJwk, type WrappedOrgKey } from '../../src/domain/protocol.ts';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';

let dir: string;
let app: FastifyInstance;
let client: SyncClient;
let admin: DeviceCredentials;
let orgPublicKey: PublicJwk;
let wrappedKeys: WrappedOrgKey[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'footfall-client-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Footfall</title>');
  const storage = await openSqliteStorage(join(dir, 'data'));
  app = await buildServer({ port: 0, host: '127.0.0.1', staticDir: dir, dataDir: join(dir, 'data') }, { storage });
  await app.listen({ port: 0, host: '127.0.0.1' });
  client = new SyncClient(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);

  const keys = await generateDeviceKeys();
  ({ publicJwk: orgPublicKey } = await generateOrgKeyPair());
  admin = { orgId: uuidv4(), deviceId: uuidv7(), signingKey: keys.signing.privateKey };
  wrappedKeys = [{ id: uuidv4(), kind: 'passphrase', wrapped: 'wrapped-under-passphrase' }];
  const created = await client.createOrg({
    orgId: admin.orgId,
    orgPublicKey,
    adminDevice: {
      deviceId: admin.deviceId,
      name: 'Admin laptop',
      signingKey: await publicJwk(keys.signing.publicKey),
      encryptionKey: await publicJwk(keys.encryption.publicKey),
    },
    wrappedKeys,
  });
  expect(created.kind).toBe('ok');
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sealed = (text: string) => sealTo(orgPublicKey, utf8.encode(text));
const sealedBatch = async (seq: number): Promise<BatchUpload> => ({ seq, activity: await sealed(`activity ${seq}`), directory: await sealed('directory') });

async function uploaded(seq: number): Promise<{ batchId: string; upload: BatchUpload }> {
  const batchId = uuidv4();
  const upload = await sealedBatch(seq);
  expect((await client.putBatch(admin, batchId, upload)).kind).toBe('ok');
  return { batchId, upload };
}

describe('SyncClient data care', () => {
  it('compacts: the receipt says what changed, a retry changes nothing, and a removed batch uploaded again is a duplicate', async () => {
    const old = await uploaded(0);
    const kept = await uploaded(1);
    const body = { batches: [{ batchId: uuidv4(), ...(await sealedBatch(2)) }], supersedes: [old.batchId], reason: 'erasure' as const };

    const first = await client.compact(admin, body);
    expect(first).toMatchObject({ kind: 'ok', value: { stored: 1, alreadyStored: 0, removed: 1, alreadyRemoved: 0 } });
    const retry = await client.compact(admin, body);
    expect(retry).toMatchObject({ kind: 'ok', value: { stored: 0, alreadyStored: 1, removed: 0, alreadyRemoved: 1 } });

    const again = await client.putBatch(admin, old.batchId, old.upload);
    expect(again).toMatchObject({ kind: 'ok', value: { status: 'duplicate' } });
    const archive = await client.archive(admin, null);
    if (archive.kind !== 'ok') throw new Error(archive.kind);
    expect(archive.value.items.map((b) => b.batchId)).toEqual([kept.batchId, body.batches[0]!.batchId]);
    // Both parts of each batch, on one page.
    expect(archive.value.items[0]).toMatchObject({ activity: kept.upload.activity, directory: kept.upload.directory, seq: 1, deviceId: admin.deviceId });
  });

  it('reports a compaction naming an unknown batch as refused, with the endpoint’s message', async () => {
    const outcome = await client.compact(admin, { batches: [], supersedes: [uuidv4()], reason: 'retention' });
    expect(outcome).toEqual({
      kind: 'refused',
      status: 409,
      error: 'unknown_batches',
      message: 'supersedes[0] is not a batch of this organisation. Nothing was changed. Fetch the archive again and make the snapshot from the batches it holds.',
    });
  });

  it('records an action in the audit log, which lists it', async () => {
    expect(await client.audit(admin, 'records.imported')).toMatchObject({ kind: 'ok' });
    const log = await client.signed(admin, 'GET', `/api/orgs/${admin.orgId}/audit`, undefined, AuditPage);
    if (log.kind !== 'ok') throw new Error(log.kind);
    expect(log.value.entries.at(-1)).toMatchObject({ action: 'records.imported', actor: admin.deviceId, subject: null });
  });

  it('fetches the wrapped copies of the organisation key', async () => {
    expect(await client.adminKeys(admin)).toMatchObject({ kind: 'ok', value: { keys: wrappedKeys } });
  });
});
