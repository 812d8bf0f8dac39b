/**
 * An app update with records on the device: the new version is offered, never applied on its
 * own, hidden while a check-in is open, and after updating every record is still there.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, serveApp, type Browser, type Served } from './harness.ts';

const PIN = '428613';
let nextVersion: string;
let served: Served;
let browser: Browser;

beforeAll(async () => {
  // The next version: the same build with a changed service worker, as a deploy would bring.
  nextVersion = mkdtempSync(join(tmpdir(), 'footfall-next-'));
  cpSync(resolve('dist'), nextVersion, { recursive: true });
  appendFileSync(join(nextVersion, 'sw.js'), '\n// next version\n');
  served = await serveApp();
  browser = await openBrowser(served.url);
});

afterAll(async () => {
  await browser?.dispose();
  await served?.dispose();
  rmSync(nextVersion, { recursive: true, force: true });
});

describe('an app update', () => {
  it('is offered, waits while a check-in is open, and keeps every record', async () => {
    const page = browser.page;
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Set up a new organisation' }).click();
    await page.getByLabel('Device name').fill('Front desk tablet');
    await page.getByLabel('Site').fill('Drop-in centre');
    await page.getByLabel('Your name').fill('Amira');
    await page.getByLabel('Your PIN (6 to 12 digits)').fill(PIN);
    await page.getByLabel('Your PIN again').fill(PIN);
    await page.getByRole('button', { name: 'Set up this device' }).click();
    for (const name of ['Grace', 'Hana']) {
      await page.getByLabel('Find a woman by the name she goes by').fill(name);
      await page.getByRole('button', { name: `Register “${name}” as new` }).click();
      await page.getByRole('button', { name: 'Register and check in' }).click();
      await page.getByRole('button', { name: 'Meal' }).click();
      await page.getByRole('button', { name: 'Save visit' }).click();
      await page.getByText(`Visit saved for ${name}.`).waitFor();
    }
    await page.waitForFunction(async () => Boolean((await navigator.serviceWorker.getRegistration())?.active));

    // Deploy the next version and let the open app find it.
    await served.restart({ staticDir: nextVersion });
    await page.reload();
    await page.getByLabel('PIN').fill(PIN);
    await page.getByRole('button', { name: 'Unlock' }).click();
    const banner = page.getByRole('region', { name: 'App update' });
    await banner.waitFor({ timeout: 30_000 });

    // Never offered mid-check-in.
    await page.getByRole('button', { name: 'Anonymous visit' }).click();
    await page.getByRole('dialog', { name: 'Anonymous visit' }).waitFor();
    await expect(banner.count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Laundry' }).click();
    await page.getByRole('button', { name: 'Save visit' }).click();
    await banner.waitFor();

    // Never applied on its own: the old version is still in control until she accepts.
    await expect(page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting))).resolves.toBe(true);
    await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Update now' }).click()]);
    await page.getByLabel('PIN').fill(PIN);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('button', { name: 'Today' }).click();
    const figures = page.getByRole('list', { name: 'Today’s visits' });
    await expect(figures.getByRole('listitem').count()).resolves.toBe(3);
    await page.getByText('5 records waiting to sync').waitFor();
    await expect(page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting))).resolves.toBe(false);
  });
});
