/**
 * Signed requests: the one check every device route goes through.
 *
 * A device signs each request with its ECDSA key over the canonical request (method, path and
 * query as sent, organisation, device, timestamp and the raw body bytes; see crypto/signing.ts).
 * Here the endpoint checks, in order: the signature headers are present and well formed; the
 * organisation in the header is the one in the path; the device is enrolled in it; the signature
 * is valid; it was signed within SIGNATURE_WINDOW_MINUTES of the server's clock, either way; the
 * device is not revoked; and, for admin routes, that the device is an admin's.
 *
 * The window holds for every signed route, uploads included. A device signs each request as it
 * sends it (never when it sealed the batch), so being offline for days does not age a request;
 * only a wrong clock does, and the app warns when its clock is off by as much as this window
 * (docs/sync.md#events-and-ids). Without it, a signed request captured once (a page of the
 * archive, the list of wrapped keys) could be replayed for ever (docs/security.md#signed-requests).
 */
import type { FastifyRequest } from 'fastify';
import { DeviceId, OrgId, SIGNATURE_HEADERS } from '../../domain/protocol.ts';
import { bodySha256, verifySignedRequest } from './signature.ts';
import type { Storage, StoredDevice } from '../storage/types.ts';
import { errors } from './errors.ts';

/** Who may call a route: anyone, any enrolled device, or an admin's device. */
export type Access = 'public' | 'device' | 'admin';

/** How far a signed request's timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_MINUTES = 5;

/**
 * How fresh a device's last-seen time is kept: it is written again only once the stored one is
 * at least this old. Written on every request, every upload of a syncing device would queue on
 * the one device row (and, on SQLite, add a write to every group commit) to move a time that the
 * admin reads to the minute.
 */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/** True when the device's stored last-seen time is missing or at least LAST_SEEN_RESOLUTION_MS before `now`. */
export function lastSeenIsStale(device: StoredDevice, now: Date): boolean {
  return device.lastSeenAt === null || now.getTime() - Date.parse(device.lastSeenAt) >= LAST_SEEN_RESOLUTION_MS;
}

const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;

interface SignatureHeaders {
  orgId: string;
  deviceId: string;
  timestamp: string;
  signature: string;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function readSignatureHeaders(request: FastifyRequest): SignatureHeaders {
  const orgId = header(request, SIGNATURE_HEADERS.org);
  if (!orgId || !OrgId.safeParse(orgId).success) throw errors.unsigned(SIGNATURE_HEADERS.org);
  const deviceId = header(request, SIGNATURE_HEADERS.device);
  if (!deviceId || !DeviceId.safeParse(deviceId).success) throw errors.unsigned(SIGNATURE_HEADERS.device);
  const timestamp = header(request, SIGNATURE_HEADERS.timestamp);
  if (!timestamp || timestamp.length > 40 || Number.isNaN(Date.parse(timestamp))) throw errors.unsigned(SIGNATURE_HEADERS.timestamp);
  const signature = header(request, SIGNATURE_HEADERS.signature);
  if (!signature || !SIGNATURE.test(signature)) throw errors.unsigned(SIGNATURE_HEADERS.signature);
  return { orgId, deviceId, timestamp, signature };
}

/**
 * Checks a signed request and returns the device that sent it, or throws the HttpError to send.
 * `orgId` is the organisation in the (already validated) path. Once the signature is good and the
 * device not revoked, its last-seen time is written when it is stale (lastSeenIsStale), unless `deferTouch` says the caller writes it
 * itself (route.ts does, alongside the handler's own writes; only for plain device access, where
 * nothing is checked after the touch).
 */
export async function authenticate(
  request: FastifyRequest,
  orgId: string,
  access: Exclude<Access, 'public'>,
  storage: Storage,
  now: Date,
  options: { deferTouch?: boolean } = {},
): Promise<StoredDevice> {
  const signed = readSignatureHeaders(request);
  if (signed.orgId !== orgId) throw errors.wrongOrg();

  const device = await storage.getDevice(orgId, signed.deviceId);
  if (!device) throw errors.unknownDevice();

  const body = request.rawBody ?? '';
  // Kept on the request: an upload's "same batch again" hash is this one when its body is canonical.
  request.bodySha256 = bodySha256(body);
  const valid = await verifySignedRequest(
    device.signingKey,
    {
      method: request.method,
      path: request.url,
      orgId: signed.orgId,
      deviceId: signed.deviceId,
      timestamp: signed.timestamp,
      body,
    },
    signed.signature,
    request.bodySha256,
  );
  if (!valid) throw errors.badSignature();
  // Before anything else is said or written: a replayed old request learns nothing (not even a
  // revocation) and does not move the device's last-seen time.
  const skew = Date.parse(signed.timestamp) - now.getTime();
  if (Math.abs(skew) > SIGNATURE_WINDOW_MINUTES * 60_000) throw errors.stale(skew, SIGNATURE_WINDOW_MINUTES);
  // Checked after the signature, so only the device itself can learn that it was revoked.
  if (device.revokedAt !== null) throw errors.revoked();

  if (!options.deferTouch && lastSeenIsStale(device, now)) await storage.touchDevice(orgId, device.deviceId, now.toISOString());

  if (access === 'admin' && device.role !== 'admin') throw errors.adminOnly();
  return device;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (JSON routes only): what the device signed. */
    rawBody: Buffer | null;
    /** SHA-256 (base64url) of rawBody, set by the signed-request check; null before it or on public routes. */
    bodySha256: string | null;
  }
}
