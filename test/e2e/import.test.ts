/**
 * Importing historic records end to end, in Chromium with the real endpoint: the admin's laptop
 * sets up the organisation, opens the Import tab with the passphrase, and imports last year's
 * spreadsheet of 2,000 records. A file with two bad rows is refused with their line numbers,
 * nothing is written, and its problems download as CSV; a site the organisation does not have is
 * asked about once, and mapped to its own site in the preview; the fixed file is previewed and
 * imported; importing it again adds nothing; and the Reports tab, opened next, shows the imported
 * records in the yearly summary as the same period last year.
 */
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { financialYearOf, periodRange } from '../../src/domain/periods.ts';
import { formatLocalDate, localDateOf, parseLocalDate } from '../../src/domain/time.ts';
import { axeViolations, smallTargets } from './a11y.ts';
import { openBrowser, serveApp, type Browser, type Served } from './harness.ts';
import {
  ADMIN,
  finishOrganisation,
  openImport,
  openImportWith,
  openReports,
  organisationCard,
  readOutbox,
  reportTable,
  setUpDevice,
  startOrganisation,
} from './app.ts';

const PASSPHRASE = 'saffron lighthouse meadow forty';
const LAPTOP = { name: 'Admin laptop', site: 'Drop-in centre' };
/** Last financial year: the imported records show as "the same period last year" beside this one. */
const LAST_YEAR = periodRange({ kind: 'financialYear', startYear: financialYearOf(localDateOf(Date.now(), 'Europe/London'), 4) - 1 }, 4);

function dayOfLastYear(n: number): string {
  const [y, m, d] = parseLocalDate(LAST_YEAR.from);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return formatLocalDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/**
 * Last year's spreadsheet, 2,000 records: 50 women with 30 visits each on different days (1,500
 * visits), 300 anonymous visits, 150 outreach contacts with women not known, and 50 casework
 * sessions, one with each woman. Worked out by hand: 1,800 visits, 50 unique women, all new.
 */
function spreadsheet(): string[] {
  const lines = ['kind,date,time,site,person,services,area,place,topics,referrals'];
  for (let w = 0; w < 50; w++) {
    for (let v = 0; v < 30; v++) lines.push(`visit,${dayOfLastYear(v * 10 + (w % 10))},10:${String(w).padStart(2, '0')},Drop-in centre,Woman ${w + 1},meal;shower,,,,`);
  }
  for (let a = 0; a < 300; a++) lines.push(`visit,${dayOfLastYear(a % 360)},,drop-in-centre,,Laundry,,,,`);
  for (let o = 0; o < 150; o++) lines.push(`outreach,${dayOfLastYear(o * 2)},21:30,,,,camden,street,,gp`);
  for (let c = 0; c < 50; c++) lines.push(`casework,${dayOfLastYear(c * 7)},14:00,,woman ${c + 1},,,,housing;benefits,housing-options`);
  return lines;
}

const GOOD = spreadsheet();
/** The same file with the old name of the site on one row: a word for the admin to map, not a line to fix. */
const OLD_SITE = GOOD.map((line, i) => (i + 1 === 1001 ? line.replace('Drop-in centre', 'Riverside') : line));
/** And two rows spoilt: a date written the American way, a session with nobody. */
const BAD = OLD_SITE.map((line, i) => {
  const lineNumber = i + 1;
  if (lineNumber === 15) return line.replace(/,\d{4}-(\d\d)-(\d\d),/, ',$2/$1/2024,');
  if (lineNumber === 1999) return line.replace(/woman \d+/, '');
  return line;
});

let served: Served;
let laptop: Browser;

beforeAll(async () => {
  served = await serveApp();
  laptop = await openBrowser(served.url);
});

afterAll(async () => {
  await laptop?.dispose();
  await served?.dispose();
});

function panel(page: Page): Locator {
  return page.getByRole('region', { name: 'Import records' });
}

async function choose(page: Page, name: string, lines: string[]): Promise<void> {
  await panel(page).getByLabel('CSV file of records').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n'), 'utf8') });
}

/** The preview table: label → number as shown. */
async function preview(page: Page, name: string): Promise<Record<string, string>> {
  const table = panel(page).getByRole('table', { name: `What importing ${name} adds` });
  await table.waitFor({ timeout: 30_000 });
  return Object.fromEntries(Object.entries(await reportTable(panel(page), `What importing ${name} adds`)).map(([k, [v]]) => [k, v]));
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  expect(await axeViolations(page), state).toEqual([]);
  expect(await smallTargets(page), state).toEqual([]);
}

describe('importing historic records on the admin’s laptop', () => {
  test('the organisation is set up and the Import tab opened with its passphrase', async () => {
    const { page } = laptop;
    await page.goto(served.url);
    await setUpDevice(page, ADMIN, LAPTOP);
    const card = await organisationCard(page);
    await finishOrganisation(card, await startOrganisation(card, PASSPHRASE));
    await openImport(page);
    await expectAccessible(page, 'import, asking for the passphrase');
    await openImportWith(page, PASSPHRASE);
    await expectAccessible(page, 'import, ready for a file');
  });

  test('a 2,000-row file with two bad rows is refused with their line numbers, and nothing is written', async () => {
    const { page } = laptop;
    const before = await readOutbox(page);
    await choose(page, 'last-year-draft.csv', BAD);
    const alert = panel(page).getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.getByRole('paragraph').first().textContent()).toBe(
      'last-year-draft.csv cannot be imported: 2 lines need fixing. Nothing has been written. Correct the file and choose it again.',
    );
    const lines = await alert.getByRole('list', { name: 'Lines to fix' }).getByRole('listitem').allTextContents();
    expect(lines.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['Line 15', 'Line 1999']);
    expect(lines[0]).toMatch(/date ".*\/2024" is written day or month first, which cannot be told apart/);
    expect(lines[1]).toContain('a casework session is always with a known woman');
    // The unknown site is a question, asked once, beside the lines to fix.
    expect(await panel(page).getByRole('heading', { name: '1 value in last-year-draft.csv is not among the organisation’s terms' }).isVisible()).toBe(true);
    expect(await panel(page).getByText('1 row: line 1001.').isVisible()).toBe(true);
    expect(await panel(page).getByRole('button', { name: /^Import/ }).count()).toBe(0);
    expect((await readOutbox(page)).eventKeys).toEqual(before.eventKeys);
    await expectAccessible(page, 'import refused');

    // Every problem, to work through beside the file: the two lines, then the value to decide.
    const [download] = await Promise.all([page.waitForEvent('download'), panel(page).getByRole('button', { name: 'Download the problems as CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('last-year-draft-problems.csv');
    const problems = Papa.parse<Record<string, string>>(readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: true }).data;
    expect(problems.map((p) => [p.line, p.column, p.value])).toEqual([
      ['15', '', ''],
      ['1999', '', ''],
      ['1001', 'site', 'Riverside'],
    ]);
    expect(problems[0]?.problem).toMatch(/date ".*\/2024" is written day or month first, which cannot be told apart/);
  });

  test('the fixed file’s old site name is mapped to the site in the preview, then the file is imported with its counts', async () => {
    const { page } = laptop;
    const before = await readOutbox(page);
    await choose(page, 'last-year.csv', OLD_SITE);
    await panel(page).getByLabel('Site “Riverside”').selectOption({ label: 'Drop-in centre' });
    await expectAccessible(page, 'a value to decide');
    await panel(page).getByRole('button', { name: 'Check the file with these choices' }).click();
    expect(await preview(page, 'last-year.csv')).toEqual({
      'Records in the file': '2,000',
      'New visits': '1,800',
      'New outreach contacts': '150',
      'New casework sessions': '50',
      'New women': '50',
      'Already imported': '0',
    });
    expect((await readOutbox(page)).eventKeys).toEqual(before.eventKeys); // a preview writes nothing
    await expectAccessible(page, 'import preview');

    await panel(page).getByRole('button', { name: 'Import 2,000 records' }).click();
    await expect
      .poll(() => panel(page).getByRole('status').last().textContent(), { timeout: 60_000 })
      .toBe('Imported 2,000 records and 50 new women. They count in reports now and reach the server at the next sync.');
    // The records and the women's registrations, written once each through the outbox (or already uploaded from it).
    const after = await readOutbox(page);
    expect(new Set(after.eventKeys).size).toBe(after.eventKeys.length);
  });

  test('importing the same file again adds nothing', async () => {
    const { page } = laptop;
    const before = await readOutbox(page);
    await choose(page, 'last-year-again.csv', GOOD);
    expect(await preview(page, 'last-year-again.csv')).toMatchObject({ 'New visits': '0', 'New women': '0', 'Already imported': '2,000' });
    expect(await panel(page).getByText('Everything in this file is already imported. There is nothing to add.').isVisible()).toBe(true);
    expect(await panel(page).getByRole('button', { name: /^Import/ }).count()).toBe(0);
    expect((await readOutbox(page)).eventKeys.length).toBeLessThanOrEqual(before.eventKeys.length);
  });

  test('the Reports tab, opened next, counts the imported records as the same period last year', async () => {
    const { page } = laptop;
    await openReports(page);
    await expect
      .poll(async () => (await reportTable(page, 'Summary')).Visits?.[1], { timeout: 30_000 })
      .toBe('1,800');
    expect(await reportTable(page, 'Summary')).toMatchObject({
      Visits: ['0', '1,800'],
      'Unique women': ['0', '50'],
      'New women': ['0', '50'],
      'Anonymous visits': ['0', '300'],
    });
  });
});
