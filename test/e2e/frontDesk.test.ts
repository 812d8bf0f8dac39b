/**
 * A day at the front desk, offline from the first minute: set up on a fresh profile, lose the
 * server and the network, and keep working from the service worker. Visits, a registration
 * from the search box, an anonymous visit, services added later, a void; then a reload and a
 * full browser restart, still offline. Every figure on Today must be exactly right throughout.
 */
import { describe, expect, test } from 'vitest';
import { appInBrowser, waitForOfflineReady } from './harness.ts';
import {
  ADMIN,
  allFigures,
  dialog,
  exactly,
  notice,
  openTab,
  registerFromSearch,
  anonymousVisit,
  search,
  setUpDevice,
  tapServices,
  todayFigures,
  unlock,
  waitLocked,
} from './app.ts';

const rig = appInBrowser();

describe('front desk, offline', () => {
  test('first load installs the app; it then works with no server and no network', async () => {
    const { page } = rig.browser;
    await page.goto(rig.served.url);
    await setUpDevice(page);
    await waitForOfflineReady(page);

    // Offline for real: the server is gone and the browser has no network.
    await rig.served.stop();
    await expect(fetch(rig.served.url)).rejects.toThrow();
    await rig.browser.context.setOffline(true);
    await page.reload();
    await waitLocked(page);
    expect(await page.evaluate(() => [navigator.onLine, Boolean(navigator.serviceWorker.controller)])).toEqual([false, true]);
    await unlock(page);
    await expect.poll(() => page.getByRole('banner').getByRole('status').textContent()).toMatch(/^Offline/);
    expect(await todayFigures(page)).toEqual(allFigures({}));
  });

  test('registering, checking in and searching, with exact figures', async () => {
    const { page } = rig.browser;

    // José is registered from "Register a new woman" and leaves before anything is given:
    // closing asks first, then she is in the directory with no visit yet.
    await openTab(page, 'Check in');
    await page.getByRole('button', { name: 'Register a new woman' }).click();
    const form = dialog(page, 'Register a new woman');
    await form.getByRole('textbox', { name: 'Known as' }).fill('José');
    await form.getByRole('button', { name: 'Register and check in' }).click();
    const panel = dialog(page, 'Check in José');
    await panel.waitFor();
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.getByRole('button', { name: 'Close without a visit' }).click();
    await panel.waitFor({ state: 'detached' });
    expect(await todayFigures(page)).toEqual(allFigures({}));

    // Anna Maria: searched for, not found, registered from the search box.
    await registerFromSearch(page, 'Anna Maria', ['Laundry']);
    // One anonymous visit.
    await anonymousVisit(page, ['Meal']);
    expect(await todayFigures(page)).toEqual(allFigures({ Visits: 2, Women: 1, 'Anonymous visits': 1, Meal: 1, Laundry: 1 }));

    // Searching forgives case and accents, and finds partial names.
    await openTab(page, 'Check in');
    const results = page.getByRole('list', { name: 'Matching women' });
    await search(page).fill('jose');
    await expect.poll(() => results.getByRole('button').allInnerTexts()).toEqual(['José']);
    await search(page).fill('ann');
    // She is already here today, and the result says so (as part of its accessible name).
    await expect.poll(() => results.getByRole('button').count()).toBe(1);
    expect(await results.getByRole('button', { name: 'Anna Maria here today', exact: true }).count()).toBe(1);
    await search(page).fill('JOSÉ ');
    await expect.poll(() => results.getByRole('button').allInnerTexts()).toEqual(['José']);

    // A returning woman takes three taps once her name is typed: her result, a service, Save visit.
    await search(page).fill('jose');
    await page.evaluate(() => {
      const w = window as unknown as { taps: number };
      w.taps = 0;
      window.addEventListener('click', (e) => e.isTrusted && (w.taps += 1), { capture: true });
    });
    await results.getByRole('button', { name: exactly('José') }).click();
    await dialog(page, 'Check in José').getByRole('button', { name: 'Meal', exact: true }).click();
    await dialog(page, 'Check in José').getByRole('button', { name: 'Save visit' }).click();
    await expect.poll(() => notice(page).textContent()).toBe('Visit saved for José.');
    expect(await page.evaluate(() => (window as unknown as { taps: number }).taps)).toBe(3);
    expect(await todayFigures(page)).toEqual(allFigures({ Visits: 3, Women: 2, 'Anonymous visits': 1, Meal: 2, Laundry: 1 }));

    // Checking in a woman already here today adds to her visit: Visits does not go up.
    await openTab(page, 'Check in');
    await search(page).fill('ann');
    await results.getByRole('button', { name: /^Anna Maria/ }).click();
    const again = dialog(page, 'Anna Maria is checked in today');
    await expect.poll(() => again.getByRole('button', { name: 'Laundry', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await tapServices(again, ['Shower']);
    await again.getByRole('button', { name: 'Save changes' }).click();
    await again.waitFor({ state: 'detached' });
    await expect.poll(() => notice(page).textContent()).toBe('Visit updated for Anna Maria.');
    expect(await todayFigures(page)).toEqual(allFigures({ Visits: 3, Women: 2, 'Anonymous visits': 1, Meal: 2, Shower: 1, Laundry: 1 }));
  });

  test('services added later and a void, from the Today screen', async () => {
    const { page } = rig.browser;
    await openTab(page, 'Today');
    const visits = page.getByRole('list', { name: 'Today’s visits' });
    expect(await visits.getByRole('listitem').count()).toBe(3);

    // José comes back for clean clothes in the afternoon: added to the same visit.
    await page.getByRole('button', { name: /^Services for José at \d\d:\d\d$/ }).click();
    const services = dialog(page, 'Services for José');
    await expect.poll(() => services.getByRole('button', { name: 'Meal', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await tapServices(services, ['Clean clothes']);
    await services.getByRole('button', { name: 'Save changes' }).click();
    await services.waitFor({ state: 'detached' });
    await expect.poll(() => notice(page).textContent()).toBe('Services updated.');
    expect(await todayFigures(page)).toEqual(
      allFigures({ Visits: 3, Women: 2, 'Anonymous visits': 1, Meal: 2, Shower: 1, Laundry: 1, 'Clean clothes': 1 }),
    );

    // José's visit was recorded by mistake: voided with a reason, it counts nowhere, services included.
    await page.getByRole('button', { name: /^Void the visit of José at \d\d:\d\d$/ }).click();
    const voiding = dialog(page, 'Void the visit of José');
    await voiding.getByRole('button', { name: 'Void visit' }).click();
    await expect.poll(() => voiding.getByRole('alert').textContent()).toBe('Choose a reason for voiding this visit.');
    await voiding.getByRole('combobox', { name: 'Reason' }).selectOption({ label: 'Recorded by mistake' });
    await voiding.getByRole('button', { name: 'Void visit' }).click();
    await voiding.waitFor({ state: 'detached' });
    await expect.poll(() => notice(page).textContent()).toBe('Visit voided. It no longer counts anywhere.');
    expect(await todayFigures(page)).toEqual(EXPECTED);
    await expectDayOnScreen();
  });

  test('a reload, offline, keeps everything', async () => {
    const { page } = rig.browser;
    await page.reload();
    await waitLocked(page);
    // Locked after the reload: nothing about the women is on screen.
    expect(await page.locator('body').innerText()).not.toMatch(/José|Anna Maria/);
    await unlock(page);
    expect(await todayFigures(page)).toEqual(EXPECTED);
    await expectDayOnScreen();
  });

  test('closing and reopening the browser, still offline, keeps everything', async () => {
    await rig.browser.reopen();
    await rig.browser.context.setOffline(true);
    const { page } = rig.browser;
    await page.goto(rig.served.url);
    await waitLocked(page);
    expect(await page.evaluate(() => [navigator.onLine, Boolean(navigator.serviceWorker.controller)])).toEqual([false, true]);
    await unlock(page, ADMIN.name, ADMIN.pin);
    expect(await todayFigures(page)).toEqual(EXPECTED);
    await expectDayOnScreen();

    // Search still works from the reopened device: the directory came back too.
    await openTab(page, 'Check in');
    await search(page).fill('JOSE');
    await expect.poll(() => page.getByRole('list', { name: 'Matching women' }).getByRole('button').allInnerTexts()).toEqual(['José']);
    // And the service worker, not the network, served all of it.
    expect(rig.browser.foreignRequests).toEqual([]);
  });
});

/** After the void: Anna Maria (laundry, shower) and one anonymous visit (meal). */
const EXPECTED = allFigures({ Visits: 2, Women: 1, 'Anonymous visits': 1, Meal: 1, Shower: 1, Laundry: 1 });

async function expectDayOnScreen(): Promise<void> {
  const { page } = rig.browser;
  await openTab(page, 'Today');
  const visits = page.getByRole('list', { name: 'Today’s visits' }).getByRole('listitem');
  const texts = (await visits.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  expect(texts).toHaveLength(2);
  expect(texts.some((t) => /^Anna Maria \d\d:\d\d Shower Laundry|^Anna Maria \d\d:\d\d Laundry Shower/.test(t))).toBe(true);
  expect(texts.some((t) => /^Anonymous \d\d:\d\d Meal/.test(t))).toBe(true);
  expect(await page.getByText('Voided today (1)').isVisible()).toBe(true);
}
