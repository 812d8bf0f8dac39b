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
  stop: () => Promise<void>;
  /** Starts it again on the same port, as after a restart or when the network comes back. */
  restart: () => Promise<void>;
}

export async function serveApp(port = 0): Promise<Served> {
  let server: FastifyInstance = await buildServer({ port, host: '127.0.0.1', staticDir: resolve('dist') });
  await server.listen({ port, host: '127.0.0.1' });
  const address = server.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    stop: () => server.close(),
    restart: async () => {
      server = await buildServer({ port: actualPort, host: '127.0.0.1', staticDir: resolve('dist') });
      await server.listen({ port: actualPort, host: '127.0.0.1' });
    },
  };
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
