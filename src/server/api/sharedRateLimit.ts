/**
 * Rate limits counted in the store, for a store that several endpoint processes share: each
 * request is counted by Storage.countRequest, so a limit holds for the whole host however a load
 * balancer spreads the requests (docs/sync.md#several-endpoint-processes). Without it,
 * @fastify/rate-limit counts in each process's own memory, and N processes would each allow the
 * full rate.
 *
 * The same windows as the in-memory counts: fixed, starting with a key's first request. A route
 * with a limit of its own counts apart from the others (as the in-memory counts and the library's
 * own shared store do), under its method and address.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { RequestCount } from '../storage/types.ts';

type CountRequest = (key: string, windowMs: number) => Promise<RequestCount>;

class SharedStore implements FastifyRateLimitStore {
  constructor(
    private readonly countRequest: CountRequest,
    private readonly scope: string,
  ) {}

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
    this.countRequest(`${this.scope}${key}`, timeWindow).then(
      ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    // The library passes the route as `routeInfo` (its types leave it out), as its own RedisStore reads it.
    const route = (routeOptions as unknown as { routeInfo: { method: string | string[]; url: string } }).routeInfo;
    return new SharedStore(this.countRequest, `${this.scope}${String(route.method)} ${route.url}|`);
  }
}

/** The `store` option of @fastify/rate-limit, for counts kept by `countRequest`. */
export function sharedRateLimitStore(countRequest: CountRequest): FastifyRateLimitStoreCtor {
  return class extends SharedStore {
    constructor() {
      super(countRequest, '');
    }
  };
}
