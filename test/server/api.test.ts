/**
 * The sync API end to end through Fastify's inject: real SQLite storage in a temp folder (rate
 * limits on PostgreSQL too), real device keys, and requests signed exactly as a device signs them
 * (the harness is apiHarness.ts).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, toBase64Url, utf8 } from '../../src/crypto/bytes.ts';
import { sealTo } from '../../src/crypto/envelope.ts';
import { enrolmentKeys, generateEnrolmentCode, sealPackage } from '../../src/crypto/enrolmentCode.ts';
import {
  ActivityPage,
  AuditPage,
  BatchReceipt,
  CompactionReceipt,
  ClaimEnrolmentResponse,
  DirectoryPage,
  SIGNATURE_HEADERS,
  type PublicJwk,
  type Role,
} from '../../src/domain/protocol.ts';
import { ARCHIVE_PAGE_BYTES } from '../../src/server/api/batchRoutes.ts';
import { MESSAGES } from '../../src/server/api/errors.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import type { Storage } from '../../src/server/storage/types.ts';
import {
  STORES,
  archive,
  clock,
  closeAll,
  createOrg,
  deviceKeys,
  enrol,
  expectError,
  fromNow,
  newDevice,
  newEnrolment,
  newOrg,
  now,
  sealedBatch,
  send,
  signedRequest,
  startServer,
  temp,
  upload,
  type Device,
  type Org,
  type SignedOptions,
} from './apiHarness.ts';

let app: FastifyInstance;
let storage: Storage;
let org: Org;
let frontDesk: Device;

beforeAll(async () => {
  ({ app, storage } = await startServer());
  const created = await createOrg(app);
  expect(created.res.statusCode, created.res.body).toBe(201);
  org = created.org;
  frontDesk = await enrol(app, org, 'frontDesk', 'Front desk tablet');
});

afterAll(closeAll);

// ---------------------------------------------------------------------------------------------

describe('creating an organisation', () => {
  it('answers 201 with the id and the server time, then 409 for the same id', async () => {
    const { res, request } = await createOrg(app);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ orgId: request.orgId, serverTime: now().toISOString() });

    const again = await app.inject({ method: 'POST', url: '/api/orgs', payload: request });
    expectError(again, 409, 'org_exists');
  });

  it('refuses a bad request with a 400 naming the field', async () => {
    const { request } = await createOrg(app);
    const res = await app.inject({ method: 'POST', url: '/api/orgs', payload: { ...request, orgId: uuidv4(), wrappedKeys: [] } });
    const body = expectError(res, 400, 'invalid_request', /wrappedKeys/);
    expect(body.message).toMatch(/send the request again/);
  });

  it('needs the setup token when the host has set one', async () => {
    const token = 'a-long-enough-setup-token';
    const { app: host } = await startServer({ setupToken: token });
    expectError((await createOrg(host)).res, 403, 'setup_token_required', /footfall-setup-token/);
    expectError((await createOrg(host, { 'footfall-setup-token': 'a-long-enough-setup-tokeX' })).res, 403, 'setup_token_required');
    expect((await createOrg(host, { 'footfall-setup-token': token })).res.statusCode).toBe(201);
  });

  it('refuses to create an organisation, saying how to allow it, when there is no token and the server can be reached from elsewhere', async () => {
    const { app: host, storage } = await startServer({ setupClosed: true });
    const { res, org } = await createOrg(host);
    expectError(res, 403, 'setup_closed', /FOOTFALL_SETUP_TOKEN/);
    expect(await storage.getOrg(org.orgId)).toBeNull();
  });

  it('refuses, without a token, a request a proxy or tunnel on this machine passed on', async () => {
    const { app: host, storage } = await startServer({});
    const passedOn: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7' }, { via: '1.1 tunnel' }, { 'x-real-ip': '203.0.113.7' }];
    for (const headers of passedOn) {
      const { res, org } = await createOrg(host, headers);
      expectError(res, 403, 'setup_closed', /through a proxy.*FOOTFALL_SETUP_TOKEN/);
      expect(await storage.getOrg(org.orgId)).toBeNull();
    }
    expect((await createOrg(host)).res.statusCode).toBe(201);
  });

  it('says nothing about the body before the setup token is right', async () => {
    const { app: host } = await startServer({ setupToken: 'a-long-enough-setup-token' });
    const res = await host.inject({ method: 'POST', url: '/api/orgs', payload: { nonsense: true } });
    expectError(res, 403, 'setup_token_required');
  });
});

describe('enrolment codes', () => {
  async function makeCode(role: Role, expiresInMs = 3_600_000) {
    const code = generateEnrolmentCode();
    const { lookup, packageKey } = await enrolmentKeys(code);
    const pkg = await sealPackage(packageKey, { orgPublicKey: org.orgPublicKey });
    const res = await send(app, org.admin, org.orgId, {
      method: 'POST',
      url: `/api/orgs/${org.orgId}/enrolments`,
      body: { lookup, role, package: pkg, expiresAt: fromNow(expiresInMs) },
    });
    return { lookup, pkg, res };
  }

  it('is claimed once: 200 with the organisation, role and package, then 404 with the one message', async () => {
    const { lookup, pkg, res } = await makeCode('outreach');
    expect(res.statusCode, res.body).toBe(201);
    const device = await newDevice('Outreach phone');
    const first = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup, device: deviceKeys(device) } });
    expect(first.statusCode, first.body).toBe(200);
    expect(ClaimEnrolmentResponse.parse(first.json())).toEqual({ orgId: org.orgId, role: 'outreach', package: pkg, serverTime: now().toISOString() });

    const other = await newDevice('Another phone');
    const second = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup, device: deviceKeys(other) } });
    expectError(second, 404, 'enrolment_code_unusable', MESSAGES.enrolmentCodeUnusable);
  });

  it('gives the same 404 for an unknown code and an expired one', async () => {
    const device = await newDevice('Tablet');
    const unknown = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup: toBase64Url(randomBytes(32)), device: deviceKeys(device) } });
    expectError(unknown, 404, 'enrolment_code_unusable', MESSAGES.enrolmentCodeUnusable);

    const { lookup, res } = await makeCode('frontDesk', 60_000);
    expect(res.statusCode).toBe(201);
    clock.ms += 120_000;
    try {
      const expired = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup, device: deviceKeys(device) } });
      expectError(expired, 404, 'enrolment_code_unusable', MESSAGES.enrolmentCodeUnusable);
    } finally {
      clock.ms -= 120_000;
    }
  });

  it('must expire in the future and within 7 days', async () => {
    expectError((await makeCode('frontDesk', -1000)).res, 400, 'invalid_request', /expiresAt must be in the future and at most 7 days/);
    expectError((await makeCode('frontDesk', 8 * 86_400_000)).res, 400, 'invalid_request', /expiresAt/);
    expect((await makeCode('frontDesk', 7 * 86_400_000)).res.statusCode).toBe(201);
  });

  it('refuses a device id that is already enrolled, leaving the code usable', async () => {
    const { lookup } = await makeCode('casework');
    const clash = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup, device: deviceKeys(frontDesk) } });
    expectError(clash, 409, 'device_exists');
    const fresh = await newDevice('Casework laptop');
    const ok = await app.inject({ method: 'POST', url: '/api/enrol', payload: { lookup, device: deviceKeys(fresh) } });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('uploading a batch', () => {
  it('stores it (201), and the exact same request again is a duplicate (200) with the first receipt time', async () => {
    const batchId = uuidv4();
    const request = await signedRequest(frontDesk, org.orgId, { method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${batchId}`, body: await sealedBatch(org, 1) });
    const first = await app.inject(request);
    expect(first.statusCode, first.body).toBe(201);
    const receipt = BatchReceipt.parse(first.json());
    expect(receipt.status).toBe('stored');

    clock.ms += 5_000;
    try {
      const replay = await app.inject(request);
      expect(replay.statusCode, replay.body).toBe(200);
      const again = BatchReceipt.parse(replay.json());
      expect(again.status).toBe('duplicate');
      expect(again.receivedAt).toBe(receipt.receivedAt);
      expect(again.serverTime).not.toBe(receipt.serverTime);
    } finally {
      clock.ms -= 5_000;
    }
  });

  it('recognises the same batch re-serialised with other whitespace and key order', async () => {
    const batchId = uuidv4();
    const batch = await sealedBatch(org, 2);
    expect((await upload(app, frontDesk, org, batchId, batch)).statusCode).toBe(201);
    const reordered = JSON.stringify({ directory: batch.directory, activity: batch.activity, seq: batch.seq }, null, 2);
    const res = await upload(app, frontDesk, org, batchId, undefined, { rawBody: reordered });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('duplicate');
  });

  it('refuses the same id with other contents (409) and keeps the first', async () => {
    const batchId = uuidv4();
    const original = await sealedBatch(org, 3, 'meal');
    expect((await upload(app, frontDesk, org, batchId, original)).statusCode).toBe(201);
    const other = await sealedBatch(org, 3, 'shower');
    const res = await upload(app, frontDesk, org, batchId, other);
    expectError(res, 409, 'batch_conflict', MESSAGES.batchConflict);

    const stored = (await archive(app, org, '?limit=1000')).items.filter((b) => b.batchId === batchId);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.activity).toBe(original.activity);
  });

  it('refuses a forged signature, a body changed after signing, a wrong org header and an unknown device (401)', async () => {
    const batch = await sealedBatch(org, 4);
    const batchId = uuidv4();
    const stranger = await newDevice('Stranger');

    expectError(await upload(app, frontDesk, org, batchId, batch, { signer: stranger }), 401, 'bad_signature');

    const changed = JSON.stringify({ ...batch, seq: 5 });
    expectError(await upload(app, frontDesk, org, batchId, batch, { tamperedBody: changed }), 401, 'bad_signature');

    const { org: otherOrg } = await createOrg(app);
    expectError(await upload(app, frontDesk, org, batchId, batch, { orgHeader: otherOrg.orgId }), 401, 'wrong_org');

    expectError(await upload(app, stranger, org, batchId, batch), 401, 'unknown_device');

    // A device of another organisation cannot write into this one, even with a valid signature of its own.
    const res = await send(app, otherOrg.admin, otherOrg.orgId, { method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${batchId}`, body: batch, orgHeader: org.orgId });
    expectError(res, 401, 'unknown_device');

    expect((await archive(app, org, '?limit=1000')).items.some((b) => b.batchId === batchId)).toBe(false);
  });

  it('refuses an unsigned request, naming the missing header', async () => {
    const res = await app.inject({ method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${uuidv4()}`, payload: await sealedBatch(org, 1) });
    expectError(res, 401, 'unsigned_request', /footfall-org header is missing/);
    const request = await signedRequest(frontDesk, org.orgId, { method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${uuidv4()}`, body: await sealedBatch(org, 1) });
    delete (request.headers as Record<string, string>)[SIGNATURE_HEADERS.signature];
    expectError(await app.inject(request), 401, 'unsigned_request', /footfall-signature header/);
  });

  it('refuses bad bodies with a 400 that names the field and does not echo the content', async () => {
    const batch = await sealedBatch(org, 7);
    const url = (id: string) => `/api/orgs/${org.orgId}/batches/${id}`;

    const { seq: _seq, ...noSeq } = batch;
    const missing = expectError(await upload(app, frontDesk, org, uuidv4(), noSeq), 400, 'invalid_request', /seq: is missing \(expected a number\)/);
    expect(missing.message).not.toContain(batch.activity.slice(0, 20));

    const notJwe = expectError(
      await upload(app, frontDesk, org, uuidv4(), { ...batch, activity: 'secret-name-in-clear' }),
      400,
      'invalid_request',
      /activity: must be a compact JWE/,
    );
    expect(notJwe.message).not.toContain('secret-name-in-clear');

    const v7 = expectError(await send(app, frontDesk, org.orgId, { method: 'PUT', url: url(uuidv7()), body: batch }), 400, 'invalid_request', /batchId: a batch id must be a random \(v4\) UUID/);
    expect(v7.message).toMatch(/address/);

    const malformed = '{"seq": 1, "activity": "secret-name-in-clear"';
    const bad = expectError(await upload(app, frontDesk, org, uuidv4(), undefined, { rawBody: malformed }), 400, 'invalid_request', MESSAGES.malformedJson);
    expect(JSON.stringify(bad)).not.toContain('secret');

    expectError(await upload(app, frontDesk, org, uuidv4(), [batch]), 400, 'invalid_request', /missing or is not a JSON object/);
  });

  it('refuses a body over 8 MiB with 413 and a body that is not JSON with 415', async () => {
    const big = JSON.stringify({ seq: 1, activity: 'a.b.c.d.' + 'e'.repeat(8 * 1024 * 1024), directory: 'a.b.c.d.e' });
    const res = await upload(app, frontDesk, org, uuidv4(), undefined, { rawBody: big });
    expectError(res, 413, 'body_too_large');

    const text = await app.inject({ method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${uuidv4()}`, payload: 'hello', headers: { 'content-type': 'text/plain' } });
    expectError(text, 415, 'unsupported_media_type');
  });
});

describe('reading batches back', () => {
  it('pages the directory for any device and the archive for the admin, in receipt order', async () => {
    const { org: fresh, res } = await createOrg(app);
    expect(res.statusCode).toBe(201);
    const tablet = await enrol(app, fresh, 'frontDesk', 'Tablet');
    const uploaded: { batchId: string; directory: string; activity: string }[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const batchId = uuidv4();
      const batch = await sealedBatch(fresh, seq);
      expect((await upload(app, tablet, fresh, batchId, batch)).statusCode).toBe(201);
      uploaded.push({ batchId, directory: batch.directory, activity: batch.activity });
    }

    const seen: DirectoryPage['items'] = [];
    let after = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await send(app, tablet, fresh.orgId, { method: 'GET', url: `/api/orgs/${fresh.orgId}/directory?limit=2${after}` });
      expect(page.statusCode, page.body).toBe(200);
      const body = DirectoryPage.parse(page.json());
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items);
      if (body.next === null) break;
      after = `&after=${body.next}`;
    }
    expect(seen.map((i) => i.batchId)).toEqual(uploaded.map((u) => u.batchId));
    expect(seen.map((i) => i.directory)).toEqual(uploaded.map((u) => u.directory));
    expect(seen.every((i) => i.deviceId === tablet.deviceId)).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(uploaded[0]!.activity);

    const first = await archive(app, fresh, '?limit=3');
    expect(first.items.map((i) => i.batchId)).toEqual(uploaded.slice(0, 3).map((u) => u.batchId));
    expect(first.next).toBe(first.items[2]!.cursor);
    const rest = await archive(app, fresh, `?limit=3&after=${first.next}`);
    // Both parts of each batch on the same page, with who sent it and when.
    expect(rest.items.map((i) => [i.activity, i.directory])).toEqual(uploaded.slice(3).map((u) => [u.activity, u.directory]));
    expect(rest.items.map((i) => i.seq)).toEqual([4, 5]);
    expect(rest.items.every((i) => i.deviceId === tablet.deviceId && i.receivedAt === now().toISOString())).toBe(true);
    expect(rest.next).toBeNull();
    expect([...first.items, ...rest.items].map((i) => i.cursor)).toEqual(seen.map((i) => i.cursor));

    const all = await archive(app, fresh);
    expect(all.items).toHaveLength(5);
    expect(all.next).toBeNull();

    // The activity parts alone, as apps from before /archive read them, still page the same way.
    const legacy = await send(app, fresh.admin, fresh.orgId, { method: 'GET', url: `/api/orgs/${fresh.orgId}/batches?limit=3&after=${first.next}` });
    expect(legacy.statusCode, legacy.body).toBe(200);
    const activity = ActivityPage.parse(legacy.json());
    expect(activity.items).toEqual(rest.items.map(({ directory, ...item }) => item));
    expect(activity.next).toBeNull();
    expect(legacy.body).not.toContain(uploaded[3]!.directory);
  });

  it('bounds a page of the archive in bytes as well: large batches come a few to a page, every one once', async () => {
    const { org: fresh } = await createOrg(app);
    const tablet = await enrol(app, fresh, 'frontDesk', 'Tablet');
    // Three batches, any two of which fit in a page and all three do not.
    const large = (seq: number) => `eyJhbGciOiJFQ0RILUVTIn0..${'i'.repeat(16)}.${String(seq).repeat(Math.ceil(ARCHIVE_PAGE_BYTES / 3))}.${'t'.repeat(22)}`;
    const uploaded: string[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const batchId = uuidv4();
      const batch = { seq, activity: large(seq), directory: (await sealedBatch(fresh, seq)).directory };
      expect((await upload(app, tablet, fresh, batchId, batch)).statusCode).toBe(201);
      uploaded.push(batchId);
    }
    const first = await archive(app, fresh, '?limit=1000');
    expect(first.items.map((i) => i.batchId)).toEqual(uploaded.slice(0, 2));
    expect(first.items.reduce((bytes, i) => bytes + i.activity.length + i.directory.length, 0)).toBeLessThanOrEqual(ARCHIVE_PAGE_BYTES);
    expect(first.next).toBe(first.items[1]!.cursor);
    const rest = await archive(app, fresh, `?limit=1000&after=${first.next}`);
    expect(rest.items.map((i) => i.batchId)).toEqual(uploaded.slice(2));
    expect(rest.items[0]!.activity).toBe(large(3));
    expect(rest.next).toBeNull();
  });

  it('checks the query: limit 1 to 1000, a cursor from an earlier page', async () => {
    const reads = [
      { device: frontDesk, path: 'directory' },
      { device: org.admin, path: 'archive' },
    ];
    for (const { device, path } of reads) {
      const get = (query: string) => send(app, device, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/${path}${query}` });
      expectError(await get('?limit=0'), 400, 'invalid_request', /query string is not valid: limit: must be a whole number from 1 to 1000/);
      expectError(await get('?limit=1001'), 400, 'invalid_request', /limit/);
      expectError(await get('?limit=ten'), 400, 'invalid_request', /limit/);
      expectError(await get('?after=yesterday'), 400, 'invalid_request', /after: must be a cursor from an earlier page/);
      expect((await get('?limit=1000')).statusCode).toBe(200);
    }
  });
});

describe('admin routes', () => {
  it('refuse a front-desk device (403)', async () => {
    const code = await enrolmentKeys(generateEnrolmentCode());
    const attempts: SignedOptions[] = [
      { method: 'GET', url: `/api/orgs/${org.orgId}/archive` },
      { method: 'GET', url: `/api/orgs/${org.orgId}/batches` },
      { method: 'GET', url: `/api/orgs/${org.orgId}/devices` },
      { method: 'GET', url: `/api/orgs/${org.orgId}/audit` },
      { method: 'GET', url: `/api/orgs/${org.orgId}/admin-keys` },
      { method: 'POST', url: `/api/orgs/${org.orgId}/devices/${org.admin.deviceId}/revoke` },
      { method: 'POST', url: `/api/orgs/${org.orgId}/admin-keys`, body: { keys: [{ id: uuidv4(), kind: 'recovery', wrapped: 'x' }] } },
      { method: 'PUT', url: `/api/orgs/${org.orgId}/team-keys`, body: { version: 9, envelopes: [] } },
      { method: 'POST', url: `/api/orgs/${org.orgId}/compactions`, body: { batches: [], supersedes: [uuidv4()], reason: 'erasure' } },
      { method: 'POST', url: `/api/orgs/${org.orgId}/audit`, body: { action: 'woman.erased' } },
      {
        method: 'POST',
        url: `/api/orgs/${org.orgId}/enrolments`,
        body: { lookup: code.lookup, role: 'admin', package: await sealPackage(code.packageKey, {}), expiresAt: fromNow(60_000) },
      },
    ];
    for (const attempt of attempts) {
      expectError(await send(app, frontDesk, org.orgId, attempt), 403, 'admin_only', "Only an admin's device can do this. Ask your admin.");
    }
  });

  it("refuse a request signed more than 5 minutes from the server's time, either way, saying how far off the clock is", async () => {
    const stale = fromNow(-(2 * 3_600_000 + 5 * 60_000));
    const res = await send(app, org.admin, org.orgId, {
      method: 'POST',
      url: `/api/orgs/${org.orgId}/admin-keys`,
      body: { keys: [{ id: uuidv4(), kind: 'recovery', wrapped: 'x' }] },
      timestamp: stale,
    });
    expectError(res, 401, 'stale_request', /clock is 2 hours 5 minutes behind the server's .* within 5 minutes of being signed/);

    const future = await send(app, org.admin, org.orgId, { method: 'POST', url: `/api/orgs/${org.orgId}/devices/${frontDesk.deviceId}/revoke`, timestamp: fromNow(20 * 60_000) });
    expectError(future, 401, 'stale_request', /20 minutes ahead of the server's/);
    expect((await storage.getDevice(org.orgId, frontDesk.deviceId))?.revokedAt).toBeNull();

    // Reading too: a captured signed read cannot be replayed later to fetch the ciphertext again.
    const read = await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/admin-keys`, timestamp: fromNow(-6 * 60_000) });
    expectError(read, 401, 'stale_request', /6 minutes behind/);

    // Within the window, either way, is fine.
    for (const skew of [-(5 * 60_000 - 1000), 5 * 60_000 - 1000]) {
      const ok = await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/admin-keys`, timestamp: fromNow(skew) });
      expect(ok.statusCode, ok.body).toBe(200);
    }
  });

  it('list wrapped keys and add more', async () => {
    const { org: o, request } = await createOrg(app);
    const before = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/admin-keys` });
    expect(before.json()).toEqual({ keys: request.wrappedKeys, serverTime: now().toISOString() });
    const key = { id: uuidv4(), kind: 'recovery', wrapped: 'wrapped-under-recovery-code' };
    const add = await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/admin-keys`, body: { keys: [key] } });
    expect(add.statusCode, add.body).toBe(201);
    const after = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/admin-keys` });
    expect(after.json().keys).toEqual([...request.wrappedKeys, key]);
  });
});

describe('revoking a device', () => {
  it('stops that device at once (403, nothing stored), shows it in the list, and cannot revoke the admin herself', async () => {
    const { org: o } = await createOrg(app);
    const tablet = await enrol(app, o, 'frontDesk', 'Old tablet');
    expect((await upload(app, tablet, o, uuidv4(), await sealedBatch(o, 1))).statusCode).toBe(201);

    const self = await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/devices/${o.admin.deviceId}/revoke` });
    expectError(self, 409, 'cannot_revoke_self');
    const nobody = await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/devices/${uuidv7()}/revoke` });
    expectError(nobody, 404, 'device_not_found');

    const revoke = await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/devices/${tablet.deviceId}/revoke` });
    expect(revoke.statusCode, revoke.body).toBe(200);
    expect(revoke.json()).toMatchObject({ deviceId: tablet.deviceId, revokedAt: now().toISOString() });

    const batchId = uuidv4();
    const refused = await upload(app, tablet, o, batchId, await sealedBatch(o, 2));
    expectError(refused, 403, 'device_revoked', MESSAGES.deviceRevoked);
    expectError(await send(app, tablet, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/directory` }), 403, 'device_revoked');
    const items = (await archive(app, o)).items;
    expect(items).toHaveLength(1);
    expect(items.some((b) => b.batchId === batchId)).toBe(false);

    const list = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/devices` });
    expect(list.statusCode).toBe(200);
    const devices = list.json().devices as { deviceId: string; role: string; revokedAt: string | null; lastSeenAt: string | null; encryptionKey: PublicJwk }[];
    expect(devices.find((d) => d.deviceId === tablet.deviceId)).toMatchObject({ role: 'frontDesk', revokedAt: now().toISOString(), encryptionKey: tablet.encryptionKey });
    expect(devices.find((d) => d.deviceId === o.admin.deviceId)).toMatchObject({ role: 'admin', revokedAt: null, lastSeenAt: now().toISOString() });
  });
});

describe('team keys', () => {
  it('are stored per device, and each device gets only its own', async () => {
    const { org: o } = await createOrg(app);
    const a = await enrol(app, o, 'frontDesk', 'Tablet A');
    const b = await enrol(app, o, 'outreach', 'Phone B');
    const sealedFor = (d: Device) => sealTo(d.encryptionKey, utf8.encode('team key v2'));
    const envelopes = [
      { deviceId: o.admin.deviceId, sealed: await sealedFor(o.admin) },
      { deviceId: a.deviceId, sealed: await sealedFor(a) },
      { deviceId: b.deviceId, sealed: await sealedFor(b) },
    ];
    const put = await send(app, o.admin, o.orgId, { method: 'PUT', url: `/api/orgs/${o.orgId}/team-keys`, body: { version: 2, envelopes } });
    expect(put.statusCode, put.body).toBe(200);

    for (const [device, envelope] of [[o.admin, envelopes[0]!], [a, envelopes[1]!], [b, envelopes[2]!]] as const) {
      const res = await send(app, device, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/team-keys` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ envelopes: [{ version: 2, sealed: envelope.sealed }], serverTime: now().toISOString() });
    }
  });

  it('are never sealed to a revoked or unknown device', async () => {
    const { org: o } = await createOrg(app);
    const gone = await enrol(app, o, 'frontDesk', 'Lost tablet');
    expect((await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/devices/${gone.deviceId}/revoke` })).statusCode).toBe(200);
    const sealed = await sealTo(gone.encryptionKey, utf8.encode('team key v3'));
    const toRevoked = await send(app, o.admin, o.orgId, { method: 'PUT', url: `/api/orgs/${o.orgId}/team-keys`, body: { version: 3, envelopes: [{ deviceId: gone.deviceId, sealed }] } });
    expectError(toRevoked, 400, 'invalid_request', /envelopes\[0\]\.deviceId is a revoked device/);
    const toUnknown = await send(app, o.admin, o.orgId, { method: 'PUT', url: `/api/orgs/${o.orgId}/team-keys`, body: { version: 3, envelopes: [{ deviceId: uuidv7(), sealed }] } });
    expectError(toUnknown, 400, 'invalid_request', /envelopes\[0\]\.deviceId is not a device of this organisation/);
  });
});

describe('the audit log', () => {
  it('records who did what, by id only, and never any content', async () => {
    const { org: o } = await createOrg(app);
    const tablet = await enrol(app, o, 'frontDesk', 'Tablet with a name');
    const batchId = uuidv4();
    const batch = await sealedBatch(o, 1);
    expect((await upload(app, tablet, o, batchId, batch)).statusCode).toBe(201);
    expect((await upload(app, tablet, o, batchId, batch)).statusCode).toBe(200);
    await archive(app, o);
    expect((await send(app, tablet, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/directory` })).statusCode).toBe(200);
    const keyId = uuidv4();
    expect((await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/admin-keys`, body: { keys: [{ id: keyId, kind: 'recovery', wrapped: 'w' }] } })).statusCode).toBe(201);
    expect((await send(app, o.admin, o.orgId, { method: 'PUT', url: `/api/orgs/${o.orgId}/team-keys`, body: { version: 2, envelopes: [] } })).statusCode).toBe(200);
    expect((await send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/devices/${tablet.deviceId}/revoke` })).statusCode).toBe(200);

    const res = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/audit` });
    expect(res.statusCode, res.body).toBe(200);
    const { entries, next } = res.json() as { entries: { action: string; actor: string | null; subject: string | null }[]; next: string | null };
    expect(next).toBeNull();
    expect(entries.map((e) => [e.action, e.actor, e.subject])).toEqual([
      ['org.created', o.admin.deviceId, null],
      ['enrolment.created', o.admin.deviceId, null],
      ['device.enrolled', null, tablet.deviceId],
      ['batch.uploaded', tablet.deviceId, batchId],
      ['archive.downloaded', o.admin.deviceId, null],
      ['wrappedKey.added', o.admin.deviceId, keyId],
      ['teamKey.rotated', o.admin.deviceId, null],
      ['device.revoked', o.admin.deviceId, tablet.deviceId],
    ]);
    const text = res.body;
    for (const secret of [batch.activity, batch.directory, 'Tablet with a name', '"w"']) expect(text).not.toContain(secret);

    const paged = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/audit?limit=3` });
    expect(paged.json().entries).toHaveLength(3);
    expect(paged.json().next).toBe(paged.json().entries[2].cursor);
  });
});

/** The organisation's admin sends a compaction. */
function compact(o: Org, body: unknown, extra: Partial<SignedOptions> = {}) {
  return send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/compactions`, body, ...extra });
}

describe('data care: compaction', () => {
  /** An organisation whose front-desk tablet has uploaded three batches. */
  async function orgWithBatches() {
    const { org: o } = await createOrg(app);
    const tablet = await enrol(app, o, 'frontDesk', 'Tablet');
    const uploads: { batchId: string; body: Awaited<ReturnType<typeof sealedBatch>> }[] = [];
    for (let seq = 0; seq < 3; seq++) {
      const item = { batchId: uuidv4(), body: await sealedBatch(o, seq) };
      expect((await upload(app, tablet, o, item.batchId, item.body)).statusCode).toBe(201);
      uploads.push(item);
    }
    return { o, tablet, uploads };
  }
  const snapshotBatch = async (o: Org, seq = 0) => ({ batchId: uuidv4(), ...(await sealedBatch(o, seq, 'anonymised visit')) });

  it('stores the admin’s new batches and removes the superseded ones; the same request again changes nothing', async () => {
    const { o, tablet, uploads } = await orgWithBatches();
    const [b1, b2, b3] = uploads;
    const fresh = await snapshotBatch(o);
    const body = { batches: [fresh], supersedes: [b1!.batchId, b2!.batchId], reason: 'erasure' };

    const res = await compact(o, body);
    expect(res.statusCode, res.body).toBe(200);
    expect(CompactionReceipt.parse(res.json())).toEqual({ stored: 1, alreadyStored: 0, removed: 2, alreadyRemoved: 0, serverTime: now().toISOString() });
    const items = (await archive(app, o)).items;
    expect(items.map((b) => [b.batchId, b.deviceId])).toEqual([
      [b3!.batchId, tablet.deviceId],
      [fresh.batchId, o.admin.deviceId],
    ]);
    expect(items[1]).toMatchObject({ seq: fresh.seq, activity: fresh.activity, receivedAt: now().toISOString() });
    const directory = DirectoryPage.parse((await send(app, tablet, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/directory` })).json());
    expect(directory.items.map((b) => [b.batchId, b.directory])).toEqual([
      [b3!.batchId, b3!.body.directory],
      [fresh.batchId, fresh.directory],
    ]);

    const again = await compact(o, body);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ stored: 0, alreadyStored: 1, removed: 0, alreadyRemoved: 2 });
    expect((await archive(app, o)).items.map((b) => b.batchId)).toEqual([b3!.batchId, fresh.batchId]);
    // The new batch is the admin device's like any upload of hers: the same bytes again are a duplicate.
    const { batchId, ...freshUpload } = fresh;
    expect((await upload(app, o.admin, o, batchId, freshUpload)).json()).toMatchObject({ status: 'duplicate' });
  });

  it('answers a tablet retrying the upload of a removed batch with a duplicate, and keeps the content out', async () => {
    const { o, tablet, uploads } = await orgWithBatches();
    const [b1] = uploads;
    expect((await compact(o, { batches: [await snapshotBatch(o)], supersedes: [b1!.batchId], reason: 'retention' })).statusCode).toBe(200);
    const retry = await upload(app, tablet, o, b1!.batchId, b1!.body);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(BatchReceipt.parse(retry.json()).status).toBe('duplicate');
    const items = (await archive(app, o)).items;
    expect(items.some((b) => b.batchId === b1!.batchId || b.activity === b1!.body.activity)).toBe(false);
    expectError(await upload(app, tablet, o, b1!.batchId, await sealedBatch(o, 0)), 409, 'batch_conflict');
  });

  it('refuses a superseded id that is not a batch of this organisation (409), naming the field, and changes nothing', async () => {
    const { o, uploads } = await orgWithBatches();
    const { uploads: theirs } = await orgWithBatches();
    const before = await archive(app, o);
    const stranger = uuidv4();
    const fresh = await snapshotBatch(o);
    const res = await compact(o, { batches: [fresh], supersedes: [uploads[0]!.batchId, stranger, theirs[0]!.batchId], reason: 'erasure' });
    const body = expectError(res, 409, 'unknown_batches');
    expect(body.message).toBe(
      'supersedes[1] and supersedes[2] are not batches of this organisation. Nothing was changed. Fetch the archive again and make the snapshot from the batches it holds.',
    );
    expect(res.body).not.toContain(stranger);
    expect((await archive(app, o)).items).toEqual(before.items);
  });

  it('refuses a new batch id already received with other contents (409), and changes nothing', async () => {
    const { o, uploads } = await orgWithBatches();
    const before = await archive(app, o);
    const taken = { ...(await snapshotBatch(o)), batchId: uploads[2]!.batchId };
    const res = await compact(o, { batches: [await snapshotBatch(o), taken], supersedes: [uploads[0]!.batchId], reason: 'erasure' });
    expectError(res, 409, 'batch_conflict', /^batches\[1\]\.batchId was already received with different contents\. Nothing was changed\./);
    expect((await archive(app, o)).items).toEqual(before.items);
  });

  it('refuses a malformed body with a 400 that says what is wrong', async () => {
    const { o, uploads } = await orgWithBatches();
    const id = uploads[0]!.batchId;
    const fresh = await snapshotBatch(o);
    const cases: [unknown, RegExp][] = [
      [{ batches: [], supersedes: [id] }, /reason: must be erasure or retention/],
      [{ batches: [], supersedes: [id], reason: 'tidying' }, /reason: must be erasure or retention/],
      [{ batches: [], supersedes: [], reason: 'erasure' }, /supersedes: must name at least one batch that the new batches replace/],
      [{ batches: [], supersedes: [id, id], reason: 'erasure' }, /supersedes\[1\]: names a batch already named earlier in the list/],
      [{ batches: [{ ...fresh, batchId: id }], supersedes: [id], reason: 'erasure' }, /batches\[0\]\.batchId: is also in supersedes/],
      [{ batches: [fresh, fresh], supersedes: [id], reason: 'erasure' }, /batches\[1\]\.batchId: is the id of an earlier batch in the list/],
      [{ batches: [{ ...fresh, batchId: uuidv7() }], supersedes: [id], reason: 'erasure' }, /batches\[0\]\.batchId: a batch id must be a random \(v4\) UUID/],
      [{ batches: [{ ...fresh, activity: 'plain text' }], supersedes: [id], reason: 'erasure' }, /batches\[0\]\.activity: must be a compact JWE/],
      [{ batches: [], supersedes: Array.from({ length: 10_001 }, () => uuidv4()), reason: 'retention' }, /supersedes: must name at most 10000 batches; split the snapshot/],
      [{ batches: Array.from({ length: 101 }, () => fresh), supersedes: [id], reason: 'erasure' }, /batches: must hold at most 100 batches; split the snapshot/],
    ];
    for (const [body, message] of cases) {
      const res = await compact(o, body);
      expectError(res, 400, 'invalid_request', message);
      expect(res.body).not.toContain(fresh.activity);
    }
    expect((await archive(app, o)).items).toHaveLength(3);
  });

  it('is refused when signed more than 5 minutes ago', async () => {
    const { o, uploads } = await orgWithBatches();
    const stale = fromNow(-(20 * 60_000));
    const res = await compact(o, { batches: [], supersedes: [uploads[0]!.batchId], reason: 'erasure' }, { timestamp: stale });
    expectError(res, 401, 'stale_request', /20 minutes behind the server's/);
    expect((await archive(app, o)).items).toHaveLength(3);
  });
});

describe('data care: the audit log', () => {
  const report = (o: Org, body: unknown, extra: Partial<SignedOptions> = {}) =>
    send(app, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/audit`, body, ...extra });

  it('records what the admin reports doing on her device, and compactions with their reason, never whom', async () => {
    const { org: o } = await createOrg(app);
    const tablet = await enrol(app, o, 'frontDesk', 'Tablet');
    const batchId = uuidv4();
    expect((await upload(app, tablet, o, batchId, await sealedBatch(o, 0))).statusCode).toBe(201);
    const actions = ['records.merged', 'woman.erased', 'retention.applied', 'records.imported', 'staff.changed', 'config.changed'] as const;
    for (const action of actions) {
      const res = await report(o, { action });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({ serverTime: now().toISOString() });
    }
    // Anything beyond the action is dropped, never stored.
    expect((await report(o, { action: 'woman.erased', subject: 'Jane Doe' })).statusCode).toBe(201);
    expect((await compact(o, { batches: [], supersedes: [batchId], reason: 'erasure' })).statusCode).toBe(200);

    const res = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/audit` });
    const page = AuditPage.parse(res.json());
    expect(page.entries.slice(4).map((e) => [e.action, e.actor, e.subject])).toEqual([
      ...actions.map((a) => [a, o.admin.deviceId, null]),
      ['woman.erased', o.admin.deviceId, null],
      ['archive.compacted', o.admin.deviceId, 'erasure'],
    ]);
    expect(res.body).not.toContain('Jane');
  });

  it('refuses an action it does not know (400), a front-desk device (403) and a stale signature (401)', async () => {
    const { org: o } = await createOrg(app);
    expectError(await report(o, { action: 'woman.deleted' }), 400, 'invalid_request', /^The request body is not valid: action: must be one of records\.merged, woman\.erased, retention\.applied, records\.imported, staff\.changed, config\.changed\./);
    expectError(await report(o, {}), 400, 'invalid_request', /action: must be one of records\.merged/);
    const tablet = await enrol(app, o, 'frontDesk', 'Tablet');
    expectError(await send(app, tablet, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/audit`, body: { action: 'woman.erased' } }), 403, 'admin_only');
    expectError(await report(o, { action: 'woman.erased' }, { timestamp: fromNow(16 * 60_000) }), 401, 'stale_request');
    const res = await send(app, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/audit` });
    expect(AuditPage.parse(res.json()).entries.map((e) => e.action)).not.toContain('woman.erased');
  });
});

// In this process's memory on SQLite, in the database on PostgreSQL (counted there for every process).
describe.each(STORES)('rate limits on $name', ({ open }) => {
  it('answers 429 from the enrolment limiter after 10 claims a minute from one address, and counts creating organisations apart', async () => {
    const { app: strict } = await startServer({}, { storage: await open(), limits: {} });
    const device = await newDevice('Guessing device');
    const statuses: number[] = [];
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i < 11; i++) {
      last = await strict.inject({ method: 'POST', url: '/api/enrol', payload: { lookup: toBase64Url(randomBytes(32)), device: deviceKeys(device) } });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([...Array(10).fill(404), 429]);
    expectError(last!, 429, 'rate_limited', /Wait 1 minute and try again/);
    // The same limit, a count of its own.
    expect((await createOrg(strict)).res.statusCode).toBe(201);
  });

  it('counts requests the signature check refuses against their address: made-up device ids are stopped, good requests and other addresses go on', async () => {
    const { app: small } = await startServer({}, { storage: await open(), limits: { failedSignaturesPerMinute: 3 } });
    const { org: o } = await createOrg(small);
    const from = (remoteAddress: string) => async (device: Device) =>
      small.inject({ ...(await signedRequest(device, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/team-keys` })), remoteAddress });
    // Good requests are not counted.
    const office = from('198.51.100.20');
    for (let i = 0; i < 5; i++) expect((await office(o.admin)).statusCode).toBe(200);
    // A stranger with a new device id, each signed with a key of its own: three refusals, then 429.
    const stranger = from('203.0.113.7');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await stranger(await newDevice(`Made up ${i}`))).statusCode);
    expect(statuses).toEqual([401, 401, 401]);
    expectError(await stranger(await newDevice('Made up 3')), 429, 'rate_limited', /^Too many requests from this network address\. Wait (1 minute|\d+ seconds?) and try again/);
    // From then on, the address is refused before its signature is even read, until the minute is over.
    expectError(await stranger(o.admin), 429, 'rate_limited', /this network address/);
    expect((await small.inject({ method: 'GET', url: `/api/orgs/${o.orgId}/team-keys`, remoteAddress: '203.0.113.7' })).statusCode).toBe(429);
    // Other addresses are not.
    expect((await office(o.admin)).statusCode).toBe(200);
    expectError(await from('192.0.2.1')(await newDevice('Someone else')), 401, 'unknown_device');
  });

  it('limits each device overall, with a clear 429', async () => {
    const { app: small } = await startServer({}, { storage: await open(), limits: { perDevicePerMinute: 3 } });
    const { org: o } = await createOrg(small);
    const get = () => send(small, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/team-keys` });
    for (let i = 0; i < 3; i++) expect((await get()).statusCode).toBe(200);
    expectError(await get(), 429, 'rate_limited', /Too many requests from this device/);
  });
});

describe.each(STORES)('enrolment codes made by an admin device revoked since, on $name', ({ open }) => {
  it('cannot be claimed, and add no device; the other admin device\'s codes still work', async () => {
    const { app: server } = await startServer({}, { storage: await open() });
    const { org: o } = await createOrg(server);
    const leaving = await enrol(server, o, 'admin', 'Second admin laptop');
    // Before her device is revoked, the leaving admin makes a code for a device of her own.
    const kept = await newEnrolment({ ...o, admin: leaving }, 'admin', 'Way back in', fromNow(3_600_000));
    expect((await send(server, leaving, o.orgId, kept.create)).statusCode).toBe(201);
    const revoked = await send(server, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/devices/${leaving.deviceId}/revoke` });
    expect(revoked.statusCode, revoked.body).toBe(200);

    expectError(await server.inject({ method: 'POST', url: '/api/enrol', payload: kept.claim }), 404, 'enrolment_code_unusable', MESSAGES.enrolmentCodeUnusable);
    const list = await send(server, o.admin, o.orgId, { method: 'GET', url: `/api/orgs/${o.orgId}/devices` });
    expect((list.json().devices as { deviceId: string }[]).map((d) => d.deviceId)).not.toContain(kept.device.deviceId);
    // The admin who stays makes codes that work as before.
    await enrol(server, o, 'frontDesk', 'Tablet');
  });
});

describe.each(STORES)("an organisation's storage quota on $name", ({ open }) => {
  it('stores up to the quota, then answers 507 and stores nothing more, still answering a batch it holds; a compaction makes room', async () => {
    const storage = await open();
    const { org: o, request } = await newOrg();
    const bodies = await Promise.all([0, 1, 2].map((seq) => sealedBatch(o, seq)));
    const size = bodies[0]!.activity.length + bodies[0]!.directory.length;
    expect(bodies.every((b) => b.activity.length + b.directory.length === size)).toBe(true);
    // Two batches fit, the third does not.
    const { app: small } = await startServer({}, { storage, limits: { orgStorageBytes: Math.floor(2.5 * size) } });
    expect((await small.inject({ method: 'POST', url: '/api/orgs', payload: request })).statusCode).toBe(201);
    const tablet = await enrol(small, o, 'frontDesk', 'Tablet');
    const ids = bodies.map(() => uuidv4());
    for (const i of [0, 1]) expect((await upload(small, tablet, o, ids[i]!, bodies[i])).statusCode).toBe(201);
    const refused = expectError(await upload(small, tablet, o, ids[2]!, bodies[2]), 507, 'org_storage_full', /FOOTFALL_ORG_QUOTA_MB/);
    expect(refused.message).toMatch(/keeps its records and sends them again later/);
    expect((await storage.listBatches(o.orgId, null, 100)).map((b) => b.batchId)).toEqual([ids[0], ids[1]]);
    // A retry of a batch stored before the quota was reached is told it is stored, so it stops.
    const again = await upload(small, tablet, o, ids[1]!, bodies[1]);
    expect(again.statusCode).toBe(200);
    expect(again.json().status).toBe('duplicate');
    // Erasing makes room: the compaction is never refused for the quota, and uploads go on.
    const erased = await send(small, o.admin, o.orgId, { method: 'POST', url: `/api/orgs/${o.orgId}/compactions`, body: { batches: [], supersedes: [ids[0]], reason: 'erasure' } });
    expect(erased.statusCode, erased.body).toBe(200);
    expect((await upload(small, tablet, o, ids[2]!, bodies[2])).statusCode).toBe(201);
    expect(await storage.storedBytes(o.orgId)).toBe(2 * size);
  });

  it('admits no more than the room left when uploads arrive together, and frees the room of one whose write failed', async () => {
    const storage = await open();
    let failures = 1;
    const flaky: Storage = { ...storage, putBatch: (...args) => (failures-- > 0 ? Promise.reject(new Error('disk I/O error')) : storage.putBatch(...args)) };
    const { org: o, request } = await newOrg();
    const bodies = await Promise.all([0, 1, 2, 3].map((seq) => sealedBatch(o, seq)));
    const size = bodies[0]!.activity.length + bodies[0]!.directory.length;
    expect(bodies.every((b) => b.activity.length + b.directory.length === size)).toBe(true);
    const { app: small } = await startServer({}, { storage: flaky, limits: { orgStorageBytes: Math.floor(2.5 * size) } });
    expect((await small.inject({ method: 'POST', url: '/api/orgs', payload: request })).statusCode).toBe(201);
    const tablet = await enrol(small, o, 'frontDesk', 'Tablet');
    // Admitted, then not stored: its room is free again.
    expectError(await upload(small, tablet, o, uuidv4(), bodies[3]), 500, 'server_error');
    // Three at once, room for two.
    const answers = await Promise.all([0, 1, 2].map((i) => upload(small, tablet, o, uuidv4(), bodies[i])));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 201, 507]);
    expect(await storage.storedBytes(o.orgId)).toBe(2 * size);
  });
});

describe('failures', () => {

  it('answers a storage failure with a 500 that says nothing was stored', async () => {
    const dataDir = temp('footfall-api-broken-');
    const real = await openSqliteStorage(dataDir);
    const broken: Storage = { ...real, putBatch: async () => Promise.reject(new Error('disk I/O error')) };
    const { app: failing } = await startServer({}, { storage: broken });
    const { org: o } = await createOrg(failing);
    const res = await upload(failing, o.admin, o, uuidv4(), await sealedBatch(o, 1));
    expectError(res, 500, 'server_error', MESSAGES.serverError);
    expect(res.body).not.toContain('disk');
  });

  it('closes the storage when the server closes', async () => {
    const dataDir = temp('footfall-api-close-');
    const real = await openSqliteStorage(dataDir);
    let closed = 0;
    const { app: closing } = await startServer({}, { storage: { ...real, close: async () => { closed++; await real.close(); } } });
    await closing.close();
    expect(closed).toBe(1);
  });
});
