/**
 * Merging two records of one woman, end to end in Chromium with the real endpoint (Fastify +
 * SQLite), at tablet size: the front-desk tablet registers her twice and checks both entries in,
 * so Today counts two women; the admin merges them on her laptop; once the tablet syncs, Today
 * counts her once and search offers her once, as the reports do. Then two admin devices merge two
 * entries into each other at the same time (neither has the other's merge yet): every device ends
 * with one woman, found once and counted once, and the laptop's report agrees with Today.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowser, type Browser } from './harness.ts';
import {
  addPersonHere,
  allFigures,
  joinWithCode,
  laptopAndTablet,
  nudgeSync,
  makeEnrolmentCode,
  openReportsWith,
  openTab,
  organisationCard,
  organisationWithTablet,
  readOutbox,
  registerFromSearch,
  reportTable,
  search,
  todayFigures,
  waitForSyncStatus,
  syncNow,
} from './app.ts';

const PASSPHRASE = 'saffron meadow kettle forty';
const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;
/** The second admin device, and the admin who uses it. */
const SECOND_ADMIN = { name: 'Ruth Mensah', pin: '615204' };
/** What the devices ask for when they read the shared directory. */
const DIRECTORY_READS = /\/api\/orgs\/[^/]+\/directory/;

const rig = laptopAndTablet();
let office: Browser;
beforeAll(async () => {
  office = await openBrowser(rig.served.url);
});
afterAll(async () => {
  await office?.dispose();
});

/** Until everything the device saved is on the server. */
async function uploaded(page: Page): Promise<void> {
  await expect.poll(() => readOutbox(page), { timeout: 30_000 }).toMatchObject({ eventKeys: [], batchIds: [] });
}

/** The names search offers for a query on the Check in screen. */
async function found(page: Page, query: string): Promise<string[]> {
  await openTab(page, 'Check in');
  await search(page).fill(query);
  const results = page.getByRole('list', { name: 'Matching women' });
  await results.waitFor();
  // Her name, without the "here today" badge.
  return (await results.getByRole('button').allInnerTexts()).map((text) => text.split('\n')[0]!).sort();
}

/** Women's records → Merge: `duplicate` into `keep`, confirmed. */
async function merge(page: Page, duplicate: string, keep: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Women’s records', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Women’s records' }).waitFor();
  const card = page.getByRole('region', { name: 'Merge two records of the same woman' });
  for (const [label, name] of [
    ['Record to keep', keep],
    ['Duplicate', duplicate],
  ] as const) {
    await card.getByRole('searchbox', { name: label }).fill(name);
    await card.getByRole('list', { name: `Matches for ${label.toLowerCase()}` }).getByRole('button', { name: new RegExp(`^${name} registered`) }).click();
  }
  await card.getByRole('button', { name: `Merge ${duplicate} into ${keep}` }).click();
  await card.getByRole('group', { name: 'Confirm the merge' }).getByRole('button', { name: 'Yes, merge them' }).click();
  await expect
    .poll(() => page.getByRole('main').getByRole('status').first().textContent(), { timeout: 20_000 })
    .toBe(`${duplicate} is merged into ${keep}: they are counted as one woman from now on, on every device.`);
}

describe('merging two records of one woman', () => {
  test('the laptop sets up the organisation; the tablet and a second admin device enrol, and the second is certified', async () => {
    await organisationWithTablet(rig, PASSPHRASE);
    const personalCode = await addPersonHere(rig.laptop.page, SECOND_ADMIN.name, 'Admin');
    const code = await makeEnrolmentCode(await organisationCard(rig.laptop.page), 'Admin');
    await joinWithCode(office.page, rig.served.url, code, SECOND_ADMIN, personalCode);
    // Opening the organisation's key with the passphrase certifies the second admin device: its
    // merges then carry authority on every device (docs/security.md#authority).
    await openReportsWith(office.page, PASSPHRASE);
  });

  test('the tablet registers her twice and checks both in: Today counts two women', async () => {
    const { page } = rig.tablet;
    await registerFromSearch(page, 'Precious Adeyemi', ['Meal']);
    await registerFromSearch(page, 'Precious A', ['Shower']);
    expect(await todayFigures(page)).toEqual(allFigures({ Visits: 2, Women: 2, Meal: 1, Shower: 1 }));
    expect(await found(page, 'precious')).toEqual(['Precious A', 'Precious Adeyemi']);
    await uploaded(page);
  });

  test('the admin merges them on her laptop', async () => {
    const { page } = rig.laptop;
    await syncNow(page);
    expect(await found(page, 'precious')).toEqual(['Precious A', 'Precious Adeyemi']);
    await merge(page, 'Precious A', 'Precious Adeyemi');
    expect(await found(page, 'precious')).toEqual(['Precious Adeyemi']);
    await uploaded(page);
  });

  test('once the tablet syncs, Today counts her once and search offers her once', async () => {
    const { page } = rig.tablet;
    await nudgeSync(page);
    // One woman at one site on one day is one visit, with the services of both check-ins.
    await expect.poll(() => todayFigures(page), { timeout: 20_000 }).toEqual(allFigures({ Visits: 1, Women: 1, Meal: 1, Shower: 1 }));
    expect(await found(page, 'precious')).toEqual(['Precious Adeyemi']);
  });

  test('two admin devices merge two entries into each other before either has the other’s merge', async () => {
    const tablet = rig.tablet.page;
    await registerFromSearch(tablet, 'Nkechi Okafor', ['Laundry']);
    await registerFromSearch(tablet, 'Nkechi O', ['Advice']);
    expect(await todayFigures(tablet)).toEqual(allFigures({ Visits: 3, Women: 3, Meal: 1, Shower: 1, Laundry: 1, Advice: 1 }));
    await uploaded(tablet);

    const [laptop, second] = [rig.laptop, office];
    for (const device of [laptop, second]) {
      await syncNow(device.page);
      expect(await found(device.page, 'nkechi')).toEqual(['Nkechi O', 'Nkechi Okafor']);
      // From here each uploads its own merge but reads nothing of the other's.
      await device.context.route(DIRECTORY_READS, (route) => route.abort());
    }
    await merge(laptop.page, 'Nkechi O', 'Nkechi Okafor');
    await merge(second.page, 'Nkechi Okafor', 'Nkechi O');
    for (const device of [laptop, second]) await uploaded(device.page);

    for (const device of [laptop, second]) {
      await device.context.unroute(DIRECTORY_READS);
      await syncNow(device.page);
    }
    // The earlier merge decides on every device, as in the reports; the later finds them one.
    for (const device of [laptop, second]) expect(await found(device.page, 'nkechi')).toEqual(['Nkechi Okafor']);
  });

  test('the tablet then finds her once and counts her once, as the laptop’s report does', async () => {
    const { page } = rig.tablet;
    await nudgeSync(page);
    await expect.poll(() => found(page, 'nkechi'), { timeout: 20_000 }).toEqual(['Nkechi Okafor']);
    expect(await todayFigures(page)).toEqual(allFigures({ Visits: 2, Women: 2, Meal: 1, Shower: 1, Laundry: 1, Advice: 1 }));

    await openReportsWith(rig.laptop.page, PASSPHRASE);
    const summary = await reportTable(rig.laptop.page, 'Summary');
    expect([summary.Visits![0], summary['Unique women']![0]]).toEqual(['2', '2']);
  });
});
