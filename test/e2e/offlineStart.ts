/**
 * Offline cold starts, as the soak test and the bench take them: Chromium closed and started
 * again on the same profile, the app's address opened with the server gone, and the time from
 * navigation start until the lock screen's "Unlock" button is visible. A start that does not
 * reach it (the navigation refused, or no Unlock button within the timeout) is a failure, noted
 * with its reason rather than thrown, so a soak counts every one.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { Browser } from './harness.ts';

export interface StartSample {
  /** ms from navigation start until the Unlock button was in the DOM and a frame had been produced. */
  unlockVisible: number;
  /** ms from navigation start until the button was first in the DOM. */
  unlockInDom: number;
  firstContentfulPaint: number | null;
}

export interface AppStart extends StartSample {
  /** Whether the service worker controlled the page (it must: the server is gone). */
  controlled: boolean;
}

export type StartOutcome = { ok: true; sample: AppStart } | { ok: false; reason: string };

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

/** Opens `url` in a page of a context just started and times it to the Unlock button. */
export async function timeToUnlock(context: BrowserContext, page: Page, url: string, timeout = 30_000): Promise<StartSample> {
  await context.addInitScript({ content: WATCH_FOR_UNLOCK });
  await page.goto(url, { waitUntil: 'commit', timeout });
  await page.waitForFunction(() => (window as unknown as { __unlock?: { visible?: number } }).__unlock?.visible !== undefined, undefined, {
    timeout,
    polling: 50,
  });
  return page.evaluate(() => {
    const u = (window as unknown as { __unlock: { inDom: number; visible: number } }).__unlock;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { unlockVisible: u.visible, unlockInDom: u.inDom, firstContentfulPaint: fcp ? fcp.startTime : null };
  });
}

/** Restarts the browser and opens the app, offline: the time to Unlock, or why it was not reached. */
export async function offlineStart(browser: Browser, appUrl: string, timeout = 30_000): Promise<StartOutcome> {
  await browser.reopen();
  try {
    const sample = await timeToUnlock(browser.context, browser.page, appUrl, timeout);
    const controlled = await browser.page.evaluate(() => Boolean(navigator.serviceWorker?.controller));
    return { ok: true, sample: { ...sample, controlled } };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}
