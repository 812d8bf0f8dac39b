/**
 * The lock: one tap locks at once and hides every record; wrong PINs are told plainly, four are
 * free, then each costs a growing wait; after ten the device is held until an admin's PIN
 * releases it; the app locks itself after the configured idle minutes. None of it ever deletes
 * a record. Time is driven with Playwright's clock, so the waits take no real time.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { appInBrowser } from './harness.ts';
import {
  ADMIN,
  allFigures,
  anonymousVisit,
  enterPin,
  openTab,
  registerFromSearch,
  setUpDevice,
  todayFigures,
  unlock,
  waitLocked,
  waitUnlocked,
} from './app.ts';

const FRONT_DESK = { name: 'Mary Adeyemi', pin: '583920' };
const WRONG = '111999';
const WOMAN = 'Hannelore';
const FIGURES = allFigures({ Visits: 2, Women: 1, 'Anonymous visits': 1, Meal: 2, Shower: 1 });

const rig = appInBrowser();

beforeAll(async () => {
  // Fake timers that still flow: waits and idle minutes can be skipped at will. They start at
  // 10:00 today, so the half hour they skip never crosses midnight into a day with no visits.
  const morning = new Date();
  morning.setUTCHours(10, 0, 0, 0);
  await rig.browser.page.clock.install({ time: morning });
});

const pinBox = () => rig.browser.page.getByLabel('PIN', { exact: true });
const unlockButton = () => rig.browser.page.getByRole('button', { name: 'Unlock' });
const alertText = () => rig.browser.page.getByRole('alert').allTextContents();

/** The names the lock screen offers under "Who are you?", by each radio's accessible name. */
async function staffOffered(): Promise<string[]> {
  const names: string[] = [];
  for (const name of [ADMIN.name, FRONT_DESK.name]) {
    if (await rig.browser.page.getByRole('radio', { name, exact: true }).count()) names.push(name);
  }
  expect(await rig.browser.page.getByRole('radio').count()).toBe(names.length);
  return names;
}

/** Enters a PIN for whoever is chosen and waits for the answer. */
async function tryPin(pin: string): Promise<void> {
  await pinBox().fill(pin);
  await unlockButton().click();
  await expect.poll(() => pinBox().inputValue()).toBe('');
  await expect.poll(() => unlockButton().textContent()).toBe('Unlock');
}

/** Nothing about any woman or visit is anywhere in the page, visible or not. */
async function expectNoRecordsInPage(): Promise<void> {
  const html = await rig.browser.page.content();
  expect(html).not.toContain(WOMAN);
  expect(html).not.toMatch(/Today’s figures|Anonymous visits|Matching women|Meal|Shower/);
}

/** What is stored, counted without unlocking: every row stays, whatever the lock did. */
async function storedRows(): Promise<Record<string, number>> {
  return rig.browser.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('footfall');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const out: Record<string, number> = {};
    for (const name of ['events', 'women', 'visits', 'settings']) {
      out[name] = await new Promise<number>((resolve, reject) => {
        const req = db.transaction(name).objectStore(name).count();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    db.close();
    return out;
  });
}

let rowsBefore: Record<string, number>;

describe('locking the device', () => {
  test('set up with an admin, a front-desk volunteer and a few records', async () => {
    const { page } = rig.browser;
    await page.goto(rig.served.url);
    await setUpDevice(page);
    await openTab(page, 'Settings');
    await page.getByRole('textbox', { name: 'Name' }).fill(FRONT_DESK.name);
    await page.getByRole('combobox', { name: 'Role' }).selectOption({ label: 'Front desk' });
    await page.getByLabel('Her PIN (6 to 12 digits)').fill(FRONT_DESK.pin);
    await page.getByRole('button', { name: 'Add staff member' }).click();
    await page.getByText(`${FRONT_DESK.name} can now unlock this device with her PIN.`).waitFor();
    await registerFromSearch(page, WOMAN, ['Meal', 'Shower']);
    await anonymousVisit(page, ['Meal']);
    expect(await todayFigures(page)).toEqual(FIGURES);
    rowsBefore = await storedRows();
    expect(rowsBefore).toMatchObject({ women: 1, visits: 2 });
  });

  test('the Lock button locks at once, and the lock screen hides every record', async () => {
    const { page } = rig.browser;
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    // At once: no PIN prompt or delay between the tap and the lock screen.
    expect(await page.getByRole('heading', { name: 'Footfall is locked' }).isVisible()).toBe(true);
    await expectNoRecordsInPage();
    expect(await staffOffered()).toEqual([ADMIN.name, FRONT_DESK.name]);

    // The front-desk volunteer unlocks with her own PIN; she gets no Settings.
    await unlock(page, FRONT_DESK.name, FRONT_DESK.pin);
    expect(await page.getByRole('navigation', { name: 'Screens' }).getByRole('button').allTextContents()).toEqual(['Check in', 'Today']);
    expect(await todayFigures(page)).toEqual(FIGURES);
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await waitLocked(page);
    await expectNoRecordsInPage();
  });

  test('wrong PINs: a clear message, four free tries, then a growing wait', async () => {
    const { page } = rig.browser;
    // The lock screen has been up a while before anyone tries: the wait shown must still be right.
    await page.clock.fastForward(5 * 60_000);
    await page.getByRole('radio', { name: FRONT_DESK.name }).check();
    await tryPin(WRONG);
    expect(await alertText()).toEqual(['That PIN is not right. 3 more tries before a wait.']);
    await tryPin(WRONG);
    expect(await alertText()).toEqual(['That PIN is not right. 2 more tries before a wait.']);
    await tryPin(WRONG);
    expect(await alertText()).toEqual(['That PIN is not right. 1 more try before a wait.']);
    await tryPin(WRONG);
    expect((await alertText()).join(' ')).toMatch(/^That PIN is not right\./);
    expect((await alertText()).join(' ')).not.toMatch(/Wait/);
    expect(await pinBox().isEnabled()).toBe(true);

    // The fifth wrong PIN costs a wait: the PIN box and the button are off until it is over.
    await tryPin(WRONG);
    expect(await alertText()).toEqual(['That PIN is not right. Wait 30 seconds before trying again.']);
    expect(await pinBox().isDisabled()).toBe(true);
    expect(await unlockButton().isDisabled()).toBe(true);
    expect(await page.getByRole('status').filter({ hasText: /^Wait / }).allTextContents()).toEqual(['Wait 30 seconds before trying again.']);

    // Even the right PIN waits: after 20 seconds the box is still off.
    await page.clock.fastForward(20_000);
    expect(await pinBox().isDisabled()).toBe(true);
    await page.clock.fastForward(11_000);
    await expect.poll(() => pinBox().isEnabled()).toBe(true);

    // Each further wrong PIN doubles the wait.
    await tryPin(WRONG);
    expect(await alertText()).toEqual(['That PIN is not right. Wait 1 minute before trying again.']);
    await page.clock.fastForward(61_000);
    await expect.poll(() => pinBox().isEnabled()).toBe(true);
    await tryPin(WRONG);
    expect(await alertText()).toEqual(['That PIN is not right. Wait 2 minutes before trying again.']);
    await expectNoRecordsInPage();
  });

  test('the wait holds across a reload', async () => {
    const { page } = rig.browser;
    await page.reload();
    await waitLocked(page);
    expect(await pinBox().isDisabled()).toBe(true);
    expect(await page.getByRole('status').filter({ hasText: /^Wait \d+ (seconds?|minutes?) before trying again\.$/ }).count()).toBe(1);
    await page.clock.fastForward(121_000);
    await expect.poll(() => pinBox().isEnabled()).toBe(true);
  });

  test('after ten wrong PINs only an admin’s PIN releases the device', async () => {
    const { page } = rig.browser;
    await page.getByRole('radio', { name: FRONT_DESK.name }).check();
    // Wrong PINs 8 and 9, each after its wait (4 and 8 minutes).
    for (const wait of [4, 8]) {
      await tryPin(WRONG);
      expect(await alertText()).toEqual([`That PIN is not right. Wait ${wait} minutes before trying again.`]);
      await page.clock.fastForward(wait * 60_000 + 1_000);
      await expect.poll(() => pinBox().isEnabled()).toBe(true);
    }
    // The tenth.
    await tryPin(WRONG);
    await expect.poll(alertText).toContain(
      'Too many wrong PINs. This device stays locked until an admin unlocks it with her PIN. Nothing on it has been deleted.',
    );
    expect(await alertText()).toContain('Too many wrong PINs were entered. Only an admin can unlock this device now. Nothing on it has been deleted.');
    await expectNoRecordsInPage();

    // Held: only admins are offered, and the admin called over may try at once (no wait).
    await expect.poll(() => pinBox().isEnabled()).toBe(true);
    expect(await staffOffered()).toEqual([ADMIN.name]);
    expect(await page.getByRole('radio', { name: FRONT_DESK.name }).count()).toBe(0);
    // The volunteer chosen before is no longer selected: the admin is, as the only one offered.
    expect(await page.getByRole('radio', { name: ADMIN.name }).isChecked()).toBe(true);

    // Still held after a reload; the records are all still stored.
    await page.reload();
    await waitLocked(page);
    expect(await staffOffered()).toEqual([ADMIN.name]);
    expect(await page.getByRole('radio', { name: ADMIN.name }).isChecked()).toBe(true);
    expect(await alertText()).toEqual(['Too many wrong PINs were entered. Only an admin can unlock this device now. Nothing on it has been deleted.']);
    expect(await storedRows()).toEqual(rowsBefore);

    // The admin's PIN releases it, and everything is there.
    await unlock(page, ADMIN.name, ADMIN.pin);
    expect(await todayFigures(page)).toEqual(FIGURES);

    // Released for everyone: the volunteer can unlock again with her own PIN.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await waitLocked(page);
    expect(await staffOffered()).toEqual([ADMIN.name, FRONT_DESK.name]);
    await unlock(page, FRONT_DESK.name, FRONT_DESK.pin);
    expect(await todayFigures(page)).toEqual(FIGURES);
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await waitLocked(page);
  });

  test('idle for the configured minutes, the app locks itself', async () => {
    const { page } = rig.browser;
    await unlock(page, ADMIN.name, ADMIN.pin);
    await openTab(page, 'Settings');
    const minutes = page.getByRole('spinbutton', { name: 'Lock after this many minutes without use' });
    expect(await minutes.inputValue()).toBe('5');
    await minutes.fill('2');
    await page.getByRole('button', { name: 'Save lock time' }).click();
    await page.getByRole('status').filter({ hasText: 'The app now locks after 2 minutes idle.' }).waitFor();
    await openTab(page, 'Today');

    // A minute and a half idle: still open. A tap starts the two minutes again.
    await page.clock.runFor(90_000);
    expect(await page.getByRole('button', { name: 'Lock', exact: true }).isVisible()).toBe(true);
    await page.getByRole('heading', { level: 1 }).click();
    await page.clock.runFor(90_000);
    expect(await page.getByRole('button', { name: 'Lock', exact: true }).isVisible()).toBe(true);

    // Two minutes after the last tap, it locks on its own.
    await page.clock.runFor(35_000);
    await waitLocked(page);
    await expectNoRecordsInPage();

    // The setting is kept, and nothing was lost.
    await unlock(page, ADMIN.name, ADMIN.pin);
    await waitUnlocked(page);
    expect(await todayFigures(page)).toEqual(FIGURES);
    await page.clock.runFor(125_000);
    await waitLocked(page);
    expect(await storedRows()).toEqual(rowsBefore);
  });

  test('every wrong PIN and lock left the records alone, and nothing went elsewhere', async () => {
    const { page } = rig.browser;
    await enterPin(page, ADMIN.name, ADMIN.pin);
    await waitUnlocked(page);
    expect(await todayFigures(page)).toEqual(FIGURES);
    expect(await storedRows()).toEqual(rowsBefore);
    expect(rig.browser.foreignRequests).toEqual([]);
  });
});
