/**
 * The endpoint's named weaknesses, found by someone who could reach it, each tried here against
 * the real endpoint (docs/security.md#the-endpoint): what a store cannot hold, batch ids in upper
 * case, API answers in HTTP caches, an oversized body answered with a reset, year-old signatures
 * and a full disk. What depends on the store runs on SQLite and on PostgreSQL.
 */
import { Agent, request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SyncClient } from '../../src/app/sync/client.ts';
import { AuditPage, BatchReceipt, CompactionReceipt } from '../../src/domain/protocol.ts';
import { MESSAGES } from '../../src/server/api/errors.ts';
import { DRAIN_BYTES } from '../../src/server/api/linger.ts';
import type { Storage } from '../../src/server/storage/types.ts';
import {
  STORES,
  archive,
  closeAll,
  createOrg,
  deviceKeys,
  enrol,
  expectError,
  fromNow,
  newDevice,
  sealedBatch,
  send,
  startServer,
  upload,
  type Device,
  type Org,
} from './apiHarness.ts';

afterAll(closeAll);

const YEAR_MS = 365 * 86_400_000;

describe.each(STORES)('the endpoint on $name', ({ open }) => {
  let app: FastifyInstance;
  let storage: Storage;
  let org: Org;
  let frontDesk: Device;

  beforeAll(async () => {
    ({ app, storage } = await startServer({}, { storage: await open() }));
    const created = await createOrg(app);
    expect(created.res.statusCode, created.res.body).toBe(201);
    org = created.org;
    frontDesk = await enrol(app, org, 'frontDesk', 'Front desk tablet');
  });

  const teamKeys = (version: number) =>
    send(app, org.admin, org.orgId, {
      method: 'PUT',
      url: `/api/orgs/${org.orgId}/team-keys`,
      body: { version, envelopes: [{ deviceId: frontDesk.deviceId, sealed: 'a.b.c.d.e' }] },
    });

  const compact = (body: unknown) => send(app, org.admin, org.orgId, { method: 'POST', url: `/api/orgs/${org.orgId}/compactions`, body });

  describe('refuses, with a 400 before anything is stored, what a store cannot hold', () => {
    it('a NUL character in a device name, when creating an organisation or enrolling', async () => {
      const admin = await newDevice('Admin\u0000laptop');
      const { request: body } = await createOrg(app);
      const orgId = uuidv4();
      const res = await app.inject({ method: 'POST', url: '/api/orgs', payload: { ...body, orgId, adminDevice: deviceKeys(admin) } });
      const error = expectError(res, 400, 'invalid_request', /^The request body is not valid: adminDevice\.name: contains a NUL character \(\\u0000\), which this server cannot store: remove it\. Correct it and send the request again\.$/);
      expect(error.message).not.toContain('Admin');
      expect(await storage.getOrg(orgId)).toBeNull();

      const claim = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup: 'A'.repeat(43), device: deviceKeys(await newDevice('\u0000')) } });
      expectError(claim, 400, 'invalid_request', /device\.name: contains a NUL character/);
    });

    it('a NUL character in a wrapped key', async () => {
      const before = await storage.listWrappedKeys(org.orgId);
      const res = await send(app, org.admin, org.orgId, {
        method: 'POST',
        url: `/api/orgs/${org.orgId}/admin-keys`,
        body: { keys: [{ id: uuidv4(), kind: 'recovery', wrapped: 'wrapped\u0000key' }] },
      });
      expectError(res, 400, 'invalid_request', /keys\[0\]\.wrapped: contains a NUL character/);
      expect(await storage.listWrappedKeys(org.orgId)).toEqual(before);
    });

    it('half of a UTF-16 surrogate pair, which would be stored altered', async () => {
      const res = await send(app, org.admin, org.orgId, {
        method: 'POST',
        url: `/api/orgs/${org.orgId}/admin-keys`,
        body: { keys: [{ id: uuidv4(), kind: 'recovery', wrapped: 'wrapped\ud800key' }] },
      });
      expectError(res, 400, 'invalid_request', /keys\[0\]\.wrapped: contains half of a UTF-16 surrogate pair/);
    });

    it('a team key version or a batch sequence number beyond 2^31 - 1, and stores the largest that fits', async () => {
      expectError(await teamKeys(2 ** 31), 400, 'invalid_request', /version: is outside -2147483648 to 2147483647, the whole numbers this server stores: send a number within that range/);
      const largest = await teamKeys(2 ** 31 - 1);
      expect(largest.statusCode, largest.body).toBe(200);
      expect(await storage.listTeamKeyEnvelopes(org.orgId, frontDesk.deviceId)).toEqual([{ version: 2 ** 31 - 1, sealed: 'a.b.c.d.e' }]);

      const batch = await sealedBatch(org, 0);
      expectError(await upload(app, frontDesk, org, uuidv4(), { ...batch, seq: 2 ** 31 }), 400, 'invalid_request', /seq: is outside/);
      const batchId = uuidv4();
      const stored = await upload(app, frontDesk, org, batchId, { ...batch, seq: 2 ** 31 - 1 });
      expect(stored.statusCode, stored.body).toBe(201);
      expect((await archive(app, org, '?limit=1000')).items.find((b) => b.batchId === batchId)?.seq).toBe(2 ** 31 - 1);
    });
  });

  describe('compares batch ids in lower case only', () => {
    it('refuses a batch id in upper case, even one already stored in lower case, and keeps one copy', async () => {
      const batchId = uuidv4();
      const batch = await sealedBatch(org, 1);
      expect((await upload(app, frontDesk, org, batchId, batch)).statusCode).toBe(201);
      const upper = await upload(app, frontDesk, org, batchId.toUpperCase(), batch);
      expectError(upper, 400, 'invalid_request', /^The address is not valid: batchId: a batch id must be written in lower case, as crypto\.randomUUID\(\) writes it\. Correct the address and send the request again\.$/);
      const copies = (await archive(app, org, '?limit=1000')).items.filter((b) => b.batchId.toLowerCase() === batchId);
      expect(copies).toHaveLength(1);
    });

    it('never stores an erased batch again, whatever the case of its id', async () => {
      const erased = uuidv4();
      const batch = await sealedBatch(org, 2, 'her visit');
      expect((await upload(app, frontDesk, org, erased, batch)).statusCode).toBe(201);
      const done = await compact({ batches: [], supersedes: [erased], reason: 'erasure' });
      expect(CompactionReceipt.parse(done.json())).toMatchObject({ removed: 1 });

      // The tablet retries its upload: lower case is the removed batch, answered and not stored;
      // upper case is refused before storage is asked.
      const retry = await upload(app, frontDesk, org, erased, batch);
      expect(BatchReceipt.parse(retry.json()).status).toBe('duplicate');
      expectError(await upload(app, frontDesk, org, erased.toUpperCase(), batch), 400, 'invalid_request', /batchId: a batch id must be written in lower case/);
      const mixed = erased.replace(/[a-f]/, (c) => c.toUpperCase());
      expect(mixed).not.toBe(erased);
      expectError(await upload(app, frontDesk, org, mixed, batch), 400, 'invalid_request', /batchId: a batch id must be written in lower case/);
      expect((await archive(app, org, '?limit=1000')).items.map((b) => b.batchId.toLowerCase())).not.toContain(erased);

      // Nor can a compaction bring it back under another case, or name batches in upper case.
      const again = await compact({ batches: [{ batchId: erased.toUpperCase(), ...batch }], supersedes: [uuidv4().toUpperCase()], reason: 'erasure' });
      expectError(again, 400, 'invalid_request', /batches\[0\]\.batchId: a batch id must be written in lower case.*; supersedes\[0\]: a batch id must be written in lower case/);
      expect((await archive(app, org, '?limit=1000')).items.map((b) => b.batchId.toLowerCase())).not.toContain(erased);
    });
  });

  describe('refuses a signature a year old (or a year ahead) on every signed route', () => {
    it('on an admin read: 401 naming the clock, and nothing read or audited', async () => {
      const audited = async () => AuditPage.parse((await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/audit?limit=1000` })).json()).entries;
      const before = (await audited()).length;
      const old = await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/archive`, timestamp: fromNow(-YEAR_MS) });
      const error = expectError(old, 401, 'stale_request', /^This device's clock is 365 days behind the server's \(or this is an old request sent again\); signed requests must reach the server within 5 minutes of being signed\. Nothing was done\. Set this device's date and time, then try again\.$/);
      expect(JSON.stringify(error)).not.toContain('items');
      expect(await audited()).toHaveLength(before);

      const ahead = await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/devices`, timestamp: fromNow(YEAR_MS) });
      expectError(ahead, 401, 'stale_request', /365 days ahead of the server's/);
    });

    it('on an upload: 401, nothing stored, and the device not marked as seen', async () => {
      const phone = await enrol(app, org, 'outreach', 'Outreach phone');
      const batchId = uuidv4();
      const old = await upload(app, phone, org, batchId, await sealedBatch(org, 3), { timestamp: fromNow(-YEAR_MS) });
      expectError(old, 401, 'stale_request', /clock is 365 days behind/);
      expect((await archive(app, org, '?limit=1000')).items.map((b) => b.batchId)).not.toContain(batchId);
      expect((await storage.getDevice(org.orgId, phone.deviceId))?.lastSeenAt).toBeNull();
    });
  });

  describe('answers a full disk with 507, saying nothing was stored', () => {
    const outOfSpace = [
      ['SQLite', Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })],
      ['PostgreSQL', Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' })],
      ['the system', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 })],
      ['a wrapped cause', new Error('write failed', { cause: Object.assign(new Error('no space'), { code: 'ENOSPC' }) })],
    ] as const;

    it.each(outOfSpace)('when %s says so, on an upload and on creating an organisation', async (_, error) => {
      const putBatch = vi.spyOn(storage, 'putBatch').mockRejectedValueOnce(error);
      const batchId = uuidv4();
      try {
        const res = await upload(app, frontDesk, org, batchId, await sealedBatch(org, 4));
        expectError(res, 507, 'storage_full', MESSAGES.storageFull);
        expect(res.body).not.toMatch(/disk|space left|SQLITE|53100|ENOSPC/);
      } finally {
        putBatch.mockRestore();
      }
      expect((await archive(app, org, '?limit=1000')).items.map((b) => b.batchId)).not.toContain(batchId);

      const createOrgSpy = vi.spyOn(storage, 'createOrg').mockRejectedValueOnce(error);
      try {
        expectError((await createOrg(app)).res, 507, 'storage_full', MESSAGES.storageFull);
      } finally {
        createOrgSpy.mockRestore();
      }
    });

    it('and any other failure is still a 500', async () => {
      const putBatch = vi.spyOn(storage, 'putBatch').mockRejectedValueOnce(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }));
      try {
        expectError(await upload(app, frontDesk, org, uuidv4(), await sealedBatch(org, 5)), 500, 'server_error', MESSAGES.serverError);
      } finally {
        putBatch.mockRestore();
      }
    });
  });

  it('is read by the app as "try again later", never as a refusal that sets the batch aside', async () => {
    // On a real port and the real clock, as the app's sync client talks to it.
    const { app: live, storage: liveStorage } = await startServer({}, { storage: await open(), now: () => new Date() });
    const { org: o, res } = await createOrg(live);
    expect(res.statusCode, res.body).toBe(201);
    const address = await live.listen({ port: 0, host: '127.0.0.1' });
    const client = new SyncClient(address);
    const credentials = { orgId: o.orgId, deviceId: o.admin.deviceId, signingKey: o.admin.keys.signing.privateKey };
    const batch = await sealedBatch(o, 0);

    const full = vi.spyOn(liveStorage, 'putBatch').mockRejectedValueOnce(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    try {
      expect(await client.putBatch(credentials, uuidv4(), batch)).toEqual({ kind: 'unreachable', message: MESSAGES.storageFull });
    } finally {
      full.mockRestore();
    }
    expect(await client.putBatch(credentials, uuidv4(), batch)).toMatchObject({ kind: 'ok', value: { status: 'stored' } });
  });
});

describe('every API answer', () => {
  let app: FastifyInstance;
  let org: Org;

  beforeAll(async () => {
    ({ app } = await startServer({}, { limits: { perDevicePerMinute: 2, enrolPerMinute: 1000 } }));
    ({ org } = await createOrg(app));
  });

  it('carries Cache-Control: no-store, whatever the status', async () => {
    const devices = { method: 'GET', url: `/api/orgs/${org.orgId}/devices` } as const;
    const answers = [
      await app.inject({ method: 'GET', url: '/api/health' }),
      await send(app, org.admin, org.orgId, devices),
      await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/admin-keys` }),
      await app.inject({ method: 'POST', url: '/api/orgs', payload: {} }),
      await app.inject(devices),
      await send(app, org.admin, org.orgId, devices),
      await app.inject({ method: 'PUT', url: `/api/orgs/${org.orgId}/team-keys`, payload: 'x'.repeat(9 * 1024 * 1024), headers: { 'content-type': 'application/json' } }),
      await app.inject({ method: 'GET', url: '/api/nothing', remoteAddress: '192.0.2.9' }),
      // Unknown API paths are rate-limited like every route.
      await app.inject({ method: 'GET', url: '/api/nothing', remoteAddress: '192.0.2.9' }),
      await app.inject({ method: 'POST', url: '/api/nothing', remoteAddress: '192.0.2.9', payload: '{not json', headers: { 'content-type': 'application/json' } }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 400, 401, 429, 413, 404, 404, 429]);
    for (const answer of answers) expect(answer.headers['cache-control'], `${answer.statusCode} ${answer.body.slice(0, 80)}`).toBe('no-store');
  });
});

describe('a body over the limit, sent in chunks by a real HTTP client', () => {
  let port: number;
  let orgId: string;

  beforeAll(async () => {
    const { app } = await startServer();
    orgId = (await createOrg(app)).org.orgId;
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });

  interface Exchange {
    status: number | null;
    body: string;
    /** An error the client met while sending or reading (a reset, a broken pipe), if any. */
    clientError: string | null;
  }

  /**
   * Sends `bytes` of body in 64 KiB chunks, as fast as the connection takes them, on a keep-alive
   * connection as a browser would; settles once the exchange is over on the client's side.
   */
  function sendInChunks(path: string, bytes: number, declareLength: boolean): Promise<Exchange> {
    const agent = new Agent({ keepAlive: true });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    return new Promise((resolve) => {
      const result: Exchange = { status: null, body: '', clientError: null };
      const headers = { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(bytes) } : {}) };
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path, headers, agent }, (res) => {
        result.status = res.statusCode ?? null;
        res.setEncoding('utf8');
        res.on('data', (text: string) => (result.body += text));
        res.on('error', (error: NodeJS.ErrnoException) => (result.clientError ??= error.code ?? error.message));
      });
      const noteError = (error: NodeJS.ErrnoException) => (result.clientError ??= error.code ?? error.message);
      req.on('error', noteError);
      // A reset can also reach the socket itself after the response has ended: it is the same finding.
      req.on('socket', (socket) => socket.on('error', noteError));
      req.on('close', () => {
        agent.destroy();
        resolve(result);
      });
      for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk);
      req.end();
    });
  }

  const uploadPath = () => `/api/orgs/${orgId}/batches/${uuidv4()}`;

  it.each([
    ['chunked', false],
    ['with its content-length', true],
  ])('is answered with 413 and the error JSON, and the client finishes sending without a reset (%s)', async (_, declareLength) => {
    // 12 MiB against the upload's 8 MiB limit; several times, as the fault was intermittent.
    for (let i = 0; i < 5; i++) {
      const exchange = await sendInChunks(uploadPath(), 12 * 1024 * 1024, declareLength);
      expect(exchange.clientError).toBeNull();
      expect(exchange.status).toBe(413);
      expect(JSON.parse(exchange.body)).toEqual({
        error: 'body_too_large',
        message: 'The request body is larger than this endpoint accepts. Nothing was stored; send smaller batches.',
      });
    }
  });

  it('stops reading a refused body once it has thrown away 64 MiB, closing the connection', async () => {
    const exchange = await sendInChunks(uploadPath(), DRAIN_BYTES + 16 * 1024 * 1024, false);
    expect(exchange.status).toBe(413);
    expect(exchange.clientError).toMatch(/^(EPIPE|ECONNRESET)$/);
  });
});

describe('public keys at set-up and enrolment', () => {
  const offCurve = (jwk: { x: string; y: string }) => ({ ...jwk, y: jwk.y.slice(0, -2) + (jwk.y.endsWith('AA') ? 'AQ' : 'AA') });

  it('refuses a key that is not a point on P-256 with a 400 that names it, and stores nothing', async () => {
    const { app } = await startServer();
    const admin = await newDevice('Admin laptop');
    const request = {
      orgId: uuidv4(),
      orgPublicKey: admin.encryptionKey,
      adminDevice: { ...deviceKeys(admin), encryptionKey: offCurve(admin.encryptionKey) },
      wrappedKeys: [{ id: uuidv4(), kind: 'passphrase', wrapped: 'wrapped-org-key-under-passphrase' }],
    };
    const refused = await app.inject({ method: 'POST', url: '/api/orgs', payload: request });
    expectError(refused, 400, 'invalid_request');
    expect(refused.json().message).toMatch(/adminDevice\.encryptionKey is not a point on the P-256 curve/);
    const offOrgKey = await app.inject({ method: 'POST', url: '/api/orgs', payload: { ...request, orgPublicKey: offCurve(admin.encryptionKey), adminDevice: deviceKeys(admin) } });
    expect(offOrgKey.json().message).toMatch(/orgPublicKey is not a point/);
    // The same organisation with good keys is created: nothing was kept from the refused ones.
    const created = await app.inject({ method: 'POST', url: '/api/orgs', payload: { ...request, adminDevice: deviceKeys(admin) } });
    expect(created.statusCode, created.body).toBe(201);
  });
});
