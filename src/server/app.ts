/**
 * The Footfall endpoint: one process serving the built app and the sync API (api/index.ts) on one
 * port. Security headers go on every response; the Content-Security-Policy allows this origin
 * only, so the app can make no third-party request even if a dependency tried to. Every API
 * answer is `Cache-Control: no-store` (docs/security.md#the-endpoint).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { api, type ApiLimits } from './api/index.ts';
import { errors, sendError } from './api/errors.ts';
import type { ServerConfig } from './config.ts';
import type { Storage } from './storage/types.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=(), payment=()',
  'x-frame-options': 'DENY',
};

export interface ServerOptions {
  /** Where the API keeps everything. The server owns it from here: it is closed when the server closes (or fails to build). */
  storage: Storage;
  /** Fastify's logger: it logs method, URL (ids only, never content) and status, never bodies. */
  logger?: boolean;
  /** The server's clock, for tests. */
  now?: () => Date;
  /** Rate limits, for tests and benchmarks; the defaults suit production. */
  limits?: Partial<ApiLimits>;
}

export async function buildServer(config: ServerConfig, options: ServerOptions): Promise<FastifyInstance> {
  try {
    return await build(config, options);
  } catch (error) {
    await options.storage.close();
    throw error;
  }
}

async function build(config: ServerConfig, options: ServerOptions): Promise<FastifyInstance> {
  if (!existsSync(join(config.staticDir, 'index.html'))) {
    throw new Error(`Footfall cannot start: no built app in ${config.staticDir}. Run "npm run build" first (npm start does it for you).`);
  }
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    ...(config.tls ? { https: config.tls } : {}),
  });

  app.addHook('onSend', async (request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (config.tls) reply.header('strict-transport-security', 'max-age=31536000');
    // API answers hold ciphertext, keys, device lists and errors about them: no browser, proxy or
    // service worker cache may keep one (a shared computer's disk cache would outlive a lock).
    // Every answer, errors and the health check included, so no route can forget it.
    if (isApiPath(request.url)) reply.header('cache-control', 'no-store');
  });

  await app.register(fastifyStatic, {
    root: config.staticDir,
    cacheControl: false,
    // The service worker and the page must always be checked for updates; hashed assets never change.
    setHeaders(res, path) {
      const immutable = path.includes(join('assets', ''));
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.get('/api/health', async () => ({ ok: true }));

  await app.register(api, {
    prefix: '/api',
    storage: options.storage,
    setupToken: config.setupToken,
    setupClosed: config.setupClosed === true,
    ...(options.now ? { now: options.now } : {}),
    limits: { ...(config.orgStorageBytes ? { orgStorageBytes: config.orgStorageBytes } : {}), ...options.limits },
  });
  app.addHook('onClose', async () => {
    await options.storage.close();
  });

  // Any other page path is the app itself, which routes on the device. Never a missing file:
  // where several processes serve different builds for a while (an upgrade going through them
  // one by one), the page sent for another build's script would be kept by the service worker as
  // that script; a 404 fails its install instead, and it tries again later
  // (docs/sync.md#several-endpoint-processes).
  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && !isApiPath(request.url) && !isFilePath(request.url)) return reply.sendFile('index.html');
    return sendError(reply, errors.notFound(request.method, request.url));
  });

  return app;
}

/** The API's addresses: /api and everything under it (a query string included). */
function isApiPath(url: string): boolean {
  return /^\/api(?:[/?]|$)/.test(url);
}

/** A file's address (its last part has an extension, as every built file's does), never a page's. */
function isFilePath(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  return /\.[^/]*$/.test(path);
}
