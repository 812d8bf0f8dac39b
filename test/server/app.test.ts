import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, buildServer } from '../../src/server/app.ts';
import { configFromEnv, type ServerConfig } from '../../src/server/config.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';

let dir: string;
let app: FastifyInstance;
const config = (): ServerConfig => ({ port: 0, host: '127.0.0.1', staticDir: dir, dataDir: join(dir, 'data') });
const dataDirs: string[] = [];
const storage = () => {
  const data = mkdtempSync(join(tmpdir(), 'footfall-data-'));
  dataDirs.push(data);
  return openSqliteStorage(data);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'footfall-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Footfall</title>');
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  app = await buildServer(config(), { storage: await storage() });
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
  for (const data of dataDirs) rmSync(data, { recursive: true, force: true });
});

describe('the endpoint', () => {
  it('refuses to start without a built app, saying what to do', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'footfall-empty-'));
    try {
      await expect(buildServer({ ...config(), staticDir: empty }, { storage: await storage() })).rejects.toThrow(
        /no built app .* Run "npm run build" first/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('answers the health check', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('puts the security headers on every response', async () => {
    for (const url of ['/', '/api/health', '/api/nothing', '/assets/index-abc123.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('allows this origin only: no third-party source in the policy', () => {
    const sources = CONTENT_SECURITY_POLICY.split(';').flatMap((d) => d.trim().split(/\s+/).slice(1));
    for (const s of sources) expect(["'self'", "'none'", 'data:', 'blob:']).toContain(s);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('serves the app for any page path, so a reload offline or online lands in the app', async () => {
    for (const url of ['/', '/today', '/settings/staff?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<title>Footfall</title>');
    }
  });

  it("answers 404 for a file it does not have, never the page (another build's script, during an upgrade)", async () => {
    for (const url of ['/assets/index-def456.js', '/workbox-0123abcd.js', '/icons/missing.png?v=2']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('<title>Footfall</title>');
    }
  });

  it('makes the page and service worker always revalidate, and hashed assets immutable', async () => {
    expect((await app.inject({ method: 'GET', url: '/sw.js' })).headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'GET', url: '/index.html' })).headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'GET', url: '/assets/index-abc123.js' })).headers['cache-control']).toBe(
      'public, max-age=31536000, immutable',
    );
  });

  it('makes every API answer no-store, while the app files keep their own caching', async () => {
    for (const url of ['/api/health', '/api', '/api?x=1', '/api/nothing', '/api/orgs/not-a-uuid/devices']) {
      expect((await app.inject({ method: 'GET', url })).headers['cache-control'], url).toBe('no-store');
    }
    expect((await app.inject({ method: 'POST', url: '/api/orgs', payload: {} })).headers['cache-control']).toBe('no-store');
    // A page path that merely starts with the same letters is the app.
    expect((await app.inject({ method: 'GET', url: '/apiary' })).headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'GET', url: '/today' })).headers['cache-control']).toBe('no-cache');
  });

  it('gives a clear JSON 404 for an unknown API path, without echoing the query', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nothing?token=secret' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'No such endpoint: GET /api/nothing' });
    expect(res.body).not.toContain('secret');
    const post = await app.inject({ method: 'POST', url: '/today', payload: {} });
    expect(post.statusCode).toBe(404);
    // A body sent to an unknown API path is never read: the same answer, from the catalogue.
    for (const [payload, type] of [['{not json', 'application/json'], ['x'.repeat(100_000), 'text/plain']] as const) {
      const sent = await app.inject({ method: 'POST', url: '/api/anything', payload, headers: { 'content-type': type } });
      expect(sent.statusCode, sent.body).toBe(404);
      expect(sent.json()).toEqual({ error: 'not_found', message: 'No such endpoint: POST /api/anything' });
    }
  });
});

describe('configFromEnv', () => {
  it('has working defaults', () => {
    const c = configFromEnv({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1' });
    expect(c.staticDir).toMatch(/dist$/);
    expect(c.tls).toBeUndefined();
    expect(c.dataDir).toMatch(/data$/);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.setupToken).toBeUndefined();
  });

  it('reads the data folder, a PostgreSQL URL and a setup token', () => {
    const c = configFromEnv({ DATA_DIR: '/var/lib/footfall', DATABASE_URL: 'postgres://u:p@db/footfall', FOOTFALL_SETUP_TOKEN: 'a-long-enough-setup-token' });
    expect(c).toMatchObject({ dataDir: '/var/lib/footfall', databaseUrl: 'postgres://u:p@db/footfall', setupToken: 'a-long-enough-setup-token' });
  });

  it('refuses a bad database URL or a short setup token without repeating the secret', () => {
    expect(() => configFromEnv({ DATABASE_URL: 'mysql://u:hunter2@db' })).toThrow(/^Footfall cannot start: DATABASE_URL: must be a postgres:\/\//);
    expect(() => configFromEnv({ DATABASE_URL: 'mysql://u:hunter2@db' })).not.toThrow(/hunter2/);
    expect(() => configFromEnv({ FOOTFALL_SETUP_TOKEN: 'short' })).toThrow(/^Footfall cannot start: FOOTFALL_SETUP_TOKEN: must be at least 16 characters/);
  });

  it('allows creating organisations without a token only on loopback with no proxy in front', () => {
    expect(configFromEnv({}).setupClosed).toBeUndefined();
    expect(configFromEnv({ HOST: '::1' }).setupClosed).toBeUndefined();
    expect(configFromEnv({ HOST: '0.0.0.0' }).setupClosed).toBe(true);
    expect(configFromEnv({ HOST: '192.168.1.20' }).setupClosed).toBe(true);
    expect(configFromEnv({ TRUST_PROXY: '127.0.0.1' }).setupClosed).toBe(true);
    expect(configFromEnv({ HOST: '0.0.0.0', FOOTFALL_SETUP_TOKEN: 'a-long-enough-setup-token' }).setupClosed).toBeUndefined();
  });

  it('reads the port and host', () => {
    expect(configFromEnv({ PORT: '9000', HOST: '0.0.0.0' })).toMatchObject({ port: 9000, host: '0.0.0.0' });
  });

  it('refuses a bad port with a clear message', () => {
    expect(() => configFromEnv({ PORT: 'eighty' })).toThrow(/^Footfall cannot start: PORT: /);
    expect(() => configFromEnv({ PORT: '70000' })).toThrow(/^Footfall cannot start: PORT: /);
  });

  it('needs both TLS files or neither', () => {
    expect(() => configFromEnv({ TLS_CERT: '/x/cert.pem' })).toThrow('Footfall cannot start: environment: TLS_CERT and TLS_KEY go together: set both paths, or neither');
  });

  it('reads a TLS cert and key pair from their paths', async () => {
    const tls = mkdtempSync(join(tmpdir(), 'footfall-tls-'));
    try {
      writeFileSync(join(tls, 'cert.pem'), 'CERT');
      writeFileSync(join(tls, 'key.pem'), 'KEY');
      const c = configFromEnv({ TLS_CERT: join(tls, 'cert.pem'), TLS_KEY: join(tls, 'key.pem'), STATIC_DIR: dir });
      expect(c.tls?.cert.toString()).toBe('CERT');
      expect(c.tls?.key.toString()).toBe('KEY');
    } finally {
      rmSync(tls, { recursive: true, force: true });
    }
  });
});
