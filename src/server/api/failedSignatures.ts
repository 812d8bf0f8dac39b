/**
 * Signed requests that fail, counted per network address (docs/security.md#signed-requests). The
 * per-device rate limit is counted before the signature is checked, under the device a request
 * claims at its address, so a stranger who makes up a new device id for each request would get a
 * fresh allowance every time. Here every request refused by the signed-request check (not signed,
 * another organisation, a device not enrolled, a bad signature, an old request, a revoked device)
 * counts against its address alone; past the limit, that address is refused with 429 before
 * anything else is done or counted (no device is looked up, no signature checked, no rate-limit
 * row written) until the window ends.
 *
 * With a store that several processes share, the failures are counted there (Storage.countRequest),
 * so the limit holds for the whole host. What a process remembers is only "this address is over
 * its limit until then", learnt from such a count: it can make a process refuse no later than the
 * shared count says, and never earlier.
 */
import type { FastifyRequest } from 'fastify';
import type { RequestCount } from '../storage/types.ts';
import { errors, HttpError } from './errors.ts';

type CountRequest = (key: string, windowMs: number) => Promise<RequestCount>;

const WINDOW_MS = 60_000;
/** Addresses counted in this process's memory at most (without a shared store): the oldest go first. */
const KEPT_ADDRESSES = 10_000;

/** What the signed-request check refuses (auth.ts); `admin_only` is a good signature, and not counted. */
const FAILED_CHECKS = new Set(['unsigned_request', 'wrong_org', 'unknown_device', 'bad_signature', 'stale_request', 'device_revoked']);

/** "1 minute", "12 seconds": how long to wait, in the words the rate limits use. */
function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds >= 60 ? '1 minute' : `${seconds} second${seconds === 1 ? '' : 's'}`;
}

export class FailedSignatures {
  /** Addresses over the limit, until when (ms since the epoch). */
  readonly #blocked = new Map<string, number>();
  /** Failures counted here, without a shared store. */
  readonly #counts = new Map<string, { count: number; resetsAt: number }>();

  constructor(
    private readonly max: number,
    private readonly countRequest: CountRequest | null,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * An onRequest hook: a 429 when the request's address is over its limit. A callback rather than
   * an async function: it runs on every request, and most have nothing to wait for.
   */
  check = (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    const until = this.#blocked.get(request.ip);
    if (until === undefined) return done();
    const left = until - this.now();
    if (left > 0) return done(errors.rateLimited(waitText(left), 'this network address'));
    this.#blocked.delete(request.ip);
    done();
  };

  /**
   * The error to answer a request the signed-request check refused with: that error, counted
   * against the address; or a 429 once the address is over its limit. Any other error is returned as it is.
   */
  async refused(request: FastifyRequest, error: unknown): Promise<unknown> {
    if (!(error instanceof HttpError) || !FAILED_CHECKS.has(error.code)) return error;
    const { count, resetInMs } = this.countRequest ? await this.countRequest(`failed-signature|${request.ip}`, WINDOW_MS) : this.#countHere(request.ip);
    if (count <= this.max) return error;
    this.#remember(this.#blocked, request.ip, this.now() + resetInMs);
    return errors.rateLimited(waitText(resetInMs), 'this network address');
  }

  #countHere(ip: string): RequestCount {
    const now = this.now();
    const kept = this.#counts.get(ip);
    const next = kept && kept.resetsAt > now ? { count: kept.count + 1, resetsAt: kept.resetsAt } : { count: 1, resetsAt: now + WINDOW_MS };
    this.#remember(this.#counts, ip, next);
    return { count: next.count, resetInMs: next.resetsAt - now };
  }

  /** Sets a key as the newest, dropping the oldest past KEPT_ADDRESSES, so memory stays bounded. */
  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > KEPT_ADDRESSES) map.delete(map.keys().next().value!);
  }
}
