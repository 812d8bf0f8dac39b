/** A Chromium page on the served app's origin with the bench bundle loaded into it. */
import type { Page } from 'playwright-core';
import { openBrowser, type Browser } from '../../test/e2e/harness.ts';
import { serveBuild, type Served } from './serve.ts';
import type { BenchApi } from '../browser/entry.ts';

export interface BenchPage {
  served: Served;
  browser: Browser;
  page: Page;
  /** Calls one of the bundle's functions in the page and returns its result. */
  call<K extends keyof BenchApi>(name: K, ...args: Parameters<BenchApi[K]>): Promise<Awaited<ReturnType<BenchApi[K]>>>;
  dispose(): Promise<void>;
}

export async function openBenchPage(appDir: string, bundle: string): Promise<BenchPage> {
  const served = await serveBuild(appDir);
  const browser = await openBrowser(served.url);
  const { page } = browser;
  // A page of the app's origin (same storage, same CSP) on which none of the app's own code
  // runs, so nothing else touches IndexedDB while the figures are taken.
  await page.goto(`${served.url}/api/health`);
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(bundle);
  return {
    served,
    browser,
    page,
    call: (name, ...args) =>
      page.evaluate(
        ([n, a]) => (globalThis as unknown as { __footfallBench: Record<string, (...x: unknown[]) => unknown> }).__footfallBench[n as string]!(...(a as unknown[])),
        [name, args] as const,
      ) as never,
    dispose: async () => {
      await browser.dispose();
      await served.stop();
    },
  };
}
