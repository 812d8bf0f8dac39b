/**
 * End-to-end harness: the real built app served by the real endpoint, driven in Debian's
 * Chromium with playwright-core. Each browser gets a fresh profile folder that outlives the
 * browser, so a test can close it and open it again on the same storage.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage, SQLITE_FILE } from '../../src/server/storage/sqlite.ts';
import Database from 'better-sqlite3';
import { enrolmentKeys, openPackage } from '../../src/crypto/enrolmentCode.ts';
import { bytesJson, importTeamKey, openWith, openWithTeamKey } from '../../src/crypto/envelope.ts';
import { unwrapOrgKey } from '../../src/crypto/orgKey.ts';
import { readPart } from '../../src/crypto/authority.ts';
import type { PublicJwk } from '../../src/domain/protocol.ts';
import { FootfallEvent } from '../../src/domain/events.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
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

/** How a phone differs from the desk's tablet: a touch screen, a mobile viewport, its own time zone and language. */
/** The served app and endpoint, and one Chromium profile on it. */
export interface AppInBrowser {
  served: Served;
  browser: Browser;
}

/**
 * The served app and endpoint with one browser on it: opened before the file's tests and closed
 * after them. The fields are filled in by then, so read them inside tests, not when the file loads.
 */
export function appInBrowser(viewport?: { width: number; height: number }): AppInBrowser {
  const one = {} as AppInBrowser;
  beforeAll(async () => {
    one.served = await serveApp();
    one.browser = await openBrowser(one.served.url, viewport);
  });
  afterAll(async () => {
    await one.browser?.dispose();
    await one.served?.dispose();
  });
  return one;
}

export interface DeviceOptions {
  isMobile?: boolean;
  hasTouch?: boolean;
  timezoneId?: string;
  locale?: string;
}

export async function openBrowser(appUrl: string, viewport = { width: 1280, height: 800 }, device: DeviceOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'footfall-e2e-'));
  const foreignRequests: string[] = [];
  const origin = new URL(appUrl).origin;
  const launch = async () => {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS, viewport, serviceWorkers: 'allow', ...device });
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

// ---------------------------------------------------------------------------------------------
// What the server stored: its data folder, read as a backup (or someone with the disk) would.

/** Every file of the data folder (the SQLite file and its -wal and -shm), as latin1 and UTF-8 text. */
export function dataFolderText(dataDir: string): { files: string[]; text: string } {
  const files: string[] = [];
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        files.push(name);
        const bytes = readFileSync(path);
        parts.push(bytes.toString('latin1'), bytes.toString('utf8'));
      }
    }
  };
  walk(dataDir);
  return { files: files.sort(), text: parts.join('\n') };
}

/** Runs one read-only query on the server's SQLite file (the server may be running: WAL allows it). */
export function queryServer<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export interface OpenedBatch {
  batchId: string;
  deviceId: string;
  seq: number;
  /** The activity part, opened with the organisation's private key. */
  activity: FootfallEvent[];
  /** The directory part, opened with the team key. */
  directory: FootfallEvent[];
}

/**
 * Opens every stored batch as the admin can, with only what the admin knows: her passphrase
 * unwraps the organisation's key from the wrapped copy the server keeps, and a one-time
 * enrolment code she made opens its package, which holds the team key. Every batch still stored is
 * opened (not those a compaction removed); nothing is deduplicated
 * here: a batch stored twice, or an event in two batches, shows as such.
 */
/** What an enrolment package gives: the organisation and its team keys. */
export interface EnrolmentPackage {
  orgId: string;
  orgPublicKey: PublicJwk;
  teamKeys: { version: number; raw: string }[];
}

/**
 * Opens an enrolment code's package from the server's database. Only before the code is claimed:
 * the server empties it then, so that a spent code opens nothing (docs/security.md#known-gaps).
 */
export async function enrolmentPackage(dataDir: string, enrolmentCode: string): Promise<EnrolmentPackage> {
  const { lookup, packageKey } = await enrolmentKeys(enrolmentCode);
  const [enrolment] = queryServer<{ package: string }>(dataDir, 'SELECT package FROM enrolments WHERE lookup = ?', lookup);
  if (!enrolment?.package) throw new Error('The server holds no package for that code: none was made, or it was claimed.');
  return (await openPackage(packageKey, enrolment.package)) as EnrolmentPackage;
}

export async function openServerArchive(dataDir: string, secrets: { passphrase: string; pkg: EnrolmentPackage }): Promise<OpenedBatch[]> {
  const [wrapped] = queryServer<{ wrapped: string }>(dataDir, "SELECT wrapped FROM wrapped_keys WHERE kind = 'passphrase'");
  if (!wrapped) throw new Error('The server holds no passphrase-wrapped organisation key.');
  const orgKey = await unwrapOrgKey(wrapped.wrapped, secrets.passphrase);
  if (!orgKey) throw new Error('The passphrase does not open the organisation key the server holds.');
  const { pkg } = secrets;
  const teamKeys = new Map(await Promise.all(pkg.teamKeys.map(async (k) => [k.version, await importTeamKey(k.raw)] as const)));
  const rows = queryServer<{ batch_id: string; device_id: string; seq: number; activity: string; directory: string }>(
    dataDir,
    // Batches removed by a compaction keep their row (as a tombstone) with their content emptied.
    'SELECT batch_id, device_id, seq, activity, directory FROM batches WHERE removed_at IS NULL ORDER BY cursor',
  );
  // A certified admin device's parts are signed (docs/security.md#authority): read as the app reads them.
  const events = async (opened: Uint8Array<ArrayBuffer>) =>
    FootfallEvent.array().parse(bytesJson((await readPart(pkg.orgPublicKey, pkg.orgId, opened)).plaintext));
  return Promise.all(
    rows.map(async (r) => ({
      batchId: r.batch_id,
      deviceId: r.device_id,
      seq: r.seq,
      activity: await events(await openWith(orgKey, r.activity)),
      directory: await events(await openWithTeamKey(teamKeys, r.directory)),
    })),
  );
}
