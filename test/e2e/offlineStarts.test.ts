/**
 * Offline cold starts, over and over: a device set up online, then the server gone for good and
 * Chromium closed and started again on the same profile a dozen times. Every start must be
 * answered by the service worker and reach the lock screen's Unlock button, and the device must
 * still unlock at the end. (The bench runs the same starts a hundred times and times them.)
 */
import { describe, expect, test } from 'vitest';
import { appInBrowser, waitForOfflineReady } from './harness.ts';
import { offlineStart } from './offlineStart.ts';
import { anonymousVisit, setUpDevice, todayFigures, allFigures, unlock } from './app.ts';

const RESTARTS = 12;

const rig = appInBrowser();

describe('offline cold starts', () => {
  test(`${RESTARTS} browser restarts with the server gone all reach the Unlock button`, { timeout: 600_000 }, async () => {
    await rig.browser.page.goto(rig.served.url);
    await setUpDevice(rig.browser.page);
    await anonymousVisit(rig.browser.page, ['Meal']);
    await waitForOfflineReady(rig.browser.page);
    await rig.served.stop();

    const failures: string[] = [];
    for (let round = 1; round <= RESTARTS; round++) {
      const start = await offlineStart(rig.browser, rig.served.url, 60_000);
      if (!start.ok) failures.push(`start ${round}: ${start.reason}`);
      else if (!start.sample.controlled) failures.push(`start ${round}: not controlled by the service worker`);
    }
    expect(failures).toEqual([]);

    // The last start is a working device: the visit saved before the restarts is there.
    await unlock(rig.browser.page);
    expect(await todayFigures(rig.browser.page)).toEqual(allFigures({ Visits: 1, 'Anonymous visits': 1, Meal: 1 }));
  });
});
