/**
 * The admin's reports end to end, in Chromium with the real endpoint (Fastify + SQLite): the admin
 * laptop sets up the organisation, a front-desk tablet enrols and records visits that sync, and
 * the laptop's Reports screen (passphrase, archive fetched and decrypted on the laptop) shows them
 * in the yearly summary with the right figures. The figures CSV downloads with those figures, the
 * raw records download the same after a reload opens the reports from the kept resolution, the
 * printable report opens with nothing but the report on paper, and axe finds nothing on the
 * reports screen at laptop and phone sizes.
 */
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { financialYearOf, periodRange } from '../../src/domain/periods.ts';
import { localDateOf } from '../../src/domain/time.ts';
import { axeViolations, smallTargets } from './a11y.ts';
import {
  anonymousVisit,
  laptopAndTablet,
  openReports,
  openReportsWith,
  organisationWithTablet,
  readOutbox,
  registerFromSearch,
  reportTable,
  unlock,
  waitForSyncStatus,
} from './app.ts';

/** The year before: the centre had no records then, so it is not shown as 0 (a screen reader hears the words). */
const NOT_RECORDED = '—not recorded then';

const PASSPHRASE = 'quince harbour velvet ninety';
const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;
/** Today's visits fall in the current financial year (April to March, the default). */
const YEAR = periodRange({ kind: 'financialYear', startYear: financialYearOf(localDateOf(Date.now(), 'Europe/London'), 4) }, 4);
const SIZES = [
  { width: 1280, height: 800 },
  { width: 360, height: 740 },
];

const rig = laptopAndTablet();

/** axe finds nothing, and every control is big enough to tap, at the laptop's size and a small phone's. */
async function expectAccessible(page: Page, state: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await axeViolations(page), `${state} at ${size.width}x${size.height}`).toEqual([]);
    expect(await smallTargets(page), `${state} at ${size.width}x${size.height}`).toEqual([]);
  }
  await page.setViewportSize(SIZES[0]!);
}

/** The keys of the laptop's archive rows (the rows themselves are sealed). */
function archiveKeys(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('footfall');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      return await new Promise<string[]>((resolve, reject) => {
        const req = db.transaction('archive', 'readonly').objectStore('archive').getAllKeys();
        req.onsuccess = () => resolve(req.result.map(String));
        req.onerror = () => reject(req.error);
      });
    } finally {
      db.close();
    }
  });
}

/** A CSV file as rows of named fields. */
function csvRows(text: string): Record<string, string>[] {
  return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
}

describe('reports on the admin’s laptop', () => {
  test('the organisation is set up on the laptop, and the tablet enrols', async () => {
    await organisationWithTablet(rig, PASSPHRASE);
  });

  test('visits logged on the tablet sync to the server', async () => {
    const { page } = rig.tablet;
    await registerFromSearch(page, 'Zephyrine', ['Meal', 'Shower']);
    await registerFromSearch(page, 'Oluwaseun', ['Meal']);
    await anonymousVisit(page, ['Laundry']);
    await waitForSyncStatus(page, LAST_SYNCED);
    await expect.poll(() => readOutbox(page), { timeout: 20_000 }).toMatchObject({ eventKeys: [], batchIds: [] });
  });

  test('the reports screen asks for the organisation passphrase, and refuses a wrong one', async () => {
    const { page } = rig.laptop;
    await openReports(page);
    await expectAccessible(page, 'passphrase form');
    await page.getByLabel('Organisation passphrase', { exact: true }).fill('not the passphrase');
    await page.getByRole('button', { name: 'Open reports' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/^That passphrase did not open the organisation key\./);
    await expectAccessible(page, 'passphrase form, with an error');
  });

  test('the tablet’s visits appear in the yearly summary with the right figures', async () => {
    const { page } = rig.laptop;
    // Nothing is kept on the laptop yet: the records are read and resolved in the report worker.
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
    await openReportsWith(page, PASSPHRASE);
    await page.getByRole('heading', { level: 2, name: new RegExp(`^${YEAR.label.replace('/', '\\/')} \\(`) }).waitFor();
    expect(workers.some((path) => /^\/assets\/reportWorker-[\w-]+\.js$/.test(path))).toBe(true);
    expect(await reportTable(page, 'Summary')).toEqual({
      Visits: ['3', NOT_RECORDED],
      'Unique women': ['2', NOT_RECORDED],
      'New women': ['2', NOT_RECORDED],
      'Anonymous visits': ['1', NOT_RECORDED],
    });
    expect(await reportTable(page, /^Services/)).toMatchObject({ Meal: ['2', NOT_RECORDED], Shower: ['1', NOT_RECORDED], Laundry: ['1', NOT_RECORDED], Advice: ['0', NOT_RECORDED] });
    expect(await reportTable(page, /^By site/)).toMatchObject({ 'Drop-in centre': ['3', NOT_RECORDED] });
    expect(await page.getByRole('region', { name: 'For a letter' }).locator('.statement').textContent()).toBe(`In ${YEAR.label} we welcomed 3 visits from 2 women.`);
    expect(await page.getByRole('img', { name: /^Visits by month/ }).isVisible()).toBe(true);
    // The contents list takes the keyboard to a table's heading, not only the view.
    await page.getByRole('navigation', { name: 'Report sections' }).getByRole('link', { name: 'By site' }).press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^By site/);
    await expectAccessible(page, 'yearly summary');

    await page.getByRole('switch', { name: 'Publication mode' }).check();
    expect((await reportTable(page, 'Summary')).Visits).toEqual(['<5', NOT_RECORDED]);
    await expectAccessible(page, 'yearly summary in publication mode');
    await page.getByRole('switch', { name: 'Publication mode' }).uncheck();
  });

  test('the figures CSV downloads, published by default and exact when asked', async () => {
    const { page } = rig.laptop;
    const exports = page.getByRole('region', { name: 'Export' });
    const download = async () => {
      const [file] = await Promise.all([page.waitForEvent('download'), exports.getByRole('button', { name: 'Download figures (CSV)' }).click()]);
      return { name: file.suggestedFilename(), text: readFileSync((await file.path())!, 'utf8') };
    };
    const slug = YEAR.label.replace('/', '-');

    const published = await download();
    expect(published.name).toBe(`footfall-figures-${slug}.csv`);
    // A byte order mark first, so Excel reads the file as UTF-8.
    expect(published.text.charCodeAt(0)).toBe(0xfeff);
    const visits = csvRows(published.text).find((r) => r.figure === 'visits');
    expect(visits).toMatchObject({ period: YEAR.label, period_start: YEAR.from, period_end: YEAR.to, value: '<5' });
    expect(published.text).toMatch(/not .*prevalence/);

    await exports.getByRole('checkbox', { name: 'Exact figures (internal use only)' }).check();
    const exact = await download();
    expect(exact.name).toBe(`footfall-figures-${slug}-exact-internal.csv`);
    const figure = (key: string, category = '') => csvRows(exact.text).find((r) => r.figure === key && r.category === category)?.value;
    expect([figure('visits'), figure('uniqueWomen'), figure('anonymousVisits'), figure('services', 'meal')]).toEqual(['3', '2', '1', '2']);
    expect(exact.text).not.toContain('Zephyrine');
  });

  test('the printable report opens, and on paper shows the report without navigation or controls', async () => {
    const { page } = rig.laptop;
    // The browser's print dialog is the admin's to use; here it is only counted.
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => void (window as unknown as { printed: number }).printed++;
    });
    await page.getByRole('button', { name: 'Printable report' }).click();
    const report = page.getByRole('article', { name: `Footfall report: ${YEAR.label}` });
    await report.waitFor();
    await expect.poll(() => page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    expect((await reportTable(report, 'Summary')).Visits).toEqual(['3', NOT_RECORDED]); // exact, as chosen for the exports
    expect(await report.getByRole('heading', { name: 'Definitions' }).isVisible()).toBe(true);
    await expectAccessible(page, 'printable report');

    await page.emulateMedia({ media: 'print' });
    try {
      expect(await report.isVisible()).toBe(true);
      expect(await report.getByRole('img', { name: /^Visits by month/ }).isVisible()).toBe(true);
      expect(await page.getByRole('navigation', { name: 'Screens' }).isVisible()).toBe(false);
      expect(await page.getByRole('button', { name: 'Lock', exact: true }).isVisible()).toBe(false);
      expect(await report.getByRole('button', { name: 'Print or save as PDF' }).isVisible()).toBe(false);
    } finally {
      await page.emulateMedia({ media: null });
    }
    await report.getByRole('button', { name: 'Back to reports' }).click();
    await page.getByRole('button', { name: 'Printable report' }).waitFor();
    expect(rig.laptop.foreignRequests).toEqual([]);
  });

  test('the raw records are the same when the reports open again from the resolution kept on the laptop', async () => {
    const { page } = rig.laptop;
    const download = async () => {
      const exports = page.getByRole('region', { name: 'Export' });
      const [file] = await Promise.all([page.waitForEvent('download'), exports.getByRole('button', { name: 'Download raw records (CSV)' }).click()]);
      return readFileSync((await file.path())!, 'utf8');
    };
    const first = await download();
    expect(csvRows(first).map((r) => [r.kind, r.person ? 'named' : 'anonymous', r.services])).toEqual(
      expect.arrayContaining([
        ['visit', 'named', 'meal;shower'],
        ['visit', 'named', 'meal'],
        ['visit', 'anonymous', 'laundry'],
      ]),
    );
    const summary = await reportTable(page, 'Summary');
    // The first opening kept its resolution once the report was shown.
    await expect.poll(() => archiveKeys(page), { timeout: 30_000 }).toContain('resolved');

    // A reload locks the laptop and forgets the key; this opening reads the kept resolution on the
    // page, with no report worker, and makes the records themselves only for the raw export.
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
    await page.reload();
    await unlock(page);
    await openReportsWith(page, PASSPHRASE);
    await page.getByRole('heading', { level: 2, name: new RegExp(`^${YEAR.label.replace('/', '\\/')} \\(`) }).waitFor();
    expect(await reportTable(page, 'Summary')).toEqual(summary);
    expect(workers.filter((path) => path.includes('reportWorker'))).toEqual([]);
    expect(await download()).toBe(first);
  });
});
