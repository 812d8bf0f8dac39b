/** Creating an organisation, and enrolling devices into it with one-time codes. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimitOptions } from '@fastify/rate-limit';
import { isP256Point } from '../../crypto/authority.ts';
import { ClaimEnrolmentRequest, CreateEnrolmentRequest, CreateOrgRequest, SETUP_TOKEN_HEADER } from '../../domain/protocol.ts';
import type { ClaimEnrolmentResponse, DeviceKeys, PublicJwk } from '../../domain/protocol.ts';
import { DeviceExistsError, OrgExistsError } from '../storage/types.ts';
import { errors } from './errors.ts';
import { addRoute, type ApiContext } from './route.ts';
import { OrgParams } from './schemas.ts';

/** The longest an enrolment code may stay usable. */
export const MAX_ENROLMENT_DAYS = 7;

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Refuses public keys that are well formed but not points on P-256: such a key could never verify
 * a signature or receive a team key, and would make a revocation fail half way (docs/security.md#enrolment-codes).
 */
async function checkPoints(keys: { where: string; key: PublicJwk }[]): Promise<void> {
  for (const { where, key } of keys) {
    if (!(await isP256Point(key))) {
      throw errors.invalid(`The request body is not valid: ${where} is not a point on the P-256 curve. Make the device's keys again with this app and send the request again.`);
    }
  }
}

const deviceKeysOf = (device: DeviceKeys, where: string) => [
  { where: `${where}.signingKey`, key: device.signingKey },
  { where: `${where}.encryptionKey`, key: device.encryptionKey },
];

/** Headers a proxy or tunnel adds to a request it passes on. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'] as const;

export function setupRoutes(app: FastifyInstance, ctx: ApiContext, strictLimit: RateLimitOptions): void {
  const { storage } = ctx;

  addRoute(app, ctx, {
    method: 'POST',
    url: '/orgs',
    access: 'public',
    body: CreateOrgRequest,
    rateLimit: strictLimit,
    guard: async (request: FastifyRequest) => {
      if (ctx.setupToken === undefined) {
        if (ctx.setupClosed) throw errors.setupClosed();
        // Open only to this machine: a request a proxy or tunnel passed on (one on this machine
        // makes every request look local) may come from anywhere (docs/security.md#the-endpoint).
        if (PROXY_HEADERS.some((name) => request.headers[name] !== undefined)) throw errors.setupProxied();
        return;
      }
      const given = request.headers[SETUP_TOKEN_HEADER];
      if (typeof given !== 'string' || !sameSecret(given, ctx.setupToken)) throw errors.setupToken();
    },
    handler: async ({ body, now, reply }) => {
      await checkPoints([{ where: 'orgPublicKey', key: body.orgPublicKey }, ...deviceKeysOf(body.adminDevice, 'adminDevice')]);
      const at = now.toISOString();
      const admin = body.adminDevice;
      try {
        await storage.createOrg(
          { orgId: body.orgId, orgPublicKey: body.orgPublicKey, createdAt: at },
          {
            orgId: body.orgId,
            deviceId: admin.deviceId,
            name: admin.name,
            role: 'admin',
            signingKey: admin.signingKey,
            encryptionKey: admin.encryptionKey,
            enrolledAt: at,
            lastSeenAt: null,
            revokedAt: null,
          },
          body.wrappedKeys,
        );
      } catch (error) {
        if (error instanceof OrgExistsError || error instanceof DeviceExistsError) throw errors.orgExists();
        throw error;
      }
      await storage.appendAudit({ orgId: body.orgId, at, actor: admin.deviceId, action: 'org.created', subject: null });
      reply.code(201);
      return { orgId: body.orgId, serverTime: at };
    },
  });

  addRoute(app, ctx, {
    method: 'POST',
    url: '/enrol',
    access: 'public',
    body: ClaimEnrolmentRequest,
    rateLimit: strictLimit,
    handler: async ({ body, now }): Promise<ClaimEnrolmentResponse> => {
      await checkPoints(deviceKeysOf(body.device, 'device'));
      const at = now.toISOString();
      const { device } = body;
      let claimed;
      try {
        claimed = await storage.claimEnrolment(body.lookup, at, {
          deviceId: device.deviceId,
          name: device.name,
          signingKey: device.signingKey,
          encryptionKey: device.encryptionKey,
        });
      } catch (error) {
        if (error instanceof DeviceExistsError) throw errors.deviceExists();
        throw error;
      }
      // Unknown, used or expired: one answer, so the endpoint says nothing about which codes exist.
      if (!claimed) throw errors.enrolmentUnusable();
      await storage.appendAudit({ orgId: claimed.orgId, at, actor: null, action: 'device.enrolled', subject: device.deviceId });
      return { orgId: claimed.orgId, role: claimed.role, package: claimed.package, serverTime: at };
    },
  });

  addRoute(app, ctx, {
    method: 'POST',
    url: '/orgs/:orgId/enrolments',
    access: 'admin',
    params: OrgParams,
    body: CreateEnrolmentRequest,
    handler: async ({ params, body, device, now, reply }) => {
      const expires = Date.parse(body.expiresAt);
      if (expires <= now.getTime() || expires > now.getTime() + MAX_ENROLMENT_DAYS * 86_400_000) {
        throw errors.invalid(
          `The request body is not valid: expiresAt must be in the future and at most ${MAX_ENROLMENT_DAYS} days ahead of the server's time. Choose a shorter expiry, check this device's clock, and send the request again.`,
        );
      }
      const at = now.toISOString();
      await storage.createEnrolment({
        orgId: params.orgId,
        lookup: body.lookup,
        role: body.role,
        package: body.package,
        createdBy: device.deviceId,
        ...(body.deviceName && { deviceName: body.deviceName }),
        createdAt: at,
        expiresAt: new Date(expires).toISOString(),
      });
      await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: 'enrolment.created', subject: null });
      reply.code(201);
      return { expiresAt: new Date(expires).toISOString(), serverTime: at };
    },
  });
}
