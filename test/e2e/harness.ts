/**
 * End-to-end harness: the real built app served by the real endpoint, driven in Debian's
 * Chromium with playwright-core. Each browser gets a fresh profile folder that outlives the
 * browser, so a test can close it and open it again on the same storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Served {
  url: string;
  port: number;
  /** The SQLite data folder: what a backup would copy. */
  dataDir: string;
  stop: () => Promise<void>;
  /** Starts it again on the same port and data, as after a restart or a deploy of `staticDir`. */
  restart: (next?: { staticDir?: string }) => Promise<void>;
  dispose: () => Promise<void>;
}

/**
 * The real endpoint on the built app, with SQLite storage in its own data folder. `restart` and
 * `stop` keep the folder, as a real restart would; `dispose` removes it.
 */
export async function serveApp(options: { staticDir?: string; port?: number } = {}): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), 'footfall-e2e-data-'));
  let port = options.port ?? 0;
  let staticDir = options.staticDir ?? resolve('dist');
  let server: FastifyInstance | null = null;
  const start = async () => {
    const config = { port, host: '127.0.0.1', staticDir, dataDir };
    server = await buildServer(config, { storage: await openSqliteStorage(dataDir) });
    await server.listen({ port, host: '127.0.0.1' });
    const address = server.server.address();
    if (typeof address === 'object' && address) port = address.port;
  };
  await start();
  const served: Served = {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    stop: async () => {
      await server?.close();
      server = null;
    },
    restart: async (next = {}) => {
      await served.stop();
      staticDir = next.staticDir ?? staticDir;
      await start();
    },
    dispose: async () => {
      await served.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return served;
}

export interface Browser {
  profile: string;
  context: BrowserContext;
  page: Page;
  /** Requests the page made to any origin other than the app's. */
  foreignRequests: string[];
  close: () => Promise<void>;
  /** Closes the browser and opens it again on the same profile. */
  reopen: () => Promise<void>;
  dispose: () => Promise<void>;
}

export async function openBrowser(appUrl: string, viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'footfall-e2e-'));
  const foreignRequests: string[] = [];
  const origin = new URL(appUrl).origin;
  const launch = async () => {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, viewport, serviceWorkers: 'allow' });
    context.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreignRequests.push(u);
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page };
  };
  const browser: Browser = {
    profile,
    foreignRequests,
    ...(await launch()),
    close: async () => browser.context.close(),
    reopen: async () => {
      await browser.context.close();
      Object.assign(browser, await launch());
    },
    dispose: async () => {
      await browser.context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return browser;
}

/** Waits until the service worker controls the page, so the app works with the server gone. */
export async function waitForOfflineReady(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker?.getRegistration();
    return Boolean(reg?.active) && Boolean(navigator.serviceWorker.controller);
  }, undefined, { timeout: 20_000 });
}
