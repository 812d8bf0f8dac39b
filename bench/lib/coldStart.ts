/**
 * Cold start, offline, from the service worker to a usable lock screen. The app is served,
 * loaded once and a device set up (so the service worker has installed and precached it);
 * then the server is stopped and, each round, Chromium is closed and started again on the same
 * profile and the app opened: from navigation start until the "Unlock" button is visible
 * (test/e2e/offlineStart.ts). First on the empty device; then with `waiting` events added to its
 * outbox, as a soak of many restarts in which every start that fails is counted.
 * Baseline, before each app start: the same browser, cold, opening a data: page holding nothing
 * but that button, timed the same way.
 */
import type { Page } from 'playwright-core';
import { openBrowser, waitForOfflineReady, type Browser } from '../../test/e2e/harness.ts';
import { offlineStart, timeToUnlock, type AppStart, type StartSample } from '../../test/e2e/offlineStart.ts';
import { DB_NAME } from '../../src/app/core/database.ts';
import { WAITING_KEY } from '../../src/app/core/waiting.ts';
import { serveBuild } from './serve.ts';

export type ColdSample = StartSample;

export interface ColdSeries {
  app: AppStart[];
  baseline: ColdSample[];
  /** The starts that did not reach the Unlock button, and why. */
  failures: { round: number; reason: string }[];
}

export interface ColdStartResult {
  /** The device as set up: nothing waiting. */
  empty: ColdSeries;
  /** The same device with `waiting` events in its outbox: the soak. */
  soak: ColdSeries & { waiting: number };
  setupMs: number;
  seedMs: number;
}

const BASELINE_URL = 'data:text/html,<!doctype html><title>b</title><button>Unlock</button>';

async function setUpDevice(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Set up a new organisation' }).click();
  await page.getByLabel('Device name').fill('Bench tablet');
  await page.getByLabel('Site').fill('Drop-in centre');
  await page.getByLabel('Your name').fill('Bench Admin');
  await page.getByLabel('Your PIN (6 to 12 digits)').fill('482916');
  await page.getByLabel('Your PIN again').fill('482916');
  await page.getByRole('button', { name: 'Set up this device' }).click();
  await page.getByRole('button', { name: 'Lock', exact: true }).waitFor({ timeout: 60_000 });
  // One visit, saved as at the desk: the sealed event the soak's outbox is filled with.
  await page.getByRole('button', { name: 'Anonymous visit' }).click();
  await page.getByRole('button', { name: 'Meal' }).click();
  await page.getByRole('button', { name: 'Save visit' }).click();
  await page.getByText('Anonymous visit saved.').waitFor();
  await waitForOfflineReady(page);
}

/**
 * Adds `count` events to the device's outbox, waiting to upload, and moves the kept waiting count
 * with them, as saves would have: copies of the sealed visit saved at set-up, each under a random
 * key of its own (a real row's key is a tag, which only the keyring makes). The lock screen reads
 * none of them; they are there for what start-up might read.
 */
async function addWaitingEvents(page: Page, count: number): Promise<void> {
  await page.evaluate(
    ([dbName, waitingKey, n]) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['outbox', 'device'], 'readwrite');
          const outbox = tx.objectStore('outbox');
          const device = tx.objectStore('device');
          const first = outbox.openCursor();
          first.onsuccess = () => {
            const template = first.result?.value as Record<string, unknown> | undefined;
            if (!template) return reject(new Error('no saved visit to copy'));
            for (let i = 0; i < n; i++) {
              const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16)))).replace(/=+$/, '');
              outbox.add({ ...template, id: key });
            }
            const kept = device.get(waitingKey);
            kept.onsuccess = () => device.put({ key: waitingKey, count: ((kept.result as { count?: number } | undefined)?.count ?? 0) + n });
          };
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [DB_NAME, WAITING_KEY, count] as const,
  );
}

async function series(browser: Browser, url: string, rounds: number, onRound?: (round: number) => void): Promise<ColdSeries> {
  const out: ColdSeries = { app: [], baseline: [], failures: [] };
  for (let round = 1; round <= rounds; round++) {
    await browser.reopen();
    out.baseline.push(await timeToUnlock(browser.context, browser.page, BASELINE_URL));
    const start = await offlineStart(browser, url);
    if (!start.ok) out.failures.push({ round, reason: start.reason });
    else if (!start.sample.controlled) out.failures.push({ round, reason: 'not controlled by the service worker' });
    else out.app.push(start.sample);
    onRound?.(round);
  }
  return out;
}

export async function benchColdStart(appDir: string, options: { rounds: number; soakRounds: number; waiting: number; log: (what: string) => void }): Promise<ColdStartResult> {
  const served = await serveBuild(appDir);
  const browser = await openBrowser(served.url);
  let serverUp = true;
  try {
    // First load, online: set the device up, and let the service worker install and take the page.
    const t0 = performance.now();
    await setUpDevice(browser.page, served.url);
    const setupMs = performance.now() - t0;

    await served.stop();
    serverUp = false;
    const empty = await series(browser, served.url, options.rounds);

    // The soak: the same device, now with a long outbox.
    await browser.page.goto(served.url);
    await browser.page.getByRole('button', { name: 'Unlock' }).waitFor({ timeout: 30_000 });
    const t1 = performance.now();
    await addWaitingEvents(browser.page, options.waiting);
    const seedMs = performance.now() - t1;
    const soak = await series(browser, served.url, options.soakRounds, (round) => {
      if (round % 25 === 0) options.log(`cold start soak: ${round} of ${options.soakRounds} restarts`);
    });
    return { empty, soak: { ...soak, waiting: options.waiting }, setupMs, seedMs };
  } finally {
    await browser.dispose();
    if (serverUp) await served.stop();
  }
}
