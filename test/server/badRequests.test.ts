/**
 * One suite of bad requests, the same on SQLite and on a real PostgreSQL
 * (docs/security.md#the-endpoint): every route given what an outsider, a front-desk device or a
 * careless admin device might send. Each must get a clear 4xx from the catalogue of errors (a code
 * and a sentence), never a 5xx, and must leave everything stored as it was: the organisation, its
 * devices, batches, wrapped keys, team keys and audit log are compared before and after each one.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_BODY_LIMIT } from '../../src/server/api/batchRoutes.ts';
import type { Storage } from '../../src/server/storage/types.ts';
import {
  STORES,
  closeAll,
  createOrg,
  deviceKeys,
  enrol,
  fromNow,
  newDevice,
  newEnrolment,
  newOrg,
  sealedBatch,
  signedRequest,
  startServer,
  upload,
  type Device,
  type Org,
  type SignedOptions,
} from './apiHarness.ts';

afterAll(closeAll);

/** A key that is well formed but not a point on P-256. */
const OFF_CURVE = { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) } as const;
/** Longer than the endpoint's default body limit, 1 MiB (src/server/app.ts). */
const OVER_ONE_MIB = 'x'.repeat(1024 * 1024 + 16);

interface World {
  app: FastifyInstance;
  storage: Storage;
  org: Org;
  frontDesk: Device;
  revoked: Device;
  storedBatchId: string;
}

/** A bad request: what is sent, and the answer it must get. */
interface BadRequest {
  what: string;
  request: (w: World) => Promise<InjectOptions>;
  status: number;
  error: string;
}

const signed = (who: (w: World) => Device, o: (w: World) => SignedOptions) => (w: World) => signedRequest(who(w), w.org.orgId, o(w));
const admin = (w: World) => w.org.admin;
const frontDesk = (w: World) => w.frontDesk;
const orgPath = (w: World, rest: string) => `/api/orgs/${w.org.orgId}${rest}`;
const json = (method: 'POST' | 'PUT', url: string, payload: unknown): InjectOptions => ({ method, url, payload: payload as InjectOptions['payload'], headers: { 'content-type': 'application/json' } });

const BAD_REQUESTS: readonly BadRequest[] = [
  // Creating an organisation (public).
  { what: 'an organisation: a body that is not JSON', request: async () => ({ method: 'POST', url: '/api/orgs', payload: '{"orgId":', headers: { 'content-type': 'application/json' } }), status: 400, error: 'invalid_request' },
  { what: 'an organisation: a body that is text, not JSON', request: async () => ({ method: 'POST', url: '/api/orgs', payload: 'hello', headers: { 'content-type': 'text/plain' } }), status: 415, error: 'unsupported_media_type' },
  { what: 'an organisation: an empty object', request: async () => json('POST', '/api/orgs', {}), status: 400, error: 'invalid_request' },
  { what: 'an organisation: a JSON array', request: async () => json('POST', '/api/orgs', []), status: 400, error: 'invalid_request' },
  {
    what: 'an organisation: an off-curve organisation key',
    request: async () => {
      const { request } = await newOrg();
      return json('POST', '/api/orgs', { ...request, orgPublicKey: OFF_CURVE });
    },
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'an organisation: an off-curve admin signing key',
    request: async () => {
      const { request } = await newOrg();
      return json('POST', '/api/orgs', { ...request, adminDevice: { ...request.adminDevice, signingKey: OFF_CURVE } });
    },
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'an organisation: a NUL character in the device name',
    request: async () => {
      const { request } = await newOrg();
      return json('POST', '/api/orgs', { ...request, adminDevice: { ...request.adminDevice, name: 'Laptop\u0000' } });
    },
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'an organisation: the id of one that exists',
    request: async (w) => {
      const { request } = await newOrg();
      return json('POST', '/api/orgs', { ...request, orgId: w.org.orgId });
    },
    status: 409,
    error: 'org_exists',
  },
  { what: 'an organisation: a body over 1 MiB', request: async () => json('POST', '/api/orgs', { pad: OVER_ONE_MIB }), status: 413, error: 'body_too_large' },

  // Claiming an enrolment code (public).
  { what: 'a claim: a lookup of the wrong length', request: async (w) => json('POST', '/api/enrol', { lookup: 'abc', device: deviceKeys(w.frontDesk) }), status: 400, error: 'invalid_request' },
  { what: 'a claim: an unknown code', request: async () => json('POST', '/api/enrol', { lookup: 'A'.repeat(43), device: deviceKeys(await newDevice('Phone')) }), status: 404, error: 'enrolment_code_unusable' },
  {
    what: 'a claim: an off-curve encryption key',
    request: async () => json('POST', '/api/enrol', { lookup: 'A'.repeat(43), device: { ...deviceKeys(await newDevice('Phone')), encryptionKey: OFF_CURVE } }),
    status: 400,
    error: 'invalid_request',
  },
  { what: 'a claim: a device name over 60 characters', request: async () => json('POST', '/api/enrol', { lookup: 'A'.repeat(43), device: deviceKeys(await newDevice('P'.repeat(61))) }), status: 400, error: 'invalid_request' },

  // Making an enrolment code (admin).
  { what: 'a code: made by a front-desk device', request: async (w) => signedRequest(w.frontDesk, w.org.orgId, (await newEnrolment(w.org, 'frontDesk', 'Tablet', fromNow(3_600_000))).create), status: 403, error: 'admin_only' },
  { what: 'a code: expiring in the past', request: async (w) => signedRequest(w.org.admin, w.org.orgId, (await newEnrolment(w.org, 'frontDesk', 'Tablet', fromNow(-1000))).create), status: 400, error: 'invalid_request' },
  { what: 'a code: expiring in 8 days', request: async (w) => signedRequest(w.org.admin, w.org.orgId, (await newEnrolment(w.org, 'frontDesk', 'Tablet', fromNow(8 * 86_400_000))).create), status: 400, error: 'invalid_request' },
  {
    what: 'a code: a role that does not exist',
    request: async (w) => {
      const { create } = await newEnrolment(w.org, 'frontDesk', 'Tablet', fromNow(3_600_000));
      return signedRequest(w.org.admin, w.org.orgId, { ...create, body: { ...(create.body as object), role: 'owner' } });
    },
    status: 400,
    error: 'invalid_request',
  },

  // Uploading a batch.
  { what: 'an upload: unsigned', request: async (w) => json('PUT', orgPath(w, `/batches/${uuidv4()}`), await sealedBatch(w.org, 1)), status: 401, error: 'unsigned_request' },
  {
    what: 'an upload: signed by another device',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: await sealedBatch(w.org, 1), signer: w.org.admin }),
    status: 401,
    error: 'bad_signature',
  },
  {
    what: 'an upload: the body changed after signing',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: await sealedBatch(w.org, 1), tamperedBody: JSON.stringify(await sealedBatch(w.org, 2)) }),
    status: 401,
    error: 'bad_signature',
  },
  {
    what: 'an upload: signed for another organisation',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: await sealedBatch(w.org, 1), orgHeader: uuidv4() }),
    status: 401,
    error: 'wrong_org',
  },
  { what: 'an upload: from a device never enrolled', request: async (w) => signedRequest(await newDevice('Stranger'), w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: await sealedBatch(w.org, 1) }), status: 401, error: 'unknown_device' },
  { what: 'an upload: from a revoked device', request: async (w) => signedRequest(w.revoked, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: await sealedBatch(w.org, 1) }), status: 403, error: 'device_revoked' },
  {
    what: 'an upload: signed an hour ago',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: await sealedBatch(w.org, 1), timestamp: fromNow(-3_600_000) }),
    status: 401,
    error: 'stale_request',
  },
  { what: 'an upload: a batch id in upper case', request: signed(frontDesk, (w) => ({ method: 'PUT', url: orgPath(w, `/batches/${w.storedBatchId.toUpperCase()}`), body: {} })), status: 400, error: 'invalid_request' },
  { what: 'an upload: a batch id that is not a UUID', request: signed(frontDesk, (w) => ({ method: 'PUT', url: orgPath(w, '/batches/not-a-uuid'), body: {} })), status: 400, error: 'invalid_request' },
  { what: 'an upload: an organisation id that is not a UUID', request: signed(frontDesk, () => ({ method: 'PUT', url: `/api/orgs/x/batches/${uuidv4()}`, body: {} })), status: 400, error: 'invalid_request' },
  {
    what: 'an upload: a sequence number beyond 2^31 - 1',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: { ...(await sealedBatch(w.org, 1)), seq: 2 ** 31 } }),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'an upload: a sealed part that is not a JWE',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: { ...(await sealedBatch(w.org, 1)), activity: 'plain text' } }),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'an upload: a NUL character in a sealed part',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: { ...(await sealedBatch(w.org, 1)), directory: 'a.b.c\u0000.d.e' } }),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'an upload: the id of a stored batch with other contents',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${w.storedBatchId}`), body: await sealedBatch(w.org, 1, 'other') }),
    status: 409,
    error: 'batch_conflict',
  },
  {
    what: 'an upload: a body over 8 MiB',
    request: async (w) => signedRequest(w.frontDesk, w.org.orgId, { method: 'PUT', url: orgPath(w, `/batches/${uuidv4()}`), body: { seq: 1, activity: 'x'.repeat(UPLOAD_BODY_LIMIT + 16), directory: 'a.b.c.d.e' } }),
    status: 413,
    error: 'body_too_large',
  },

  // Reading batches back.
  { what: 'the directory: a limit of 0', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/directory?limit=0') })), status: 400, error: 'invalid_request' },
  { what: 'the directory: a limit of 1001', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/directory?limit=1001') })), status: 400, error: 'invalid_request' },
  { what: 'the directory: a cursor that is not one', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/directory?after=abc') })), status: 400, error: 'invalid_request' },
  { what: 'the directory: a cursor beyond 18 digits', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, `/directory?after=${'9'.repeat(19)}`) })), status: 400, error: 'invalid_request' },
  { what: 'the archive: read by a front-desk device', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/archive') })), status: 403, error: 'admin_only' },

  // Admin routes.
  { what: 'the device list: read by a front-desk device', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/devices') })), status: 403, error: 'admin_only' },
  { what: 'a revocation: by a front-desk device', request: signed(frontDesk, (w) => ({ method: 'POST', url: orgPath(w, `/devices/${w.org.admin.deviceId}/revoke`) })), status: 403, error: 'admin_only' },
  { what: 'a revocation: of the admin’s own device', request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, `/devices/${w.org.admin.deviceId}/revoke`) })), status: 409, error: 'cannot_revoke_self' },
  { what: 'a revocation: of a device not in the organisation', request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, `/devices/${uuidv4()}/revoke`) })), status: 404, error: 'device_not_found' },
  {
    what: 'team keys: sent by a front-desk device',
    request: signed(frontDesk, (w) => ({ method: 'PUT', url: orgPath(w, '/team-keys'), body: { version: 2, envelopes: [{ deviceId: w.frontDesk.deviceId, sealed: 'a.b.c.d.e' }] } })),
    status: 403,
    error: 'admin_only',
  },
  {
    what: 'team keys: a version beyond 2^31 - 1',
    request: signed(admin, (w) => ({ method: 'PUT', url: orgPath(w, '/team-keys'), body: { version: 2 ** 31, envelopes: [{ deviceId: w.frontDesk.deviceId, sealed: 'a.b.c.d.e' }] } })),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'team keys: sealed to a revoked device',
    request: signed(admin, (w) => ({ method: 'PUT', url: orgPath(w, '/team-keys'), body: { version: 2, envelopes: [{ deviceId: w.revoked.deviceId, sealed: 'a.b.c.d.e' }] } })),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'wrapped keys: a NUL character',
    request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, '/admin-keys'), body: { keys: [{ id: uuidv4(), kind: 'recovery', wrapped: 'wrapped\u0000key' }] } })),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'wrapped keys: half a surrogate pair',
    request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, '/admin-keys'), body: { keys: [{ id: uuidv4(), kind: 'recovery', wrapped: 'wrapped\ud800key' }] } })),
    status: 400,
    error: 'invalid_request',
  },
  {
    what: 'wrapped keys: a kind that does not exist',
    request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, '/admin-keys'), body: { keys: [{ id: uuidv4(), kind: 'sticky-note', wrapped: 'k' }] } })),
    status: 400,
    error: 'invalid_request',
  },
  { what: 'wrapped keys: read by a front-desk device', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/admin-keys') })), status: 403, error: 'admin_only' },
  {
    what: 'wrapped keys: read with a signature a year old',
    request: signed(admin, (w) => ({ method: 'GET', url: orgPath(w, '/admin-keys'), timestamp: fromNow(-365 * 86_400_000) })),
    status: 401,
    error: 'stale_request',
  },
  { what: 'the audit log: an action it does not know', request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, '/audit'), body: { action: 'device.enrolled' } })), status: 400, error: 'invalid_request' },
  { what: 'the audit log: read by a front-desk device', request: signed(frontDesk, (w) => ({ method: 'GET', url: orgPath(w, '/audit') })), status: 403, error: 'admin_only' },

  // Compaction (admin).
  { what: 'a compaction: an empty body', request: signed(admin, (w) => ({ method: 'POST', url: orgPath(w, '/compactions'), body: {} })), status: 400, error: 'invalid_request' },
  {
    what: 'a compaction: superseding a batch the organisation does not have',
    request: async (w) =>
      signedRequest(w.org.admin, w.org.orgId, {
        method: 'POST',
        url: orgPath(w, '/compactions'),
        body: { reason: 'retention', batches: [{ batchId: uuidv4(), ...(await sealedBatch(w.org, 1)) }], supersedes: [uuidv4()] },
      }),
    status: 409,
    error: 'unknown_batches',
  },
  {
    what: 'a compaction: by a front-desk device',
    request: async (w) =>
      signedRequest(w.frontDesk, w.org.orgId, {
        method: 'POST',
        url: orgPath(w, '/compactions'),
        body: { reason: 'retention', batches: [{ batchId: uuidv4(), ...(await sealedBatch(w.org, 1)) }], supersedes: [w.storedBatchId] },
      }),
    status: 403,
    error: 'admin_only',
  },

  // Anything else.
  { what: 'a route that does not exist', request: async () => ({ method: 'GET', url: '/api/nothing-here' }), status: 404, error: 'not_found' },
];

/** Everything the endpoint stores for the organisation, but the devices' last-seen times. */
async function everythingStored(w: World) {
  const devices = await w.storage.listDevices(w.org.orgId);
  return {
    org: await w.storage.getOrg(w.org.orgId),
    devices: devices.map(({ lastSeenAt: _seen, ...device }) => device),
    batches: await w.storage.listBatches(w.org.orgId, null, 1000),
    wrappedKeys: await w.storage.listWrappedKeys(w.org.orgId),
    teamKeys: await Promise.all(devices.map((d) => w.storage.listTeamKeyEnvelopes(w.org.orgId, d.deviceId))),
    audit: await w.storage.listAudit(w.org.orgId, null, 1000),
  };
}

describe.each(STORES)('bad requests on $name', ({ open }) => {
  let world: World;

  beforeAll(async () => {
    const { app, storage } = await startServer({}, { storage: await open() });
    const created = await createOrg(app);
    expect(created.res.statusCode, created.res.body).toBe(201);
    const org = created.org;
    const desk = await enrol(app, org, 'frontDesk', 'Front desk tablet');
    const revoked = await enrol(app, org, 'outreach', 'Lost phone');
    const storedBatchId = uuidv4();
    expect((await upload(app, desk, org, storedBatchId, await sealedBatch(org, 0))).statusCode).toBe(201);
    const revoke = await app.inject(await signedRequest(org.admin, org.orgId, { method: 'POST', url: `/api/orgs/${org.orgId}/devices/${revoked.deviceId}/revoke` }));
    expect(revoke.statusCode, revoke.body).toBe(200);
    world = { app, storage, org, frontDesk: desk, revoked, storedBatchId };
  });

  it.each(BAD_REQUESTS)('$what: $status $error, nothing stored changed', async ({ request, status, error }) => {
    const before = await everythingStored(world);
    const res: LightMyRequestResponse = await world.app.inject(await request(world));
    expect(res.statusCode, res.body).toBe(status);
    const body = res.json() as { error: unknown; message: unknown };
    expect(body.error).toBe(error);
    expect(typeof body.message === 'string' && body.message.length > 20, `a sentence saying what to do: ${res.body}`).toBe(true);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(await everythingStored(world)).toEqual(before);
  });
});
