/** The endpoint's settings, from the environment, checked once at start with a clear error. */
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
  })
  .refine((e) => Boolean(e.TLS_CERT) === Boolean(e.TLS_KEY), 'TLS_CERT and TLS_KEY go together: set both paths, or neither');

export interface ServerConfig {
  port: number;
  host: string;
  staticDir: string;
  tls?: { cert: Buffer; key: Buffer };
}

export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`).join('; ');
    throw new Error(`Footfall cannot start: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    staticDir: resolve(e.STATIC_DIR),
    ...(e.TLS_CERT && e.TLS_KEY ? { tls: { cert: readFileSync(e.TLS_CERT), key: readFileSync(e.TLS_KEY) } } : {}),
  };
}
