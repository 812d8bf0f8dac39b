/**
 * Signed requests: the one check every device route goes through.
 *
 * A device signs each request with its ECDSA key over the canonical request (method, path and
 * query as sent, organisation, device, timestamp and the raw body bytes; see crypto/signing.ts).
 * Here the endpoint checks, in order: the signature headers are present and well formed; the
 * organisation in the header is the one in the path; the device is enrolled in it; the signature
 * is valid; the device is not revoked; and, for admin routes, that the device is an admin's and
 * that an admin change was signed within the last 15 minutes. Uploads carry no freshness check:
 * devices are offline for days, and a replayed upload is harmless because uploads are idempotent.
 */
import type { FastifyRequest } from 'fastify';
import { DeviceId, OrgId, SIGNATURE_HEADERS } from '../../domain/protocol.ts';
import { verifySignedRequest } from './signature.ts';
import type { Storage, StoredDevice } from '../storage/types.ts';
import { errors } from './errors.ts';

/** Who may call a route: anyone, any enrolled device, an admin's device, or an admin making a change. */
export type Access = 'public' | 'device' | 'admin' | 'adminChange';

/** How far an admin change's timestamp may be from the server's clock. */
export const ADMIN_CHANGE_WINDOW_MINUTES = 15;

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
 * device not revoked, its last-seen time is written, unless `deferTouch` says the caller writes it
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

  const valid = await verifySignedRequest(
    device.signingKey,
    {
      method: request.method,
      path: request.url,
      orgId: signed.orgId,
      deviceId: signed.deviceId,
      timestamp: signed.timestamp,
      body: request.rawBody ?? '',
    },
    signed.signature,
  );
  if (!valid) throw errors.badSignature();
  // Checked after the signature, so only the device itself can learn that it was revoked.
  if (device.revokedAt !== null) throw errors.revoked();

  if (!options.deferTouch) await storage.touchDevice(orgId, device.deviceId, now.toISOString());

  if (access === 'admin' || access === 'adminChange') {
    if (device.role !== 'admin') throw errors.adminOnly();
  }
  if (access === 'adminChange') {
    const skew = Date.parse(signed.timestamp) - now.getTime();
    if (Math.abs(skew) > ADMIN_CHANGE_WINDOW_MINUTES * 60_000) throw errors.stale(skew, ADMIN_CHANGE_WINDOW_MINUTES);
  }
  return device;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (JSON routes only): what the device signed. */
    rawBody: Buffer | null;
  }
}
