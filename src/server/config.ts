/**
 * The endpoint's settings, from the environment, checked once at start with a clear error.
 *
 *   PORT (8080), HOST (127.0.0.1)      where to listen.
 *   STATIC_DIR (dist)                  the built app.
 *   TLS_CERT, TLS_KEY                  paths of a certificate and its key, both or neither; without
 *                                      them, run behind a TLS-terminating proxy.
 *   DATA_DIR (./data)                  the folder of the SQLite database (the default storage). Back it
 *                                      up by copying it: it holds ciphertext, public keys, ids and times.
 *   DATABASE_URL                       a postgres:// URL: use PostgreSQL instead of SQLite, for a host
 *                                      that serves many organisations. Never logged.
 *   FOOTFALL_SETUP_TOKEN               when set, creating an organisation (POST /api/orgs) needs this
 *                                      token in the footfall-setup-token header (at least 16 characters),
 *                                      given only to the people setting up a new organisation. Unset,
 *                                      organisations can be created only while the server listens on
 *                                      loopback alone with no proxy in front (the laptop the centre sets
 *                                      up on); anywhere else creating one is refused until it is set.
 *   FOOTFALL_ORG_QUOTA_MB (2048)       the most one organisation may keep on this server, in MB of sealed
 *                                      batches; past it uploads wait (507) until the host raises it.
 *   TRUST_PROXY                        the proxy's address (e.g. 127.0.0.1) when running behind a
 *                                      TLS-terminating proxy, so rate limits see each client's own
 *                                      address rather than the proxy's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const Env = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    STATIC_DIR: z.string().default('dist'),
    TLS_CERT: z.string().optional(),
    TLS_KEY: z.string().optional(),
    DATA_DIR: z.string().min(1, 'must be a folder path').default('data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/./, 'must be a postgres:// or postgresql:// URL (leave it unset to use SQLite in DATA_DIR)')
      .optional(),
    FOOTFALL_SETUP_TOKEN: z.string().min(16, 'must be at least 16 characters (or leave it unset)').optional(),
    TRUST_PROXY: z.string().min(1, "must be the proxy's address, such as 127.0.0.1").optional(),
    FOOTFALL_ORG_QUOTA_MB: z.coerce.number().int('must be a whole number of MB').min(1, 'must be at least 1 (MB)').max(1_048_576, 'must be at most 1048576 (1 TB)').optional(),
  })
  .refine((e) => Boolean(e.TLS_CERT) === Boolean(e.TLS_KEY), 'TLS_CERT and TLS_KEY go together: set both paths, or neither');

export interface ServerConfig {
  port: number;
  host: string;
  staticDir: string;
  /** The SQLite database's folder (used when databaseUrl is not set). */
  dataDir: string;
  /** PostgreSQL instead of SQLite. Contains a password: never log it. */
  databaseUrl?: string;
  /** When set, POST /api/orgs needs it in the footfall-setup-token header. */
  setupToken?: string;
  /**
   * No organisation may be created: there is no set-up token and the server can be reached from
   * elsewhere (it listens beyond loopback, or behind a proxy), so anyone there could create one.
   */
  setupClosed?: boolean;
  /** The most one organisation may keep, in bytes of sealed batches. */
  orgStorageBytes?: number;
  /** Addresses of a trusted reverse proxy, whose X-Forwarded-For is believed. */
  trustProxy?: string;
  tls?: { cert: Buffer; key: Buffer };
}

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    // Names the variable and the rule, never the value (DATABASE_URL and the setup token are secrets).
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`).join('; ');
    throw new Error(`Footfall cannot start: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    staticDir: resolve(e.STATIC_DIR),
    dataDir: resolve(e.DATA_DIR),
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    ...(e.FOOTFALL_SETUP_TOKEN ? { setupToken: e.FOOTFALL_SETUP_TOKEN } : {}),
    ...(!e.FOOTFALL_SETUP_TOKEN && (!isLoopback(e.HOST) || e.TRUST_PROXY) ? { setupClosed: true } : {}),
    ...(e.TRUST_PROXY ? { trustProxy: e.TRUST_PROXY } : {}),
    ...(e.FOOTFALL_ORG_QUOTA_MB ? { orgStorageBytes: e.FOOTFALL_ORG_QUOTA_MB * 1024 ** 2 } : {}),
    ...(e.TLS_CERT && e.TLS_KEY ? { tls: { cert: readFileSync(e.TLS_CERT), key: readFileSync(e.TLS_KEY) } } : {}),
  };
}
