/**
 * Cold start, offline, from the service worker to a usable lock screen. The app is served,
 * loaded once and a device set up (so the service worker has installed and precached it);
 * then the server is stopped and, each round, Chromium is closed and started again on the same
 * profile and the app opened: from navigation start until the "Unlock" button is visible.
 * Baseline: the same browser, cold, opening a data: page holding nothing but that button,
 * timed the same way.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { openBrowser, waitForOfflineReady } from '../../test/e2e/harness.ts';
import { serveBuild } from './serve.ts';

export interface ColdSample {
  /** ms from navigation start until the Unlock button was in the DOM and a frame had been produced. */
  unlockVisible: number;
  /** ms from navigation start until the button was first in the DOM. */
  unlockInDom: number;
  firstContentfulPaint: number | null;
}

export interface ColdStartResult {
  app: ColdSample[];
  baseline: ColdSample[];
  /** Whether every app round was served by the service worker with the server stopped. */
  servedBySw: boolean;
  setupMs: number;
}

const BASELINE_URL = 'data:text/html,<!doctype html><title>b</title><button>Unlock</button>';

/**
 * Runs in every new document before its own scripts: watches for a visible button labelled
 * "Unlock" and notes when it appeared and when the next frame came (the first frame that can
 * show it). Added through DevTools, so the page's CSP does not apply. Kept as plain source text:
 * a compiled function could carry helper calls (esbuild's __name) that do not exist in the page.
 */
const WATCH_FOR_UNLOCK = `(() => {
  const visible = (b) => b.textContent.trim() === 'Unlock' && (b.checkVisibility ? b.checkVisibility() : b.offsetParent !== null);
  const check = () => {
    if (window.__unlock) return;
    for (const b of document.querySelectorAll('button')) {
      if (visible(b)) {
        window.__unlock = { inDom: performance.now() };
        observer.disconnect();
        requestAnimationFrame(() => { window.__unlock.visible = performance.now(); });
        return;
      }
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
})();`;

async function measure(context: BrowserContext, page: Page, url: string): Promise<ColdSample> {
  await context.addInitScript({ content: WATCH_FOR_UNLOCK });
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => (window as unknown as { __unlock?: { visible?: number } }).__unlock?.visible !== undefined, undefined, {
    timeout: 30_000,
    polling: 50,
  });
  return page.evaluate(() => {
    const u = (window as unknown as { __unlock: { inDom: number; visible: number } }).__unlock;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { unlockVisible: u.visible, unlockInDom: u.inDom, firstContentfulPaint: fcp ? fcp.startTime : null };
  });
}

export async function benchColdStart(appDir: string, rounds: number): Promise<ColdStartResult> {
  const served = await serveBuild(appDir);
  const browser = await openBrowser(served.url);
  let serverUp = true;
  try {
    // First load, online: set the device up, and let the service worker install and take the page.
    const t0 = performance.now();
    const { page } = browser;
    await page.goto(served.url);
    await page.getByLabel('Device name').fill('Bench tablet');
    await page.getByLabel('Site').fill('Drop-in centre');
    await page.getByLabel('Your name').fill('Bench Admin');
    await page.getByLabel('Your PIN (6 to 12 digits)').fill('482916');
    await page.getByLabel('Your PIN again').fill('482916');
    await page.getByRole('button', { name: 'Set up this device' }).click();
    await page.getByRole('heading', { name: 'Set up this device' }).waitFor({ state: 'detached', timeout: 30_000 });
    await waitForOfflineReady(page);
    const setupMs = performance.now() - t0;

    await served.stop();
    serverUp = false;

    const app: ColdSample[] = [];
    const baseline: ColdSample[] = [];
    let servedBySw = true;
    for (let round = 0; round < rounds; round++) {
      await browser.reopen();
      baseline.push(await measure(browser.context, browser.page, BASELINE_URL));
      await browser.reopen();
      app.push(await measure(browser.context, browser.page, served.url));
      const state = await browser.page.evaluate(() => ({
        controlled: Boolean(navigator.serviceWorker?.controller),
        heading: document.querySelector('h1')?.textContent ?? '',
      }));
      if (!state.controlled) servedBySw = false;
      if (!/locked/i.test(state.heading)) throw new Error(`cold start did not reach the lock screen (heading: "${state.heading}")`);
    }
    return { app, baseline, servedBySw, setupMs };
  } finally {
    await browser.dispose();
    if (serverUp) await served.stop();
  }
}
