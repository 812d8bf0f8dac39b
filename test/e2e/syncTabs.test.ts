/**
 * The outbox under two kinds of pressure, on a front-desk tablet enrolled with the real endpoint
 * (Fastify + SQLite in a temp data folder):
 *
 * 1. Two tabs of the same profile both save visits, and both sync. One tab is unlocked at a time:
 *    unlocking one locks the other, saying why (docs/security.md#one-unlocked-tab), and a locked
 *    tab still uploads what it sealed. Web Locks let one tab sync at a time: no two rounds overlap
 *    (the lock is watched from inside each tab), no batch is uploaded twice, and opening every
 *    stored batch with the admin's keys finds each saved event exactly once.
 * 2. An app update with a full outbox: records waiting (already sealed into batches) while the
 *    server cannot be reached, a new version deployed and accepted, then the connection comes
 *    back: every waiting record is uploaded, once, by the new version.
 *
 * What is proven where: the exactly-once invariant is checked here from the server's side, by
 * opening the stored batches in Node with the admin's passphrase and enrolment code (see
 * harness.ts, openServerArchive); test/app/sync.test.ts proves it through readArchive.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page, Response, Route } from 'playwright-core';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { enrolmentPackage, openBrowser, openServerArchive, serveApp, waitForOfflineReady, type Browser, type EnrolmentPackage, type OpenedBatch, type Served } from './harness.ts';
import {
  ADMIN,
  addPersonHere,
  anonymousVisit,
  finishOrganisation,
  joinWithCode,
  makeEnrolmentCode,
  organisationCard,
  readOutbox,
  registerFromSearch,
  setUpDevice,
  startOrganisation,
  unlock,
  waitForSyncStatus,
  waitLocked,
} from './app.ts';

const PASSPHRASE = 'quince harbour velvet ninety';
const DESK = { name: 'Amira Haddad', pin: '583920' };
const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;

let served: Served;
let tablet: Browser;
let nextVersion: string;
let enrolmentCode = '';
/** Its package, read before the tablet claims it (the server empties it then). */
let pkg: EnrolmentPackage;
/** The personal code the admin gave the desk's volunteer. */
let deskCode = '';
let tabletId = '';
/** Every batch upload the tablet made, as the browser saw it: batch id and HTTP status. */
const uploads: { batchId: string; status: number }[] = [];

/**
 * Watches the sync lock from inside every page of the tablet: each time the app's callback for
 * 'footfall-sync' runs, when it started and ended (wall-clock ms), and whether the lock was
 * granted. Observation only: the app's own request goes through unchanged.
 */
const WATCH_SYNC_LOCK = `(() => {
  if (!('locks' in navigator)) return;
  const log = [];
  Object.defineProperty(window, '__syncLockLog', { value: log });
  const request = LockManager.prototype.request;
  LockManager.prototype.request = function (name, ...rest) {
    const callback = rest.pop();
    if (name !== 'footfall-sync' || typeof callback !== 'function') return request.call(this, name, ...rest, callback);
    const watched = async (lock) => {
      const entry = { granted: Boolean(lock), start: performance.timeOrigin + performance.now(), end: 0 };
      log.push(entry);
      try {
        return await callback(lock);
      } finally {
        entry.end = performance.timeOrigin + performance.now();
      }
    };
    return request.call(this, name, ...rest, watched);
  };
})();`;

interface LockEntry {
  granted: boolean;
  start: number;
  end: number;
}

beforeAll(async () => {
  // The next version: the same build with a changed service worker, as a deploy would bring.
  nextVersion = mkdtempSync(join(tmpdir(), 'footfall-next-'));
  cpSync(resolve('dist'), nextVersion, { recursive: true });
  appendFileSync(join(nextVersion, 'sw.js'), '\n// next version, with the outbox full\n');
  served = await serveApp();
  tablet = await openBrowser(served.url);
  tablet.context.on('response', (r: Response) => {
    const match = /\/api\/orgs\/[^/]+\/batches\/([^/?]+)$/.exec(r.url());
    if (r.request().method() === 'PUT' && match) uploads.push({ batchId: match[1]!, status: r.status() });
  });
});

afterAll(async () => {
  await tablet?.dispose();
  await served?.dispose();
  rmSync(nextVersion, { recursive: true, force: true });
});

describe('the outbox with two tabs, and across an app update', () => {
  test('an admin laptop makes the organisation and a code; the tablet enrols', async () => {
    const laptop = await openBrowser(served.url);
    try {
      const { page } = laptop;
      await page.goto(served.url);
      await setUpDevice(page, ADMIN, { name: 'Admin laptop', site: 'Drop-in centre' });
      const card = await organisationCard(page);
      await finishOrganisation(card, await startOrganisation(card, PASSPHRASE));
      deskCode = await addPersonHere(page, DESK.name, 'Front desk');
      enrolmentCode = await makeEnrolmentCode(await organisationCard(page), 'Front desk');
      pkg = await enrolmentPackage(served.dataDir, enrolmentCode);
    } finally {
      await laptop.dispose();
    }

    const { page } = tablet;
    await joinWithCode(page, served.url, enrolmentCode, DESK, deskCode);
    await waitForOfflineReady(page);
    await waitForSyncStatus(page, LAST_SYNCED);
    tabletId = (await readOutbox(page)).deviceId;
  });

  test('two tabs save in turn, one unlocked at a time; one syncs at a time; each event is stored once', async () => {
    await tablet.context.addInitScript(WATCH_SYNC_LOCK);
    const first = tablet.page;
    await first.reload();
    await unlock(first, DESK.name, DESK.pin);
    // Online: each save asks its tab to sync half a second later.
    await registerFromSearch(first, 'Ines', ['Meal']);
    await anonymousVisit(first, ['Meal']);
    await waitForSyncStatus(first, LAST_SYNCED, 15_000);
    const second = await tablet.context.newPage();
    await second.goto(served.url);
    await unlock(second, DESK.name, DESK.pin);
    try {
      // Unlocking the second tab locked the first, which says why.
      await waitLocked(first);
      await expect.poll(() => first.getByText('Locked here because Footfall was unlocked in another tab.', { exact: false }).count()).toBe(1);
      await registerFromSearch(second, 'Wanjiru', ['Shower']);
      await anonymousVisit(second, ['Laundry']);
      await waitForSyncStatus(second, LAST_SYNCED, 15_000);

      // Offline, each tab saves in turn (unlocking one locks the other, which seals what it saved);
      // when the network comes back, both tabs hear 'online' at the same moment and both reach for
      // the lock: one syncs, the other waits its turn. The locked one uploads what it sealed.
      await tablet.context.setOffline(true);
      for (let i = 0; i < 2; i++) await anonymousVisit(second, ['Laundry']);
      await unlock(first, DESK.name, DESK.pin);
      await waitLocked(second);
      for (let i = 0; i < 2; i++) await anonymousVisit(first, ['Meal']);
      await waitForSyncStatus(first, /^Offline · \d+ records? waiting to sync since [^;]+; last synced \d\d:\d\d$/);
      // A slow connection (each API request a quarter of a second) makes each round last long
      // enough that the two tabs' rounds are sure to meet.
      const slow = (route: Route) => new Promise((r) => setTimeout(r, 250)).then(() => route.continue());
      await tablet.context.route(/\/api\//, slow);
      const skippedBefore = (await lockLog(first)).concat(await lockLog(second)).filter((e) => !e.granted).length;
      await tablet.context.setOffline(false);
      // Both tabs end up showing nothing waiting, by themselves, well within the minute of the periodic round.
      await waitForSyncStatus(first, LAST_SYNCED, 15_000);
      // The second tab is locked: its status line catches up at its own next round (a minute at
      // most, when the other tab's round sent the rest); the outbox both share is checked below.
      await tablet.context.unroute(/\/api\//, slow);
      await expect.poll(() => readOutbox(first)).toMatchObject({ eventKeys: [], unsynced: 0, batchIds: [] });
      // 2 registrations + their 2 visits + 6 anonymous visits.
      const saved = 10;

      // One tab at a time: no two rounds that held the lock overlap, across both tabs.
      const logs = [await lockLog(first), await lockLog(second)];
      for (const log of logs) expect(log.some((e) => e.granted)).toBe(true);
      const granted = logs.flat().filter((e) => e.granted && e.end > 0).sort((a, b) => a.start - b.start);
      for (let i = 1; i < granted.length; i++) expect(granted[i]!.start).toBeGreaterThanOrEqual(granted[i - 1]!.end - 1);
      // And the lock was contended: on reconnecting, a tab found the other one syncing and waited.
      const skipped = logs.flat().filter((e) => !e.granted).length;
      expect(skipped).toBeGreaterThan(skippedBefore);
      console.info(`sync lock: ${granted.length} rounds held it, ${skipped} found it taken by the other tab`);

      // No batch uploaded twice: each PUT stored a new batch.
      expect(uploads.length).toBeGreaterThan(0);
      expect(new Set(uploads.map((u) => u.batchId)).size).toBe(uploads.length);
      expect(uploads.every((u) => u.status === 201)).toBe(true);

      // The server holds those batches, and in them each saved event exactly once.
      const batches = await tabletBatches();
      expect(batches.map((b) => b.batchId).sort()).toEqual(uploads.map((u) => u.batchId).sort());
      const events = eventsOf(batches);
      expect(events).toHaveLength(saved);
      expect(new Set(events.map((e) => e.id)).size).toBe(saved);
      const visits = events.filter((e): e is Extract<FootfallEvent, { type: 'visit.checkedIn' }> => e.type === 'visit.checkedIn');
      expect(visits.map((v) => v.services.join('+')).sort()).toEqual(['laundry', 'laundry', 'laundry', 'meal', 'meal', 'meal', 'meal', 'shower']);
    } finally {
      await second.close();
    }
  });

  test('an app update with a full outbox carries every waiting record across, and then syncs it', async () => {
    const { page, context } = tablet;
    const storedBefore = (await tabletBatches()).length;

    // Offline, three records saved: they wait, sealed into batches for the server.
    await context.setOffline(true);
    await registerFromSearch(page, 'Thandiwe', ['Meal']);
    await anonymousVisit(page, ['Shower']);
    await waitForSyncStatus(page, /^Offline · 3 records waiting to sync since [^;]+; last synced \d\d:\d\d$/);
    await expect.poll(async () => (await readOutbox(page)).batchIds.length).toBeGreaterThan(0);
    const waiting = await readOutbox(page);
    expect(waiting.unsynced).toBe(3);

    // A new version is deployed. The network comes back, but not the way to the API (as behind a
    // broken proxy), so the records are still waiting when the update is offered and accepted.
    await served.restart({ staticDir: nextVersion });
    await context.route(/\/api\//, (route) => route.abort('internetdisconnected'));
    await context.setOffline(false);
    await page.reload();
    await unlock(page, DESK.name, DESK.pin);
    const banner = page.getByRole('region', { name: 'App update' });
    await banner.waitFor({ timeout: 30_000 });
    await waitForSyncStatus(page, /^3 records waiting to sync since [^;]+; last synced \d\d:\d\d$/);
    await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Update now' }).click()]);
    await waitLocked(page);
    await unlock(page, DESK.name, DESK.pin);
    expect(await page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting))).toBe(false);

    // The new version holds the same outbox: the same events, the same sealed batches.
    await waitForSyncStatus(page, /^3 records waiting to sync since [^;]+; last synced \d\d:\d\d$/);
    const after = await readOutbox(page);
    expect(after.eventKeys.sort()).toEqual([...waiting.eventKeys].sort());
    expect(after.unsynced).toBe(3);
    expect(after.batchIds).toEqual(expect.arrayContaining(waiting.batchIds));
    expect((await tabletBatches()).length).toBe(storedBefore);

    // The way to the server is back: the next 'online' starts a round by itself.
    await context.unroute(/\/api\//);
    await context.setOffline(true);
    await context.setOffline(false);
    // On a loaded machine the round 'online' starts may meet one already backing off: the
    // periodic round (a minute) is the fallback, so the wait allows for it.
    await waitForSyncStatus(page, LAST_SYNCED, 90_000);
    await expect.poll(() => readOutbox(page)).toMatchObject({ eventKeys: [], unsynced: 0, batchIds: [] });

    // Nothing lost, nothing twice: the three waiting events are on the server, each once.
    const batches = await tabletBatches();
    expect(batches.length).toBeGreaterThan(storedBefore);
    const events = eventsOf(batches);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // The very batches the old version sealed were uploaded by the new one.
    expect(batches.map((b) => b.batchId)).toEqual(expect.arrayContaining(after.batchIds));
    expect(events).toHaveLength(13);
    expect(new Set(uploads.map((u) => u.batchId)).size).toBe(batches.length);
  });
});

async function lockLog(page: Page): Promise<LockEntry[]> {
  return page.evaluate(() => [...((window as unknown as { __syncLockLog?: LockEntry[] }).__syncLockLog ?? [])]);
}

async function tabletBatches(): Promise<OpenedBatch[]> {
  return (await openServerArchive(served.dataDir, { passphrase: PASSPHRASE, pkg })).filter((b) => b.deviceId === tabletId);
}

/** Every event in the batches, not deduplicated. */
/** The records the tablet's people saved: its own statement that it joined (docs/security.md#devices) left out. */
function eventsOf(batches: OpenedBatch[]): FootfallEvent[] {
  return batches.flatMap((b) => [...b.activity, ...b.directory]).filter((e) => e.type !== 'device.joined');
}
