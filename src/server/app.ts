/**
 * The Footfall endpoint: one process serving the built app and (with sync) the API on one port.
 * Security headers go on every response; the Content-Security-Policy allows this origin only, so
 * the app can make no third-party request even if a dependency tried to.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.ts';

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

export async function buildServer(config: ServerConfig, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  if (!existsSync(join(config.staticDir, 'index.html'))) {
    throw new Error(`Footfall cannot start: no built app in ${config.staticDir}. Run "npm run build" first (npm start does it for you).`);
  }
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    ...(config.tls ? { https: config.tls } : {}),
  });

  app.addHook('onSend', async (request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (config.tls) reply.header('strict-transport-security', 'max-age=31536000');
  });

  await app.register(fastifyStatic, {
    root: config.staticDir,
    cacheControl: false,
    // The service worker and the page must always be checked for updates; hashed assets never change.
    setHeaders(res, path) {
      const immutable = path.includes(join('assets', ''));
      res.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.get('/api/health', async () => ({ ok: true }));

  // Any other page path is the app itself, which routes on the device.
  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith('/api/')) return reply.sendFile('index.html');
    return reply.code(404).send({ error: 'not_found', message: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });

  return app;
}
