/**
 * How every API route is declared: its zod schemas (checked by validation.ts before anything
 * else runs), who may call it (checked by one preHandler, auth.ts), an optional body limit and
 * rate limit, and a handler that receives typed, validated input. No route repeats any of this.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitOptions } from '@fastify/rate-limit';
import type { z } from 'zod';
import type { Storage, StoredDevice } from '../storage/types.ts';
import { authenticate, lastSeenIsStale, type Access } from './auth.ts';
import type { FailedSignatures } from './failedSignatures.ts';

export interface ApiContext {
  storage: Storage;
  /** The server's clock (injectable for tests). */
  now: () => Date;
  /** When set, creating an organisation needs this token in the footfall-setup-token header. */
  setupToken?: string | undefined;
  /** Without a token: whether creating an organisation is refused (the server is reachable from elsewhere). */
  setupClosed: boolean;
  /** Requests the signed-request check refuses, counted per address. */
  failedSignatures: FailedSignatures;
}

export interface RouteInput<P, Q, B, A extends Access> {
  params: P;
  query: Q;
  body: B;
  /** The device that signed the request (null on public routes). */
  device: A extends 'public' ? null : StoredDevice;
  now: Date;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P, Q, B, A extends Access> {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  access: A;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  bodyLimit?: number;
  rateLimit?: RateLimitOptions;
  /**
   * Runs before validation (after the rate limit and body parsing): for checks that must come
   * before anything about the input is said, such as a setup token.
   */
  guard?: (request: FastifyRequest) => Promise<void>;
  /** Returns the JSON body; sets another status with `reply.code` (200 by default). */
  handler: (input: RouteInput<P, Q, B, A>) => Promise<unknown>;
  /**
   * Device routes only: write the device's last-seen time alongside the handler's own writes
   * instead of before the handler runs, so both go to disk in one commit (SQLite's group commit)
   * rather than one after the other. The answer still waits for both. Only for handlers that do
   * not read devices, which would not yet see this request's time.
   */
  touchAlongside?: A extends 'device' ? boolean : never;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the signed-request check; null on public routes. */
    device: StoredDevice | null;
  }
}

/** Settles both; throws the handler's error first, else the touch's, else returns the handler's value. */
async function withTouch<T>(handled: Promise<T>, touched: Promise<void>): Promise<T> {
  const [h, t] = await Promise.allSettled([handled, touched]);
  if (h.status === 'rejected') throw h.reason;
  if (t.status === 'rejected') throw t.reason;
  return h.value;
}

export function addRoute<P = undefined, Q = undefined, B = undefined, A extends Access = Access>(
  app: FastifyInstance,
  ctx: ApiContext,
  spec: RouteSpec<P, Q, B, A>,
): void {
  const access: Access = spec.access;
  const touchAlongside = access === 'device' && spec.touchAlongside === true;
  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.body ? { body: spec.body } : {}),
    },
    ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
    ...(spec.rateLimit ? { config: { rateLimit: spec.rateLimit } } : {}),
    ...(spec.guard ? { preValidation: spec.guard } : {}),
    // Runs after validation: the organisation id in the path is already a well-formed UUID.
    ...(access === 'public'
      ? {}
      : {
          preHandler: async (request: FastifyRequest) => {
            const { orgId } = request.params as { orgId: string };
            try {
              request.device = await authenticate(request, orgId, access, ctx.storage, ctx.now(), { deferTouch: touchAlongside });
            } catch (error) {
              throw await ctx.failedSignatures.refused(request, error);
            }
          },
        }),
    handler: async (request, reply) => {
      const now = ctx.now();
      // Queued before anything the handler writes, so it is never committed after it.
      const touched = touchAlongside && request.device && lastSeenIsStale(request.device, now) ? ctx.storage.touchDevice(request.device.orgId, request.device.deviceId, now.toISOString()) : null;
      const handled = spec.handler({
        params: request.params as P,
        query: request.query as Q,
        body: request.body as B,
        device: request.device as RouteInput<P, Q, B, A>['device'],
        now,
        request,
        reply,
      });
      return touched ? withTouch(handled, touched) : handled;
    },
  });
}
