/**
 * The sync API, mounted under /api. It stores and hands back only what protocol.ts describes:
 * ids, public keys, sealed (opaque) strings, sizes and times. It can never read a record.
 *
 * Everything shared by the routes is set up here, once: the JSON body parser that keeps the raw
 * bytes a device signed, zod validation of params, query and body, the signed-request check
 * (route.ts and auth.ts), rate limits (in the store when several processes may share it:
 * sharedRateLimit.ts) and the one error handler.
 *
 * Routes (all JSON):
 *   POST /api/orgs                                   create an organisation (setup token, or loopback only)
 *   POST /api/enrol                                  claim a one-time enrolment code
 *   POST /api/orgs/:orgId/enrolments                 admin: create an enrolment code
 *   PUT  /api/orgs/:orgId/batches/:batchId           device: upload a sealed batch (idempotent)
 *   POST /api/orgs/:orgId/compactions                admin: replace batches with re-sealed ones
 *   GET  /api/orgs/:orgId/directory?after=&limit=    device: the directory parts of all batches
 *   GET  /api/orgs/:orgId/archive?after=&limit=      admin: the archive, both parts of each batch
 *   GET  /api/orgs/:orgId/batches?after=&limit=      admin: the activity parts alone (older apps)
 *   GET  /api/orgs/:orgId/devices                    admin: the enrolled devices
 *   POST /api/orgs/:orgId/devices/:deviceId/revoke   admin: revoke a device
 *   PUT  /api/orgs/:orgId/team-keys                  admin: a new team key, sealed per device
 *   GET  /api/orgs/:orgId/team-keys                  device: its own sealed team keys
 *   GET  /api/orgs/:orgId/admin-keys                 admin: wrapped copies of the organisation key
 *   POST /api/orgs/:orgId/admin-keys                 admin: add wrapped copies
 *   GET  /api/orgs/:orgId/audit?after=&limit=        admin: who did what (never content)
 *   POST /api/orgs/:orgId/audit                      admin: report an action done on the device
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import { DeviceId, SIGNATURE_HEADERS } from '../../domain/protocol.ts';
import type { Storage } from '../storage/types.ts';
import { adminRoutes } from './adminRoutes.ts';
import { batchRoutes } from './batchRoutes.ts';
import { HttpError, MESSAGES, errors, handleError } from './errors.ts';
import { FailedSignatures } from './failedSignatures.ts';
import type { ApiContext } from './route.ts';
import { setupRoutes } from './setupRoutes.ts';
import { OrgQuota } from './orgQuota.ts';
import { sharedRateLimitStore } from './sharedRateLimit.ts';
import { readCanonicalUpload } from './uploadBody.ts';
import { zodValidatorCompiler } from './validation.ts';

export interface ApiLimits {
  /** Requests per minute from one device (or, for unsigned requests, one IP address). */
  perDevicePerMinute: number;
  /** Enrolment claims and organisation creations per minute from one IP address. */
  enrolPerMinute: number;
  /** Signed requests refused (bad signature, unknown device...) per minute from one IP address (failedSignatures.ts). */
  failedSignaturesPerMinute: number;
  /** Bytes of sealed batches one organisation may keep on this server (orgQuota.ts). */
  orgStorageBytes: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  // The benchmark target is 3,000 uploads a second from a few devices; this is bounded but far above it per device.
  perDevicePerMinute: 20_000,
  enrolPerMinute: 10,
  // A device with a wrong clock or a revoked one fails about once a round (a minute); a centre's devices share one address.
  failedSignaturesPerMinute: 60,
  // About ten years of a busy centre's records (docs/security.md#the-endpoint).
  orgStorageBytes: 2 * 1024 ** 3,
};

export interface ApiOptions {
  storage: Storage;
  now?: () => Date;
  setupToken?: string | undefined;
  /** No organisation may be created here (config.ts: no token, reachable from elsewhere). */
  setupClosed?: boolean;
  limits?: Partial<ApiLimits>;
}

/**
 * The rate-limit key of a request: the device it claims to be (when that is a UUID) at its IP
 * address, else the IP address alone. The limit runs before the signature is checked, so the
 * address is part of the key: someone elsewhere who sends a real device's id uses up their own
 * allowance, not that device's. One who makes up a new id each time is stopped by the count of
 * failed signatures at that address (failedSignatures.ts).
 */
function deviceOrIp(request: FastifyRequest): string {
  const device = request.headers[SIGNATURE_HEADERS.device];
  if (typeof device === 'string' && DeviceId.safeParse(device).success) return `device:${device.toLowerCase()}@${request.ip}`;
  return `ip:${request.ip}`;
}

export async function api(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const countRequest = options.storage.countRequest?.bind(options.storage) ?? null;
  const failedSignatures = new FailedSignatures(limits.failedSignaturesPerMinute, countRequest);
  const ctx: ApiContext = {
    storage: options.storage,
    now: options.now ?? (() => new Date()),
    setupToken: options.setupToken,
    setupClosed: options.setupClosed === true,
    failedSignatures,
  };
  const quota = new OrgQuota(options.storage, limits.orgStorageBytes);

  app.decorateRequest('rawBody', null);
  app.decorateRequest('bodySha256', null);
  app.decorateRequest('device', null);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setErrorHandler(handleError);

  // JSON only, parsed here so the exact bytes the device signed are kept for the signature check.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      // An upload as the app sends it is read from its bytes (uploadBody.ts); the same value either way.
      done(null, readCanonicalUpload(raw) ?? JSON.parse(raw.toString('utf8')));
    } catch {
      // Never the parser's own message: it quotes the body.
      done(new HttpError(400, 'invalid_request', MESSAGES.malformedJson), undefined);
    }
  });

  // Before the rate limit: an address over its failed signatures writes no count of its own.
  app.addHook('onRequest', failedSignatures.check);
  await app.register(rateLimit, {
    global: true,
    max: limits.perDevicePerMinute,
    timeWindow: 60_000,
    keyGenerator: deviceOrIp,
    errorResponseBuilder: (_request, context) => errors.rateLimited(context.after, 'this device'),
    // Counted in the store when it can be shared by several processes, else in this process's memory.
    ...(countRequest ? { store: sharedRateLimitStore(countRequest) } : {}),
  });

  const strictLimit: RateLimitOptions = {
    max: limits.enrolPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) => errors.rateLimited(context.after, 'this network address'),
  };

  setupRoutes(app, ctx, strictLimit);
  batchRoutes(app, ctx, quota);
  adminRoutes(app, ctx);

  // Any other address under /api is answered here rather than by the app's own not-found page, so
  // it is rate-limited like every route (counted on the request) and refused from the catalogue
  // before its body is read.
  app.all('/*', { preParsing: async (request) => Promise.reject(errors.notFound(request.method, request.url)) }, async () => undefined);
}
