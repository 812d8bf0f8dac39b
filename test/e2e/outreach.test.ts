/**
 * Outreach for days without signal, end to end, on the real endpoint (Fastify + SQLite) with three
 * Chromium profiles: the admin's laptop sets the organisation up; the drop-in's tablet registers
 * Precious; an outreach phone (360 x 740, touch, mobile) is enrolled, given an outreach worker,
 * and then works offline for three simulated days (Playwright's clock), closed and reopened
 * between days, recording contacts with a known woman (Precious, met first at the drop-in), a
 * new one (Blessing, registered on the phone) and unknown women. Back online it syncs by itself.
 *
 * Then, from the server's data folder and with only what the admin knows (her passphrase and a
 * code she made): every event the phone saved is stored exactly once, and the figures the
 * counting module makes from the archive are right, one woman counted once across the drop-in
 * and outreach. The tablet finds Blessing by name, and her visit and contacts are one woman.
 * axe finds nothing on the outreach and casework screens at phone size (casework at tablet too).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { countRecords, resolveRecords } from '../../src/domain/counting.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { instantOf, localDateOf, parseLocalDate, formatLocalDate } from '../../src/domain/time.ts';
import { axeViolations, smallTargets } from './a11y.ts';
import { enrolmentPackage, openBrowser, openServerArchive, serveApp, waitForOfflineReady, type Browser, type EnrolmentPackage, type Served } from './harness.ts';
import {
  ADMIN,
  PHONE_SIZE,
  addPersonHere,
  checkInReturning,
  finishOrganisation,
  formGroup,
  joinWithCode,
  lockScreenStatusText,
  makeEnrolmentCode,
  modeHeading,
  openMode,
  organisationCard,
  readOutbox,
  recordContact,
  registerFromSearch,
  search,
  setUpDevice,
  startOrganisation,
  todaysContacts,
  unlock,
  voidContact,
  waitForSyncStatus,
  waitLocked,
} from './app.ts';

const TZ = 'Europe/London';
const PASSPHRASE = 'harbour lantern seventeen quince';
const LAPTOP = { name: 'Admin laptop', site: 'Drop-in centre' };
const TABLET = { name: 'Front desk tablet', site: 'Drop-in centre' };
const DESK = { name: 'Amira Haddad', pin: '583920' };
const WORKER = { name: 'Olu Bankole', pin: '604172' };
const TABLET_SIZE = { width: 1280, height: 800 };
const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;

let served: Served;
let laptop: Browser;
let tablet: Browser;
let phone: Browser;
let tabletCode = '';
/** Its package, read before the tablet claims it (the server empties it then). */
let tabletPackage: EnrolmentPackage;
let phoneCode = '';
/** The personal codes the admin gave the desk's volunteer and the outreach worker. */
const personalCodes = new Map<string, string>();

/** The real date today, and the three days the phone spends offline after it. */
const today = localDateOf(Date.now(), TZ);
const [day1, day2, day3] = [1, 2, 3].map((n) => addDays(today, n)) as [string, string, string];
/** Every event the phone saved while offline, read from its outbox before it came back online. */
let savedOnPhone: string[] = [];

beforeAll(async () => {
  served = await serveApp();
  laptop = await openBrowser(served.url);
  tablet = await openBrowser(served.url);
  phone = await openBrowser(served.url, PHONE_SIZE, { isMobile: true, hasTouch: true, timezoneId: TZ, locale: 'en-GB' });
});

afterAll(async () => {
  await laptop?.dispose();
  await tablet?.dispose();
  await phone?.dispose();
  await served?.dispose();
});

function addDays(date: string, n: number): string {
  const [y, m, d] = parseLocalDate(date);
  const next = new Date(Date.UTC(y, m - 1, d + n));
  return formatLocalDate(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

/** "Thu": how the status line names a recent day. */
function weekday(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone: TZ }).format(new Date(instantOf(date, '12:00', TZ)));
}

/** axe and the 44 px check on the page as it is now; at the phone's size unless told. */
async function expectAccessible(page: Page, what: string, size = PHONE_SIZE): Promise<void> {
  await page.setViewportSize(size);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const problems = [...(await axeViolations(page)), ...(await smallTargets(page)).map((t) => `touch target too small: ${t}`)];
  expect(problems, `${what} at ${size.width}x${size.height}:\n${problems.join('\n\n')}`).toEqual([]);
}

/** A new day on the phone: the browser opened again, offline, its clock at `time` on `date`. */
async function startDay(date: string, time: string): Promise<Page> {
  await phone.reopen();
  await phone.context.setOffline(true);
  await phone.page.clock.install({ time: Date.parse(instantOf(date, time, TZ)) });
  await phone.page.goto(served.url);
  await unlock(phone.page, WORKER.name, WORKER.pin);
  await modeHeading(phone.page, 'Outreach').waitFor();
  // The date the form starts from is the phone's (simulated) today.
  expect(await phone.page.getByLabel('Date', { exact: true }).inputValue()).toBe(date);
  return phone.page;
}

describe('outreach offline for three days, then synced and counted', () => {
  test('the admin sets up the organisation, adds the desk’s volunteer and an outreach worker, and makes codes for a tablet and a phone', async () => {
    const { page } = laptop;
    await page.goto(served.url);
    await setUpDevice(page, ADMIN, LAPTOP);
    const recoveryCode = await startOrganisation(await organisationCard(page), PASSPHRASE);
    await finishOrganisation(await organisationCard(page), recoveryCode);
    personalCodes.set(DESK.name, await addPersonHere(page, DESK.name, 'Front desk'));
    personalCodes.set(WORKER.name, await addPersonHere(page, WORKER.name, 'Outreach'));
    const card = await organisationCard(page);
    tabletCode = await makeEnrolmentCode(card, 'Front desk');
    tabletPackage = await enrolmentPackage(served.dataDir, tabletCode);
    phoneCode = await makeEnrolmentCode(card, 'Outreach');
    expect(phoneCode).not.toBe(tabletCode);
  });

  test('the drop-in registers Precious on the tablet, and it syncs', async () => {
    const { page } = tablet;
    await joinWithCode(page, served.url, tabletCode, DESK, personalCodes.get(DESK.name)!);
    await registerFromSearch(page, 'Precious', ['Meal', 'Shower']);
    await waitForSyncStatus(page, LAST_SYNCED);
  });

  test('the phone joins for outreach and its worker sets her PIN there, seeing her mode only; casework and outreach pass axe', async () => {
    // Casework as the admin opens it on her laptop: axe at phone and tablet size.
    const desk = laptop.page;
    await openMode(desk, 'Casework');
    await modeHeading(desk, 'Casework').waitFor();
    await expectAccessible(desk, 'casework, empty');
    await expectAccessible(desk, 'casework, empty', TABLET_SIZE);
    await formGroup(desk, 'Topics').getByRole('button', { name: 'Housing' }).click();
    await formGroup(desk, 'Outcome').getByRole('radio', { name: 'Advice given' }).check();
    await desk.getByRole('button', { name: 'Save session' }).click();
    await desk.getByRole('alert').filter({ hasText: 'Choose the woman' }).waitFor();
    await expectAccessible(desk, 'casework, filled in, with an error');
    await expectAccessible(desk, 'casework, filled in, with an error', TABLET_SIZE);

    const { page } = phone;
    await joinWithCode(page, served.url, phoneCode, WORKER, personalCodes.get(WORKER.name)!);
    await waitForOfflineReady(page);

    // The outreach worker sees Outreach and nothing else; it passes axe on the phone.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await unlock(page, WORKER.name, WORKER.pin);
    await modeHeading(page, 'Outreach').waitFor();
    expect(await page.getByRole('navigation', { name: 'Screens' }).count()).toBe(0);
    await expectAccessible(page, 'outreach, empty');
    await formGroup(page, 'Area').getByRole('searchbox', { name: 'Find an area' }).fill('tower');
    await formGroup(page, 'Kind of place').getByRole('radio', { name: 'Street' }).check();
    await formGroup(page, 'Needs raised').getByRole('button', { name: 'Food' }).click();
    await page.getByRole('button', { name: 'Save contact' }).click();
    await page.getByRole('alert').filter({ hasText: 'Choose the woman' }).waitFor();
    await expectAccessible(page, 'outreach, filled in, with an error');
    await formGroup(page, 'The woman').getByRole('button', { name: 'New woman' }).click();
    await page.getByRole('dialog', { name: 'Register a new woman' }).waitFor();
    await expectAccessible(page, 'outreach, registering a new woman');
    await page.getByRole('dialog', { name: 'Register a new woman' }).getByRole('button', { name: 'Close' }).click();
    // Precious, met at the drop-in, is already in the phone's directory.
    const womanSearch = formGroup(page, 'The woman').getByRole('searchbox', { name: 'Find a woman by the name she goes by' });
    await womanSearch.fill('prec');
    await expect.poll(() => page.getByRole('list', { name: 'Matching women' }).getByRole('button').allInnerTexts(), { timeout: 20_000 }).toEqual(['Precious']);
    await womanSearch.fill('');
    await waitForSyncStatus(page, LAST_SYNCED);
  });

  test('day 1, offline: Precious and an unknown woman in Hackney; the status says since when', async () => {
    const page = await startDay(day1, '10:00');
    await recordContact(page, {
      area: { find: 'hack', label: 'Hackney' },
      place: 'Street',
      woman: { find: 'prec', knownAs: 'Precious' },
      needs: ['Food'],
      support: ['Food'],
    });
    await waitForSyncStatus(page, /^Offline · 1 record waiting to sync since 10:0\d; last synced [A-Z][a-z]{2} \d\d:\d\d$/);
    // An outreach phone holds what it sends for a random time, and says so (docs/sync.md#held-uploads).
    await page
      .getByRole('banner')
      .getByText(/^Held for up to \d+ minutes more, at a random time, so the server cannot tell when they were made; then sent once there is signal\.$/)
      .waitFor();

    // An hour and a half later the phone has locked itself. The lock screen says what is
    // waiting without any keys: the count and the last sync, not when the record was made.
    await page.clock.fastForward('01:30:00');
    expect(await lockScreenStatusText(page)).toMatch(/^Offline · 1 record waiting to sync; last synced [A-Z][a-z]{2} \d\d:\d\d$/);
    await unlock(page, WORKER.name, WORKER.pin);
    // Her last area is already chosen.
    await expect.poll(() => formGroup(page, 'Area').getByRole('button', { name: 'Hackney' }).getAttribute('aria-pressed')).toBe('true');
    await recordContact(page, {
      area: { find: 'hack', label: 'Hackney' },
      place: 'Hostel',
      woman: 'unknown',
      needs: ['Hygiene'],
      support: ['Hygiene kit'],
    });
    await waitForSyncStatus(page, /^Offline · 2 records waiting to sync since 10:0\d; last synced [A-Z][a-z]{2} \d\d:\d\d$/);
    expect(await todaysContacts(page)).toEqual([
      expect.stringMatching(/^Unknown 11:3\d Hackney · Hostel$/),
      expect.stringMatching(/^Precious 10:0\d Hackney · Street$/),
    ]);
  });

  test('day 2, offline: Blessing registered on the phone; Precious again', async () => {
    const page = await startDay(day2, '11:00');
    expect(await todaysContacts(page)).toEqual([]);
    await recordContact(page, {
      area: { find: 'south', label: 'Southwark' },
      place: 'Police station',
      woman: { register: 'Blessing' },
      needs: ['Safety'],
      support: ['Advice'],
      referrals: ['Legal advice'],
    });
    await recordContact(page, {
      area: { find: 'lamb', label: 'Lambeth' },
      place: 'Hospital',
      woman: { find: 'Prec', knownAs: 'Precious' },
      needs: ['Health'],
      referrals: ['GP'],
    });
    // Blessing's registration, her contact and Precious's: five waiting since yesterday.
    await waitForSyncStatus(page, new RegExp(`^Offline · 5 records waiting to sync since ${weekday(day1)} 10:0\\d; last synced [A-Z][a-z]{2} \\d\\d:\\d\\d$`));
  });

  test('day 3, offline: an unknown woman by phone, a mistaken contact voided; then online, it syncs by itself', async () => {
    const page = await startDay(day3, '09:15');
    await recordContact(page, { area: { find: 'westm', label: 'Westminster' }, place: 'Phone', woman: 'unknown', support: ['Signposting'] });
    await recordContact(page, { area: { find: 'westm', label: 'Westminster' }, place: 'Street', woman: { find: 'bless', knownAs: 'Blessing' } });
    await voidContact(page, 'Blessing', 'Recorded twice');
    expect(await todaysContacts(page)).toEqual([expect.stringMatching(/^Unknown 09:1\d Westminster · Phone$/)]);
    await waitForSyncStatus(page, new RegExp(`^Offline · 8 records waiting to sync since ${weekday(day1)} 10:0\\d; last synced [A-Z][a-z]{2} \\d\\d:\\d\\d$`));
    const waiting = await readOutbox(page);
    expect(waiting.unsynced).toBe(8);
    savedOnPhone = waiting.eventKeys;

    // Signal again. Nobody presses anything.
    await phone.context.setOffline(false);
    await waitForSyncStatus(page, LAST_SYNCED, 30_000);
    await expect.poll(() => readOutbox(page)).toMatchObject({ eventKeys: [], unsynced: 0, batchIds: [] });
    expect(phone.foreignRequests).toEqual([]);
  });

  test('the front desk finds Blessing by name on the tablet and checks her in', async () => {
    const { page } = tablet;
    // The tablet opens again (as each morning) and syncs by itself once unlocked.
    await page.reload();
    await waitLocked(page);
    await unlock(page, DESK.name, DESK.pin);
    await search(page).fill('bless');
    await expect.poll(() => page.getByRole('list', { name: 'Matching women' }).getByRole('button').allInnerTexts(), { timeout: 30_000 }).toEqual(['Blessing']);
    await checkInReturning(page, 'bless', 'Blessing', ['Meal', 'Advice']);
    await waitForSyncStatus(page, LAST_SYNCED);
  });

  test('every contact reached the server once, and the admin’s figures count them right', async () => {
    const batches = await openServerArchive(served.dataDir, { passphrase: PASSPHRASE, pkg: tabletPackage });
    const events: FootfallEvent[] = batches.flatMap((b) => [...b.activity, ...b.directory]);
    const occurrences = new Map<string, number>();
    for (const e of events) occurrences.set(e.id, (occurrences.get(e.id) ?? 0) + 1);
    expect([...occurrences.values()].every((n) => n === 1)).toBe(true);
    // The phone keys its rows by tags of the ids: eight distinct rows waited, each stored once above.
    expect(new Set(savedOnPhone).size).toBe(8);

    const contacts = events.filter((e) => e.type === 'outreach.contacted');
    expect(contacts).toHaveLength(6); // five that count and the one voided
    const womanId = (knownAs: string) => events.find((e) => e.type === 'woman.registered' && e.knownAs === knownAs)!.id;
    const [precious, blessing] = [womanId('Precious'), womanId('Blessing')];

    const records = resolveRecords(events, { timeZone: TZ });
    const outreach = records.filter((r) => r.kind === 'outreach');
    // Each dated by the phone's clock on the day it was recorded.
    expect(outreach.map((r) => r.date).sort()).toEqual([day1, day1, day2, day2, day3]);
    expect(outreach.map((r) => r.womanId)).toEqual(expect.arrayContaining([precious, precious, blessing, null, null]));

    const figures = countRecords(records, { from: today, to: day3 });
    expect(figures).toMatchObject({
      outreachContacts: 5,
      womenReached: 2,
      unknownContacts: 2,
      visits: 2,
      anonymousVisits: 0,
      // Precious: a visit and two contacts; Blessing: two contacts and a visit. Two women.
      uniqueWomen: 2,
      newWomen: 2,
      // Blessing had advice at the drop-in; advice given on outreach is support, not casework.
      womenSupported: 1,
      referrals: { 'legal-advice': 1, gp: 1 },
      byArea: { hackney: 2, southwark: 1, lambeth: 1, westminster: 1 },
    });
    // Day by day: the first day reached Precious alone, with one unknown woman.
    expect(countRecords(records, { from: day1, to: day1 })).toMatchObject({ outreachContacts: 2, womenReached: 1, unknownContacts: 1, uniqueWomen: 1 });
    // Today at the drop-in: both women, as visits.
    expect(countRecords(records, { from: today, to: today })).toMatchObject({ visits: 2, uniqueWomen: 2, outreachContacts: 0 });
  });
});

function card(page: Page) {
  return page.getByRole('region', { name: 'Organisation', exact: true });
}
