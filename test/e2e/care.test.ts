/**
 * Erasing a woman end to end, in Chromium with the real endpoint (Fastify + SQLite): the admin's
 * laptop erases her on the "Women's records" screen; once the tablet syncs it no longer finds
 * her; the batches that named her are emptied on the server; her visit still counts in the
 * laptop's report.
 */
import { describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { axeViolations, smallTargets } from './a11y.ts';
import { queryServer } from './harness.ts';
import {
  laptopAndTablet,
  nudgeSync,
  openReports,
  openTab,
  organisationCard,
  organisationWithTablet,
  readOutbox,
  registerFromSearch,
  reportTable,
  search,
  waitForSyncStatus,
  syncNow,
} from './app.ts';

const PASSPHRASE = 'quince harbour velvet ninety';
const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;

const rig = laptopAndTablet();

async function openCare(page: Page): Promise<Locator> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Women’s records', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Women’s records' }).waitFor();
  return page.getByRole('region', { name: 'Erase a woman' });
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  expect(await axeViolations(page), state).toEqual([]);
  expect(await smallTargets(page), state).toEqual([]);
}

async function found(page: Page, query: string): Promise<string[]> {
  await openTab(page, 'Check in');
  await search(page).fill(query);
  const results = page.getByRole('list', { name: 'Matching women' });
  await results.waitFor();
  // Her name, without the "here today" badge.
  return (await results.getByRole('button').allInnerTexts()).map((text) => text.split('\n')[0]!);
}

describe('erasing a woman', () => {
  test('the laptop sets up the organisation; the tablet enrols and registers two women', async () => {
    await organisationWithTablet(rig, PASSPHRASE);
    await registerFromSearch(rig.tablet.page, 'Zephyrine', ['Meal']);
    await registerFromSearch(rig.tablet.page, 'Oluwaseun', ['Shower']);
    await waitForSyncStatus(rig.tablet.page, LAST_SYNCED);
    await expect.poll(() => readOutbox(rig.tablet.page), { timeout: 20_000 }).toMatchObject({ eventKeys: [], batchIds: [] });
    await syncNow(rig.laptop.page);
    expect(await found(rig.laptop.page, 'zeph')).toEqual(['Zephyrine']);
  });

  test('the admin erases her on the laptop, with the passphrase and her name typed', async () => {
    const { page } = rig.laptop;
    const erase = await openCare(page);
    await expectAccessible(page, 'care screen, key closed');
    await erase.getByLabel('Organisation passphrase', { exact: true }).fill(PASSPHRASE);
    await erase.getByRole('button', { name: 'Open the organisation key' }).click();
    await erase.getByRole('searchbox', { name: 'Woman to erase' }).fill('zeph', { timeout: 30_000 });
    await erase.getByRole('button', { name: /^Zephyrine registered/ }).click();
    await erase.getByRole('textbox', { name: 'Type her known-as name, Zephyrine, to confirm' }).fill('Zephyrine');
    await expectAccessible(page, 'care screen, confirming an erasure');
    await erase.getByRole('button', { name: 'Erase Zephyrine' }).click();
    await expect
      .poll(() => page.getByRole('main').getByRole('status').first().textContent(), { timeout: 30_000 })
      .toMatch(/^Zephyrine’s name and details are erased\. Her visits still count/);
    expect(await found(page, 'zeph')).toEqual([]);
  });

  test('the tablet no longer finds her once it syncs, and still finds the others', async () => {
    const { page } = rig.tablet;
    expect(await found(page, 'zeph')).toEqual(['Zephyrine']);
    await nudgeSync(page);
    await openTab(page, 'Check in');
    await search(page).fill('zeph');
    await page.getByText('No one known as “zeph” yet.').waitFor();
    expect(await found(page, 'olu')).toEqual(['Oluwaseun']);
  });

  test('the batches that named her are emptied on the server, and her visit still counts', async () => {
    // Every stored batch is opened for her name in test/app/care.test.ts; here, what the replaced
    // ones keep in the server's file: nothing but their ids.
    const rows = queryServer<{ removed: number; activity: string; directory: string }>(
      rig.served.dataDir,
      'SELECT removed_at IS NOT NULL AS removed, activity, directory FROM batches',
    );
    const removed = rows.filter((r) => r.removed);
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.every((r) => r.activity === '' && r.directory === '')).toBe(true);
    expect(rows.some((r) => !r.removed)).toBe(true);

    const { page } = rig.laptop;
    await openReports(page);
    const summary = await reportTable(page, 'Summary');
    expect(summary.Visits![0]).toBe('2');
    expect(summary['Unique women']![0]).toBe('2');
    expect(rig.laptop.foreignRequests).toEqual([]);
  });
});
