/**
 * `node --import tsx bench/micro/server.ts`: the pieces of one upload, each on its own, in one
 * process and one at a time (no HTTP, no concurrency): verifyRequest (crypto/signing.ts) and the
 * endpoint's own verifySignedRequest (server/api/signature.ts), putBatch, appendAudit, touchDevice,
 * and the whole route through Fastify's inject. One at a time, each SQLite write is its own commit. For finding where an upload's time
 * goes; not part of `npm run bench` and not written to RESULTS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import { generateDeviceKeys, publicJwk, signRequest, verifyRequest } from '../../src/crypto/signing.ts';
import { SIGNATURE_HEADERS } from '../../src/domain/protocol.ts';
import { verifySignedRequest } from '../../src/server/api/signature.ts';

const SECONDS = Number(process.env.MICRO_SECONDS ?? 2);
async function rate(name: string, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn(-1 - i);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) await fn(n++);
  console.log(`${name.padEnd(28)} ${(n / ((performance.now() - t0) / 1000)).toFixed(0).padStart(7)}/s`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'footfall-micro-'));
const storage = await openSqliteStorage(dataDir);
const keys = await generateDeviceKeys();
const signingKey = await publicJwk(keys.signing.publicKey);
const orgId = crypto.randomUUID();
const deviceId = crypto.randomUUID();
const now = new Date().toISOString();
await storage.createOrg({ orgId, orgPublicKey: signingKey, createdAt: now }, { orgId, deviceId, name: 'x', role: 'admin', signingKey, encryptionKey: signingKey, enrolledAt: now, lastSeenAt: null, revokedAt: null }, [{ id: crypto.randomUUID(), kind: 'passphrase', wrapped: 'x' }]);
const part = 'eyJhbGciOiJkaXIifQ..' + 'A'.repeat(16) + '.' + 'B'.repeat(1366) + '.' + 'C'.repeat(22);
const text = JSON.stringify({ seq: 1, activity: part, directory: part });
const path = `/api/orgs/${orgId}/batches/${crypto.randomUUID()}`;
const parts = { method: 'PUT', path, orgId, deviceId, timestamp: now, body: text };
const sig = await signRequest(keys.signing.privateKey, parts);

await rate('verifyRequest (WebCrypto)', () => verifyRequest(signingKey, parts, sig));
await rate('verifySignedRequest (server)', () => verifySignedRequest(signingKey, parts, sig));
await rate('putBatch', () => storage.putBatch({ orgId, batchId: crypto.randomUUID(), deviceId, seq: 1, activity: part, directory: part, sha256: 'x', size: 2, receivedAt: now }));
await rate('appendAudit', () => storage.appendAudit({ orgId, at: now, actor: deviceId, action: 'batch.uploaded', subject: crypto.randomUUID() }));
await rate('touchDevice', () => storage.touchDevice(orgId, deviceId, new Date().toISOString()));
await rate('getDevice', () => storage.getDevice(orgId, deviceId));

const server = await buildServer({ port: 0, host: '127.0.0.1', staticDir: resolve('bench/.tmp/app'), dataDir }, { storage, limits: { perDevicePerMinute: 1e9 } });
await server.ready();
const pre: { path: string; headers: Record<string, string>; body: string }[] = [];
for (let i = 0; i < 20_000; i++) {
  const p = `/api/orgs/${orgId}/batches/${crypto.randomUUID()}`;
  const timestamp = new Date().toISOString();
  const body = JSON.stringify({ seq: i, activity: part, directory: part });
  const signature = await signRequest(keys.signing.privateKey, { method: 'PUT', path: p, orgId, deviceId, timestamp, body });
  pre.push({ path: p, body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADERS.org]: orgId, [SIGNATURE_HEADERS.device]: deviceId, [SIGNATURE_HEADERS.timestamp]: timestamp, [SIGNATURE_HEADERS.signature]: signature } });
}
let k = 0;
await rate('upload via inject', async () => {
  const r = pre[k++ % pre.length]!;
  const res = await server.inject({ method: 'PUT', url: r.path, headers: r.headers, payload: r.body });
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
});
await rate('health via inject', () => server.inject({ method: 'GET', url: '/api/health' }));
await server.close();
rmSync(dataDir, { recursive: true, force: true });
