/**
 * What the API tests share: the real endpoint built with Fastify (answering through inject, or on
 * a real port), real SQLite storage in a temp folder or PostgreSQL in a fresh schema, real device
 * keys, and requests signed exactly as a device signs them. The server's clock is the tests' own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { expect } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair, sealTo } from '../../src/crypto/envelope.ts';
import { enrolmentKeys, generateEnrolmentCode, sealPackage } from '../../src/crypto/enrolmentCode.ts';
import { generateDeviceKeys, publicJwk, signRequest, type DeviceKeys as KeyPairs } from '../../src/crypto/signing.ts';
import { ArchivePage, SIGNATURE_HEADERS, type CreateOrgRequest, type DeviceKeys, type PublicJwk, type Role } from '../../src/domain/protocol.ts';
import { buildServer, type ServerOptions } from '../../src/server/app.ts';
import type { ServerConfig } from '../../src/server/config.ts';
import { openPostgresStorage } from '../../src/server/storage/postgres.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import type { Storage } from '../../src/server/storage/types.ts';
import { DATABASE_URL, dropSchemas, freshSchema } from './postgres.ts';

const temps: string[] = [];
const servers: FastifyInstance[] = [];
let staticDir: string | undefined;

export function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** The server's clock: tests move it (`clock.ms += …`) to expire codes and age requests. */
export const clock = { ms: Date.parse('2025-03-10T10:00:00.000Z') };
export const now = () => new Date(clock.ms);
/** The server's time `ms` from now, as an ISO string (a device's timestamp, an expiry). */
export const fromNow = (ms: number) => new Date(clock.ms + ms).toISOString();

/** The folder of a built app, as small as the server accepts. */
function builtApp(): string {
  if (!staticDir) {
    staticDir = temp('footfall-api-static-');
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Footfall</title>');
  }
  return staticDir;
}

/** Builds the endpoint (SQLite in a temp folder unless `options.storage` says otherwise); closeAll closes it. */
export async function startServer(
  overrides: Partial<ServerConfig> = {},
  options: Partial<ServerOptions> = {},
): Promise<{ app: FastifyInstance; storage: Storage }> {
  const dataDir = temp('footfall-api-data-');
  const storage = options.storage ?? (await openSqliteStorage(dataDir));
  const app = await buildServer(
    { port: 0, host: '127.0.0.1', staticDir: builtApp(), dataDir, ...overrides },
    { now, limits: { enrolPerMinute: 1000 }, ...options, storage },
  );
  servers.push(app);
  return { app, storage };
}

export interface Device {
  deviceId: string;
  name: string;
  keys: KeyPairs;
  signingKey: PublicJwk;
  encryptionKey: PublicJwk;
}

export async function newDevice(name: string): Promise<Device> {
  const keys = await generateDeviceKeys();
  return {
    deviceId: uuidv7(),
    name,
    keys,
    signingKey: await publicJwk(keys.signing.publicKey),
    encryptionKey: await publicJwk(keys.encryption.publicKey),
  };
}

export const deviceKeys = (d: Device): DeviceKeys => ({ deviceId: d.deviceId, name: d.name, signingKey: d.signingKey, encryptionKey: d.encryptionKey });

export interface SignedOptions {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  body?: unknown;
  /** Send these bytes instead of JSON.stringify(body) (they are what gets signed). */
  rawBody?: string;
  /** The device's clock when it signed; the server's clock by default. */
  timestamp?: string;
  /** The organisation put in the footfall-org header (the path's by default). */
  orgHeader?: string;
  /** Sign with this device's key instead (a forgery). */
  signer?: Device;
  /** Send these bytes after signing the others. */
  tamperedBody?: string;
}

/** Builds a request the way a device does: sign the canonical request, then send it. */
export async function signedRequest(device: Device, orgId: string, o: SignedOptions) {
  const body = o.rawBody ?? (o.body === undefined ? '' : JSON.stringify(o.body));
  const timestamp = o.timestamp ?? now().toISOString();
  const org = o.orgHeader ?? orgId;
  const signature = await signRequest((o.signer ?? device).keys.signing.privateKey, {
    method: o.method,
    path: o.url,
    orgId: org,
    deviceId: device.deviceId,
    timestamp,
    body,
  });
  const sent = o.tamperedBody ?? body;
  return {
    method: o.method,
    url: o.url,
    headers: {
      [SIGNATURE_HEADERS.org]: org,
      [SIGNATURE_HEADERS.device]: device.deviceId,
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.signature]: signature,
      ...(sent ? { 'content-type': 'application/json' } : {}),
    },
    ...(sent ? { payload: sent } : {}),
  };
}

export async function send(app: FastifyInstance, device: Device, orgId: string, o: SignedOptions): Promise<LightMyRequestResponse> {
  return app.inject(await signedRequest(device, orgId, o));
}

export interface Org {
  orgId: string;
  orgPublicKey: PublicJwk;
  admin: Device;
}

/** A new organisation with its admin device, and the body of POST /api/orgs that creates it. */
export async function newOrg(): Promise<{ org: Org; request: CreateOrgRequest }> {
  const admin = await newDevice('Admin laptop');
  const { publicJwk: orgPublicKey } = await generateOrgKeyPair();
  const request: CreateOrgRequest = {
    orgId: uuidv4(),
    orgPublicKey,
    adminDevice: deviceKeys(admin),
    wrappedKeys: [{ id: uuidv4(), kind: 'passphrase', wrapped: 'wrapped-org-key-under-passphrase' }],
  };
  return { org: { orgId: request.orgId, orgPublicKey, admin }, request };
}

export async function createOrg(app: FastifyInstance, headers: Record<string, string> = {}): Promise<{ org: Org; res: LightMyRequestResponse; request: CreateOrgRequest }> {
  const { org, request } = await newOrg();
  const res = await app.inject({ method: 'POST', url: '/api/orgs', payload: request, headers });
  return { org, res, request };
}

/**
 * A new device with the given role and what enrols it: the admin's signed request making an
 * enrolment code that expires at `expiresAt`, and the body of the claim (POST /api/enrol).
 */
export async function newEnrolment(org: Org, role: Role, name: string, expiresAt: string) {
  const device = await newDevice(name);
  const { lookup, packageKey } = await enrolmentKeys(generateEnrolmentCode());
  const create: SignedOptions = {
    method: 'POST',
    url: `/api/orgs/${org.orgId}/enrolments`,
    body: { lookup, role, package: await sealPackage(packageKey, { orgPublicKey: org.orgPublicKey }), expiresAt },
  };
  return { device, create, claim: { lookup, device: deviceKeys(device) } };
}

/** An enrolment code made by the admin and claimed by a new device with the given role. */
export async function enrol(app: FastifyInstance, org: Org, role: Role, name: string): Promise<Device> {
  const { device, create, claim } = await newEnrolment(org, role, name, fromNow(3_600_000));
  const created = await send(app, org.admin, org.orgId, create);
  expect(created.statusCode, created.body).toBe(201);
  const claimed = await app.inject({ method: 'POST', url: '/api/enrol', payload: claim });
  expect(claimed.statusCode, claimed.body).toBe(200);
  return device;
}

/** A sealed batch as a device makes it (sealed to the organisation's key; the server cannot open it). */
export async function sealedBatch(org: Org, seq: number, note = 'visit') {
  return {
    seq,
    activity: await sealTo(org.orgPublicKey, utf8.encode(JSON.stringify({ events: [{ type: note, seq }] }))),
    directory: await sealTo(org.orgPublicKey, utf8.encode(JSON.stringify({ events: [] }))),
  };
}

export function upload(app: FastifyInstance, device: Device, org: Org, batchId: string, body: unknown, extra: Partial<SignedOptions> = {}) {
  return send(app, device, org.orgId, { method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${batchId}`, body, ...extra });
}

/** One page of the archive, as the admin's device reads it. */
export async function archive(app: FastifyInstance, org: Org, query = ''): Promise<ArchivePage> {
  const res = await send(app, org.admin, org.orgId, { method: 'GET', url: `/api/orgs/${org.orgId}/archive${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return ArchivePage.parse(res.json());
}

export function expectError(res: LightMyRequestResponse, status: number, error: string, message?: string | RegExp) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { error: string; message: string };
  expect(body.error).toBe(error);
  expect(typeof body.message).toBe('string');
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
  return body;
}


// ---- storage for the API -------------------------------------------------------------------


const schemas: string[] = [];

/** The two stores the endpoint runs on, each opened fresh: SQLite in a temp folder, PostgreSQL in a new schema. */
export const STORES: readonly { name: string; open: () => Promise<Storage> }[] = [
  { name: 'SQLite', open: () => openSqliteStorage(temp('footfall-api-data-')) },
  {
    name: 'PostgreSQL',
    open: async () => {
      const schema = freshSchema('footfall_api_test');
      schemas.push(schema);
      try {
        return await openPostgresStorage(DATABASE_URL, { schema, maxConnections: 4 });
      } catch (error) {
        throw new Error(`PostgreSQL is not reachable (${(error as Error).message}). These tests need a real server: start one, or set DATABASE_URL.`, {
          cause: error,
        });
      }
    },
  },
];

/** Closes every server (and so its storage), then removes temp folders and PostgreSQL schemas. */
export async function closeAll(): Promise<void> {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  staticDir = undefined;
  if (schemas.length) await dropSchemas(...schemas.splice(0));
}
