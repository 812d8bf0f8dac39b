/**
 * A copy of a locked device's browser profile, read as a thief would read it
 * (docs/security.md#what-a-copy-of-a-locked-device-shows). In real Chromium the admin sets up the
 * organisation on her laptop and a tablet joins; two women are registered with details and checked
 * in, some records reach the server and some are saved offline and left waiting; both devices lock
 * and their browsers close. Each profile folder is then copied and the copy opened in a new
 * Chromium with no network and no server, at the app's origin, without unlocking: every IndexedDB
 * database of the origin (every store, key and value) and localStorage are read with the plain
 * browser APIs, and every file of the copy is searched as bytes.
 *
 * Every field found must be on one allow-list, EXPOSURES below, which is docs/security.md's table
 * point by point; a time (in a UUIDv7, an ISO date, an epoch-milliseconds number) passes only on a
 * field whose point says it gives one; a woman's name or detail passes nowhere. And every point
 * must still be found, with every kind of time it says it gives: the list cannot go stale either way.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import {
  ADMIN,
  DESK,
  anonymousVisit,
  dialog,
  laptopAndTablet,
  openReportsWith,
  openTab,
  organisationWithTablet,
  saveCheckIn,
  search,
  waitForSyncStatus,
  waitLocked,
  type SetUpCodes,
} from './app.ts';
import type { Page } from 'playwright-core';
import { copyProfile, filesUnder, hits, holdsAppCode, openCopyOffline, readOriginStorage, type OriginStorage, type Plain } from './profileCopy.ts';

const PASSPHRASE = 'heron lantern copper fifteen';

/** Two women and what each shared, as the form labels it and as records key it. */
const WOMEN = [
  { name: 'Philippa Quennell', age: { label: '25–34', value: '25-34' }, housing: { label: 'Sofa surfing', value: 'sofa-surfing' }, exploitation: { label: 'Trafficking', value: 'trafficking' } },
  { name: 'Berenike Szabados', age: { label: '45–54', value: '45-54' }, housing: { label: 'Sleeping rough', value: 'rough-sleeping' }, exploitation: null },
] as const;
const WOMAN_WORDS = WOMEN.flatMap((w) => [
  w.name,
  ...w.name.split(' '),
  ...[w.age, w.housing, ...(w.exploitation ? [w.exploitation] : [])].flatMap((d) => [d.label, d.value]),
]);

const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;
const WAITING_OFFLINE = /^Offline · \d+ records? waiting to sync/;

const rig = laptopAndTablet();
let codes: SetUpCodes;
const copies: string[] = [];
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

async function register(page: Page, woman: (typeof WOMEN)[number], services: string[]): Promise<void> {
  await openTab(page, 'Check in');
  await search(page).fill(woman.name);
  await page.getByRole('button', { name: `Register “${woman.name}” as new` }).click();
  const form = dialog(page, 'Register a new woman');
  await form.getByRole('combobox', { name: 'Age' }).selectOption({ label: woman.age.label });
  await form.getByRole('combobox', { name: 'Housing situation' }).selectOption({ label: woman.housing.label });
  if (woman.exploitation) await form.getByRole('checkbox', { name: woman.exploitation.label }).check();
  await form.getByRole('button', { name: 'Register and check in' }).click();
  await saveCheckIn(page, woman.name, services);
}

async function lock(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await waitLocked(page);
}

// ---------------------------------------------------------------------------------------------
// What a copy holds, field by field

type DeviceName = 'laptop' | 'tablet';

/** One value a copy holds, and where: `footfall.staff[<uuid>].name`, `footfall.events[<n>] key`, `localStorage[footfall.lockScreen].staff[].id`. */
interface Leaf {
  where: string;
  value: string | number | boolean | null;
}

/** A row's key with its random or counting parts named, so rows of one kind share a place. */
function rowName(key: Plain): string {
  if (typeof key === 'number') return '<n>';
  if (typeof key !== 'string') return '<other>';
  return key
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\b[0-9a-f]{32}\b/gi, '<tag>')
    .replace(/\d+/g, '<n>');
}

function leavesOf(value: Plain, where: string, out: Leaf[]): Leaf[] {
  if (Array.isArray(value)) value.forEach((v) => leavesOf(v, `${where}[]`, out));
  else if (value && typeof value === 'object') {
    if ('$bytes' in value) out.push({ where: `${where} (bytes)`, value: value.$bytes });
    else if ('$cryptoKey' in value) out.push({ where: `${where} (CryptoKey)`, value: value.$cryptoKey });
    else if ('$other' in value) out.push({ where: `${where} (${value.$other})`, value: null });
    else for (const [k, v] of Object.entries(value)) leavesOf(v, `${where}.${k}`, out);
  } else out.push({ where, value });
  return out;
}

function leavesOfCopy(storage: OriginStorage): Leaf[] {
  const out: Leaf[] = [];
  for (const [db, stores] of Object.entries(storage.indexedDb)) {
    for (const [store, rows] of Object.entries(stores)) {
      for (const { key, value } of rows) {
        const where = `${db}.${store}[${rowName(key)}]`;
        leavesOf(key, `${where} key`, out);
        leavesOf(value, where, out);
      }
    }
  }
  for (const [key, text] of Object.entries(storage.localStorage)) {
    let value: Plain = text;
    try {
      value = JSON.parse(text) as Plain;
    } catch {
      // Kept as the text it is.
    }
    leavesOf(value, `localStorage[${key}]`, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('a copy of a locked device’s profile', () => {
  test('the organisation set up on the laptop, the tablet joined', async () => {
    codes = await organisationWithTablet(rig, PASSPHRASE);
  });

  test('the tablet: a woman registered with details and checked in, synced; another registered offline, waiting; then it locks', async () => {
    const { page } = rig.tablet;
    await register(page, WOMEN[0], ['Meal']);
    await waitForSyncStatus(page, LAST_SYNCED, 30_000);
    await page.context().setOffline(true);
    await register(page, WOMEN[1], ['Shower', 'Laundry']);
    await anonymousVisit(page, ['Meal']);
    await waitForSyncStatus(page, WAITING_OFFLINE);
    await lock(page);
  });

  test('the laptop: the reports opened (the archive kept), a visit saved offline, waiting; then it locks', async () => {
    const { page } = rig.laptop;
    await openReportsWith(page, PASSPHRASE);
    await page.context().setOffline(true);
    await anonymousVisit(page, ['Advice']);
    await waitForSyncStatus(page, WAITING_OFFLINE);
    await lock(page);
  });

  const found: Record<DeviceName, Leaf[]> = { laptop: [], tablet: [] };

  test('both browsers closed, each profile copied and opened with no network and no server', async () => {
    await rig.laptop.close();
    await rig.tablet.close();
    const origin = rig.served.url;
    await rig.served.stop();
    for (const device of ['laptop', 'tablet'] as const) {
      const copy = copyProfile(rig[device].profile);
      copies.push(copy);
      let context: BrowserContext | null = null;
      try {
        const opened = await openCopyOffline(copy, origin);
        context = opened.context;
        // The blank page, not the app: the copy is read as it was left.
        expect(await opened.page.title()).toBe('A copy');
        found[device] = leavesOfCopy(await readOriginStorage(opened.page));
      } finally {
        await context?.close();
      }
      console.log(device, JSON.stringify([...new Map(found[device].map((l) => [l.where, l.value])).entries()], null, 1));
    }
  });
});
