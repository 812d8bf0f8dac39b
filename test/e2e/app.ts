/**
 * What a person does with Footfall, as steps the end-to-end tests share. Every element is found
 * by its role and accessible name, as someone using the screen (or a screen reader) finds it.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { openBrowser, serveApp, type Browser, type Served } from './harness.ts';

/** The button that joins a device set up on its own, keeping its records. */

export const ADMIN = { name: 'Grace Okafor', pin: '472913' };
export const DEVICE = { name: 'Front desk tablet', site: 'Drop-in centre' };

/** The services a new organisation starts with, in the order the screens show them. */
export const SERVICES = ['Meal', 'Shower', 'Laundry', 'Clean clothes', 'Advice'] as const;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An accessible name that is exactly `text`. */
export const exactly = (text: string) => new RegExp(`^${escape(text)}$`);

/** Fills the first-run form and waits for the unlocked app. */
export async function setUpDevice(page: Page, admin = ADMIN, device = DEVICE): Promise<void> {
  const form = page.getByRole('heading', { name: 'Set up a new organisation' });
  const welcome = page.getByRole('heading', { name: 'Welcome to Footfall' });
  await expect.poll(async () => (await welcome.isVisible()) || (await form.isVisible()), { timeout: 15_000 }).toBe(true);
  if (await welcome.isVisible()) await page.getByRole('button', { name: 'Set up a new organisation' }).click();
  await page.getByRole('textbox', { name: 'Device name' }).fill(device.name);
  await page.getByRole('textbox', { name: 'Site' }).fill(device.site);
  await page.getByRole('textbox', { name: 'Your name' }).fill(admin.name);
  await page.getByLabel('Your PIN (6 to 12 digits)').fill(admin.pin);
  await page.getByLabel('Your PIN again').fill(admin.pin);
  await page.getByRole('button', { name: 'Set up this device' }).click();
  await waitUnlocked(page);
}

export async function waitUnlocked(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Lock', exact: true }).waitFor({ timeout: 20_000 });
}

export async function waitLocked(page: Page): Promise<void> {
  await page.getByRole('heading', { name: 'Footfall is locked' }).waitFor({ timeout: 20_000 });
}

/** The Lock button pressed, until the lock screen is up. */
export async function lockNow(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await waitLocked(page);
}

/** Picks her name (when there is a choice) and enters her PIN. Does not wait for the outcome. */
export async function enterPin(page: Page, staffName: string, pin: string): Promise<void> {
  await waitLocked(page);
  const me = page.getByRole('radio', { name: staffName });
  if (!(await me.isChecked())) await me.check();
  await page.getByLabel('PIN', { exact: true }).fill(pin);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

export async function unlock(page: Page, staffName = ADMIN.name, pin = ADMIN.pin): Promise<void> {
  await enterPin(page, staffName, pin);
  await waitUnlocked(page);
}

export async function openTab(page: Page, tab: 'Check in' | 'Today' | 'Settings'): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: tab, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: tab === 'Today' ? /^Today, / : exactly(tab) }).waitFor();
}

export function dialog(page: Page, title: string | RegExp): Locator {
  return page.getByRole('dialog', { name: typeof title === 'string' ? exactly(title) : title });
}

/** Taps each service tile (toggling it). */
export async function tapServices(scope: Locator, services: readonly string[]): Promise<void> {
  for (const s of services) await scope.getByRole('button', { name: exactly(s) }).click();
}

export function search(page: Page): Locator {
  return page.getByRole('searchbox', { name: 'Find a woman by the name she goes by' });
}

export function notice(page: Page): Locator {
  return page.locator('main').getByRole('status').filter({ hasText: /\S/ }).first();
}

/** Searches for a name that is not there yet and uses the "Register “name” as new" button. */
export async function registerFromSearch(page: Page, knownAs: string, services: readonly string[]): Promise<void> {
  await openTab(page, 'Check in');
  await search(page).fill(knownAs);
  await page.getByRole('button', { name: `Register “${knownAs}” as new` }).click();
  const form = dialog(page, 'Register a new woman');
  await expect.poll(() => form.getByRole('textbox', { name: 'Known as' }).inputValue()).toBe(knownAs);
  await form.getByRole('button', { name: 'Register and check in' }).click();
  await saveCheckIn(page, knownAs, services);
}

/** The check-in dialog that follows a search or a registration: tick services, save. */
export async function saveCheckIn(page: Page, knownAs: string | null, services: readonly string[]): Promise<void> {
  const panel = dialog(page, knownAs ? `Check in ${knownAs}` : 'Anonymous visit');
  await panel.waitFor();
  await tapServices(panel, services);
  await panel.getByRole('button', { name: 'Save visit' }).click();
  await panel.waitFor({ state: 'detached' });
  await expect.poll(() => notice(page).textContent()).toBe(knownAs ? `Visit saved for ${knownAs}.` : 'Anonymous visit saved.');
}

export async function anonymousVisit(page: Page, services: readonly string[]): Promise<void> {
  await openTab(page, 'Check in');
  await page.getByRole('button', { name: 'Anonymous visit' }).click();
  await saveCheckIn(page, null, services);
}

/** A woman already registered: search, tap her, tick, save. */
export async function checkInReturning(page: Page, query: string, knownAs: string, services: readonly string[]): Promise<void> {
  await openTab(page, 'Check in');
  await search(page).fill(query);
  await page.getByRole('list', { name: 'Matching women' }).getByRole('button', { name: new RegExp(`^${escape(knownAs)}`) }).click();
  await saveCheckIn(page, knownAs, services);
}

/** Today's figures as the screen shows them: label → number. */
export async function todayFigures(page: Page): Promise<Record<string, number>> {
  await openTab(page, 'Today');
  const list = page.getByRole('definition').first();
  await list.waitFor();
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    const dl = [...document.querySelectorAll('dl')].find((d) => d.getAttribute('aria-label') === 'Today’s figures');
    for (const fig of dl?.querySelectorAll('dt') ?? []) {
      const dd = fig.nextElementSibling;
      out[fig.textContent!.trim()] = Number(dd?.textContent?.replace(/,/g, '').trim());
    }
    return out;
  });
}

/** Every figure the Today screen shows, with zero for each service not listed in `expected`. */
export function allFigures(expected: Partial<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { Visits: 0, Women: 0, 'Anonymous visits': 0 };
  for (const s of SERVICES) out[s] = 0;
  return { ...out, ...expected } as Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Sync: the status line, the Organisation card and the device's outbox

/** The always-visible sync status line in the top bar. */
export function syncStatus(page: Page): Locator {
  return page.getByRole('banner').getByRole('status');
}

export async function syncStatusText(page: Page): Promise<string> {
  return ((await syncStatus(page).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Waits until the status line matches, by itself (no button is pressed here). */
export async function waitForSyncStatus(page: Page, pattern: RegExp, timeout = 20_000): Promise<string> {
  await expect.poll(() => syncStatusText(page), { timeout }).toMatch(pattern);
  return syncStatusText(page);
}

/** What the Organisation card says once the device is enrolled ("… as a front desk device …"). */
export const ENROLLED = /^This device is enrolled with the organisation( as an? [a-z ]+ device)? and syncs by itself\.$/;

/** Settings → the Organisation card. */
export async function organisationCard(page: Page): Promise<Locator> {
  await openTab(page, 'Settings');
  const card = page.getByRole('region', { name: 'Organisation', exact: true });
  await card.waitFor();
  return card;
}

/** The text of a code the screen shows for copying (a read-only field or a labelled element). */
export async function shownCode(scope: Locator, label: string): Promise<string> {
  const el = scope.getByLabel(label, { exact: true });
  await el.waitFor();
  const text = await el.evaluate((node) => (node instanceof HTMLInputElement ? node.value : (node.textContent ?? '')));
  return text.trim();
}

/** The name the tests give the organisation they set up. */
export const ORGANISATION_NAME = 'Women’s Drop-in Centre';

/** Settings → Organisation → Set up a new organisation: up to the recovery kit. Returns the recovery code. */
export async function startOrganisation(card: Locator, passphrase: string, name = ORGANISATION_NAME): Promise<string> {
  await card.getByRole('button', { name: 'Set up a new organisation' }).click();
  await card.getByLabel('Organisation name').fill(name);
  await card.getByLabel('Admin passphrase (at least 12 characters)').fill(passphrase);
  await card.getByLabel('Passphrase again').fill(passphrase);
  await card.getByRole('button', { name: 'Make the keys and the recovery kit' }).click();
  return shownCode(card, 'Recovery code');
}

/** The kit is put away: the code leaves the screen, and the field to type it back comes. */
export async function putKitAway(card: Locator): Promise<void> {
  await card.getByRole('button', { name: 'I have printed it or written it down' }).click();
  await card.getByRole('textbox', { name: 'Type the recovery code from the printed kit' }).waitFor();
}

/** Types the recovery code back from the kit (put away first, if it is still shown) and creates the organisation. */
export async function finishOrganisation(card: Locator, typedRecoveryCode: string): Promise<void> {
  if (await card.getByRole('button', { name: 'I have printed it or written it down' }).count()) await putKitAway(card);
  await card.getByRole('textbox', { name: 'Type the recovery code from the printed kit' }).fill(typedRecoveryCode);
  await card.getByRole('button', { name: 'Check the kit and create the organisation' }).click();
  await card.getByText(ENROLLED).waitFor({ timeout: 20_000 });
}

/** On an enrolled admin device: a one-time code for another device. Returns the code as shown. */
export async function makeEnrolmentCode(card: Locator, use: 'Front desk' | 'Outreach' | 'Casework' | 'Admin' = 'Front desk'): Promise<string> {
  const shown = card.getByLabel('Enrolment code', { exact: true });
  // A code made before stays on screen until the new one replaces it: wait for the new one.
  const before = (await shown.count()) ? await shownCode(card, 'Enrolment code') : null;
  await card.getByRole('textbox', { name: 'Its name' }).fill(`${use} device`);
  await card.getByRole('combobox', { name: 'It will be used for' }).selectOption({ label: use });
  await card.getByRole('button', { name: 'Make a one-time code' }).click();
  await expect.poll(() => shownCode(card, 'Enrolment code'), { timeout: 20_000 }).not.toBe(before);
  return shownCode(card, 'Enrolment code');
}

/** On the admin's device: opens Settings, then adds a person with one role (addPerson). Returns her personal code. */
export async function addPersonHere(page: Page, name: string, role: 'Front desk' | 'Outreach' | 'Casework' | 'Admin'): Promise<string> {
  await openTab(page, 'Settings');
  return addPerson(page, name, role);
}

/**
 * A new device joins with the admin's code by its link (as scanning the QR code opens it), and
 * `person` sets her PIN there with her personal code. It is left unlocked by her.
 */
export async function joinWithCode(page: Page, url: string, code: string, person: { name: string; pin: string }, personalCode: string): Promise<void> {
  await page.goto(new URL(`/#enrol=${encodeURIComponent(code)}`, url).href);
  await page.getByRole('heading', { name: 'Join your organisation' }).waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('radio', { name: person.name }).check({ timeout: 20_000 });
  await page.getByRole('textbox', { name: 'Your personal code' }).fill(personalCode);
  await page.getByLabel('Choose your PIN (6 to 12 digits)').fill(person.pin);
  await page.getByLabel('Your PIN again').fill(person.pin);
  await page.getByRole('button', { name: 'Set my PIN and start' }).click();
  await waitUnlocked(page);
}

/**
 * Asks a device without Settings (a front-desk tablet) for a sync round now, as the network
 * coming back does. What the round brings is for the caller to wait for.
 */
export async function nudgeSync(page: Page): Promise<void> {
  await page.context().setOffline(true);
  await expect.poll(() => syncStatusText(page)).toMatch(/^Offline · /);
  await page.context().setOffline(false);
}

/** What this device's IndexedDB holds for sync: its id, saved events (the outbox) and sealed batches. */
export interface Outbox {
  deviceId: string;
  /** The events' row keys: keyed tags of their ids (docs/sync.md#the-outbox), not the ids. */
  eventKeys: string[];
  unsynced: number;
  batchIds: string[];
}

/** A row of a table, read straight from IndexedDB as a copy of the device would read it. */
export async function storedRow(page: Page, table: 'device' | 'settings', key: string): Promise<unknown> {
  return page.evaluate(async ([tableName, rowKey]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('footfall');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const req = db.transaction(tableName, 'readonly').objectStore(tableName).get(rowKey);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    } finally {
      db.close();
    }
  }, [table, key] as const);
}

/**
 * Settings → Organisation → Sync now: waits for the round the button runs (the button is off until
 * it is done, and the status line may already have said "last synced" before it), then for the
 * status line to say everything is up.
 */
export async function syncNow(page: Page): Promise<void> {
  const button = (await organisationCard(page)).getByRole('button', { name: 'Sync now' });
  await button.click();
  await expect.poll(() => button.isEnabled(), { timeout: 60_000 }).toBe(true);
  await waitForSyncStatus(page, /^Nothing waiting to sync; last synced \d\d:\d\d$/);
}

/** Reads the outbox straight from IndexedDB (row keys only: the events themselves are sealed). */
export async function readOutbox(page: Page): Promise<Outbox> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('footfall');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = <T,>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const req = db.transaction(store, 'readonly').objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result as T[]);
        req.onerror = () => reject(req.error);
      });
    try {
      const events = await all<{ id: string }>('outbox');
      const batches = await all<{ batchId: string }>('batches');
      const device = await all<{ key: string; deviceId?: string }>('device');
      return {
        deviceId: device.find((d) => d.key === 'identity')?.deviceId ?? '',
        eventKeys: events.map((e) => e.id),
        unsynced: events.length,
        batchIds: batches.map((b) => b.batchId),
      };
    } finally {
      db.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Staff, outreach and casework

/** A small phone, as an outreach worker holds it. */
export const PHONE_SIZE = { width: 360, height: 740 };

/** An admin's tab for outreach or casework (a worker with only that mode has no tabs: it is already open). */
export async function openMode(page: Page, mode: 'Outreach' | 'Casework'): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: mode, exact: true }).click();
  await modeHeading(page, mode).waitFor();
}

export function modeHeading(page: Page, mode: 'Outreach' | 'Casework'): Locator {
  return page.getByRole('heading', { level: 1, name: mode, exact: true });
}

/** A part of the outreach or casework form, by its legend. */
export function formGroup(page: Page, legend: string): Locator {
  return page.locator('main').getByRole('group', { name: legend, exact: true });
}

/** Who a contact was with: found by a search, registered new by her known-as name, or unknown. */
export type ContactWoman = { find: string; knownAs: string } | { register: string } | 'unknown';

export interface ContactSteps {
  area: { find: string; label: string };
  place: string;
  woman: ContactWoman;
  needs?: string[];
  support?: string[];
  referrals?: string[];
}

/** Fills the outreach form as a worker would and saves it; returns the confirmation shown. */
export async function recordContact(page: Page, c: ContactSteps): Promise<string> {
  const area = formGroup(page, 'Area');
  const areaButton = area.getByRole('button', { name: exactly(c.area.label) });
  // Her last area is already chosen; another is a few letters away.
  if ((await areaButton.count()) === 0 || (await areaButton.getAttribute('aria-pressed')) !== 'true') {
    await area.getByRole('searchbox', { name: 'Find an area' }).fill(c.area.find);
    await areaButton.click();
  }
  await formGroup(page, 'Kind of place').getByRole('radio', { name: exactly(c.place) }).check();
  await chooseWoman(page, c.woman);
  for (const [legend, labels] of [
    ['Needs raised', c.needs],
    ['Support given', c.support],
    ['Referrals made', c.referrals],
  ] as const) {
    for (const label of labels ?? []) await formGroup(page, legend).getByRole('button', { name: exactly(label) }).click();
  }
  await page.getByRole('button', { name: 'Save contact' }).click();
  const name = c.woman === 'unknown' ? 'Unknown' : 'register' in c.woman ? c.woman.register : c.woman.knownAs;
  const saved = page.locator('main').getByRole('status').filter({ hasText: /^Contact saved: / });
  await expect.poll(() => saved.textContent()).toMatch(new RegExp(`^Contact saved: ${escape(name)}, ${escape(c.area.label)}, \\d\\d:\\d\\d\\.`));
  return (await saved.textContent()) ?? '';
}

async function chooseWoman(page: Page, woman: ContactWoman): Promise<void> {
  const group = formGroup(page, 'The woman');
  if (woman === 'unknown') {
    await group.getByRole('button', { name: 'Unknown / did not give a name' }).click();
    return;
  }
  const searchbox = group.getByRole('searchbox', { name: 'Find a woman by the name she goes by' });
  if ('register' in woman) {
    await searchbox.fill(woman.register);
    await group.getByRole('button', { name: `New woman: “${woman.register}”` }).click();
    const form = dialog(page, 'Register a new woman');
    await expect.poll(() => form.getByRole('textbox', { name: 'Known as' }).inputValue()).toBe(woman.register);
    await form.getByRole('button', { name: 'Register', exact: true }).click();
    await form.waitFor({ state: 'detached' });
  } else {
    await searchbox.fill(woman.find);
    await page.getByRole('list', { name: 'Matching women' }).getByRole('button', { name: exactly(woman.knownAs) }).click();
  }
  await group.getByRole('button', { name: 'Change woman' }).waitFor();
}

/** Today's contacts on this phone, one line each. */
export async function todaysContacts(page: Page): Promise<string[]> {
  const list = page.getByRole('list', { name: 'Today’s contacts' });
  if ((await list.count()) === 0) return [];
  return (await list.getByRole('listitem').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').replace(/ Void$/, '').trim());
}

/** Voids today's contact with `knownAs` (the only one with her), with a reason from the list. */
export async function voidContact(page: Page, knownAs: string, reason: string): Promise<void> {
  await page.getByRole('list', { name: 'Today’s contacts' }).getByRole('button', { name: new RegExp(`^Void the contact with ${escape(knownAs)} at \\d\\d:\\d\\d$`) }).click();
  const form = dialog(page, new RegExp(`^Void the contact with ${escape(knownAs)} at`));
  await form.getByRole('combobox', { name: 'Reason' }).selectOption({ label: reason });
  await form.getByRole('button', { name: 'Void it' }).click();
  await form.waitFor({ state: 'detached' });
  await page.locator('main').getByRole('status').filter({ hasText: /^Voided the contact with / }).waitFor();
}

/** The sync status as the lock screen shows it, before anyone has unlocked. */
export async function lockScreenStatusText(page: Page): Promise<string> {
  await waitLocked(page);
  const status = page.getByRole('main').getByRole('status').filter({ hasText: /sync/ });
  return ((await status.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Reports, on an admin device

/** The Reports tab, as far as its first screen (the passphrase form, or the report). */
export async function openReports(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Reports', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
}

/** Reports → the organisation passphrase typed, until the archive is fetched and the report drawn. */
export async function openReportsWith(page: Page, passphrase: string): Promise<void> {
  await openReports(page);
  await page.getByLabel('Organisation passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Open reports' }).click();
  await expect
    .poll(() => page.getByRole('region', { name: 'Records on this device' }).getByRole('status').first().textContent(), { timeout: 30_000 })
    .toMatch(/records? from \d+ batch(es)? on this device, up to date/);
}

/** The Import tab, as far as its first screen (the passphrase form, or the file to choose). */
export async function openImport(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Import records' }).waitFor();
}

/** Import → the organisation passphrase typed, until a file can be chosen. */
export async function openImportWith(page: Page, passphrase: string): Promise<void> {
  await openImport(page);
  await page.getByLabel('Organisation passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Open the records' }).click();
  await page.getByLabel('CSV file of records').waitFor({ timeout: 30_000 });
}

/** A table of the report by its caption: each row's label → [this period, same period last year]. */
export async function reportTable(scope: Page | Locator, caption: string | RegExp): Promise<Record<string, [string, string]>> {
  const table = scope.getByRole('table', { name: caption });
  await table.waitFor();
  return table.evaluate((el) => {
    const out: Record<string, [string, string]> = {};
    for (const row of el.querySelectorAll('tbody tr')) {
      const head = row.querySelector('th')?.cloneNode(true) as HTMLElement | undefined;
      head?.querySelector('.footnote-mark')?.remove();
      const cells = [...row.querySelectorAll('td')].map((td) => td.textContent ?? '');
      if (head) out[head.textContent ?? ''] = [cells[0] ?? '', cells[1] ?? ''];
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Two devices of one organisation

/** The admin's laptop, and the front-desk tablet with the member of staff who uses it. */
export const LAPTOP = { name: 'Admin laptop', site: 'Drop-in centre' };
export const TABLET = DEVICE;
export const DESK = { name: 'Amira Haddad', pin: '583920' };

export interface LaptopAndTablet {
  served: Served;
  laptop: Browser;
  tablet: Browser;
}

/**
 * The served app and endpoint, and the admin's laptop and a front-desk tablet, each in its own
 * Chromium profile: opened before the file's tests and closed after them. The fields are filled
 * in by then, so read them inside tests, not when the file loads.
 */
export function laptopAndTablet(): LaptopAndTablet {
  const two = {} as LaptopAndTablet;
  beforeAll(async () => {
    two.served = await serveApp();
    two.laptop = await openBrowser(two.served.url);
    two.tablet = await openBrowser(two.served.url);
  });
  afterAll(async () => {
    await two.laptop?.dispose();
    await two.tablet?.dispose();
    await two.served?.dispose();
  });
  return two;
}

/** The codes shown once while an organisation and its tablet are set up: what a copy must not hold. */
export interface SetUpCodes {
  recoveryCode: string;
  personalCode: string;
  enrolmentCode: string;
}

/**
 * The admin sets up the organisation on the laptop and adds the desk's volunteer; the tablet joins
 * as a front-desk device with her code, and the volunteer sets her PIN there.
 */
export async function organisationWithTablet({ served, laptop, tablet }: LaptopAndTablet, passphrase: string): Promise<SetUpCodes> {
  await laptop.page.goto(served.url);
  await setUpDevice(laptop.page, ADMIN, LAPTOP);
  const card = await organisationCard(laptop.page);
  const recoveryCode = await startOrganisation(card, passphrase);
  await finishOrganisation(card, recoveryCode);
  const personalCode = await addPersonHere(laptop.page, DESK.name, 'Front desk');
  const enrolmentCode = await makeEnrolmentCode(await organisationCard(laptop.page), 'Front desk');
  await joinWithCode(tablet.page, served.url, enrolmentCode, DESK, personalCode);
  return { recoveryCode, personalCode, enrolmentCode };
}

// ---------------------------------------------------------------------------------------------
// People and joined devices

/** Settings → People: adds a person with one role; returns her personal code, as the screen shows it once. */
export async function addPerson(page: Page, name: string, role: 'Front desk' | 'Outreach' | 'Casework' | 'Admin'): Promise<string> {
  const people = page.getByRole('region', { name: 'People' });
  const form = people.getByRole('form', { name: 'Add a person' });
  await form.getByRole('textbox', { name: 'Her name, as colleagues know her' }).fill(name);
  await form.getByRole('checkbox', { name: role, exact: true }).check();
  await form.getByRole('button', { name: 'Add person' }).click();
  const code = await shownCode(people, `${name}’s personal code`);
  await people.getByRole('button', { name: 'I have given it to her' }).click();
  return code;
}

/** Settings → Organisation: a one-time code for a device with this name and use, as the QR link carries it. */
export async function deviceLink(card: Locator, appUrl: string, name: string, use: 'Front desk' | 'Outreach' | 'Casework' | 'Admin'): Promise<string> {
  await card.getByRole('textbox', { name: 'Its name' }).fill(name);
  await card.getByRole('combobox', { name: 'It will be used for' }).selectOption({ label: use });
  const before = (await card.getByLabel('Enrolment code', { exact: true }).count()) ? await shownCode(card, 'Enrolment code') : null;
  await card.getByRole('button', { name: 'Make a one-time code' }).click();
  await expect.poll(() => shownCode(card, 'Enrolment code'), { timeout: 20_000 }).not.toBe(before);
  const code = await shownCode(card, 'Enrolment code');
  return new URL(`/#enrol=${encodeURIComponent(code)}`, appUrl).href;
}

/**
 * Opens a device's QR link, and its first person sets her PIN with her personal code.
 * `onScreen` runs on each of the two join screens (an accessibility audit, say).
 */
export async function joinByLink(
  page: Page,
  link: string,
  person: { name: string; pin: string; code: string },
  onScreen: (what: string) => Promise<void> = async () => undefined,
): Promise<void> {
  await page.goto(link);
  await page.getByRole('heading', { name: 'Join your organisation' }).waitFor({ timeout: 20_000 });
  await onScreen('join: the code');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Join ${ORGANISATION_NAME}` }).waitFor({ timeout: 20_000 });
  await onScreen('join: who are you');
  await page.getByRole('radio', { name: person.name }).check();
  await page.getByRole('textbox', { name: 'Your personal code' }).fill(person.code);
  await page.getByLabel('Choose your PIN (6 to 12 digits)').fill(person.pin);
  await page.getByLabel('Your PIN again').fill(person.pin);
  await page.getByRole('button', { name: 'Set my PIN and start' }).click();
  await waitUnlocked(page);
  // The code leaves the address once the join is complete, a moment after the device opens.
  await expect.poll(() => new URL(page.url()).hash, { timeout: 20_000 }).toBe('');
}
