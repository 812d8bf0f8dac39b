/**
 * Records are encrypted at rest on the device. After women with distinctive names have been
 * registered and have had visits with services, nothing about them can be read from storage:
 * not from IndexedDB as the page sees it (every store, every value, every byte buffer), and not
 * from the Chromium profile's IndexedDB files on disk.
 *
 * What IS stored in the clear, by design (src/app/core/database.ts): the device's id and name,
 * the staff members' names and roles, and the PIN rate-limit counters, because the lock screen
 * has to show "who are you?" before anyone has unlocked, and the counters must hold while
 * locked. So the staff name below is expected in plain text; the test checks that it is found,
 * which also proves the search of the raw bytes works.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { appInBrowser, type Browser } from './harness.ts';
import { ADMIN, allFigures, anonymousVisit, dialog, openTab, registerFromSearch, saveCheckIn, setUpDevice, tapServices, todayFigures } from './app.ts';

const WOMEN = ['Zephyrine', 'Oluwaseun'];
const SERVICE_WORDS = ['Meal', 'Shower', 'meal', 'shower', 'Laundry', 'laundry', 'Clean clothes'];
/** What Zephyrine shared, as the screens label it and as it is keyed in records. */
const DETAILS = ['Trafficking', 'trafficking', 'Sleeping rough', 'rough-sleeping', '25–34', '25-34'];

const rig = appInBrowser();

/** Today as an ISO date, in UTC and in London (they differ for an hour a night in summer). */
function todayIso(): string[] {
  const now = new Date();
  const london = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return [...new Set([now.toISOString().slice(0, 10), london])];
}

interface Dump {
  stores: Record<string, { count: number; text: string }>;
}

/**
 * Every value of every object store of the 'footfall' database, as text: strings as they are,
 * numbers and booleans printed, and every ArrayBuffer or typed array both as latin1 (one
 * character per byte) and as UTF-8, so a name hidden in a byte buffer is found either way.
 */
async function dumpIndexedDb(browser: Browser): Promise<Dump> {
  return browser.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('footfall');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const latin1 = (bytes: Uint8Array) => {
      let s = '';
      for (const b of bytes) s += String.fromCharCode(b);
      return s;
    };
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    const text = (value: unknown): string => {
      if (value instanceof ArrayBuffer) return text(new Uint8Array(value));
      if (ArrayBuffer.isView(value)) {
        const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        return `${latin1(bytes)}\n${utf8.decode(bytes)}`;
      }
      if (Array.isArray(value)) return value.map(text).join('\n');
      if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}: ${text(v)}`).join('\n');
      return String(value);
    };
    const stores: Record<string, { count: number; text: string }> = {};
    for (const name of db.objectStoreNames) {
      const tx = db.transaction(name, 'readonly');
      const store = tx.objectStore(name);
      const [values, keys] = await Promise.all(
        [store.getAll(), store.getAllKeys()].map(
          (req) => new Promise<unknown[]>((resolve, reject) => ((req.onsuccess = () => resolve(req.result)), (req.onerror = () => reject(req.error)))),
        ),
      );
      stores[name] = { count: values!.length, text: `${text(keys)}\n${values!.map(text).join('\n')}` };
    }
    db.close();
    return { stores };
  });
}

/** The files of the profile's IndexedDB folder for the app's origin. */
function indexedDbFiles(profile: string): string[] {
  const root = join(profile, 'Default', 'IndexedDB');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk(root);
  return out;
}

/** Where `needle` occurs in raw bytes, as one-byte (latin1/UTF-8) or two-byte (UTF-16LE) text. */
function occurs(bytes: Buffer, needle: string): boolean {
  return bytes.includes(Buffer.from(needle, 'latin1')) || bytes.includes(Buffer.from(needle, 'utf8')) || bytes.includes(Buffer.from(needle, 'utf16le'));
}

describe('records are encrypted at rest on the device', () => {
  test('a morning of visits', async () => {
    const { page } = rig.browser;
    await page.goto(rig.served.url);
    await setUpDevice(page);
    // Zephyrine shares a few answers: they are as sensitive as her name.
    await openTab(page, 'Check in');
    await page.getByRole('searchbox').fill('Zephyrine');
    await page.getByRole('button', { name: 'Register “Zephyrine” as new' }).click();
    const form = dialog(page, 'Register a new woman');
    await form.getByRole('combobox', { name: 'Age' }).selectOption({ label: '25–34' });
    await form.getByRole('combobox', { name: 'Housing situation' }).selectOption({ label: 'Sleeping rough' });
    await form.getByRole('checkbox', { name: 'Trafficking' }).check();
    await form.getByRole('button', { name: 'Register and check in' }).click();
    await saveCheckIn(page, 'Zephyrine', ['Meal', 'Shower']);
    await registerFromSearch(page, 'Oluwaseun', ['Laundry']);
    await anonymousVisit(page, ['Meal', 'Clean clothes']);
    // A service added later, from Today.
    await openTab(page, 'Today');
    await page.getByRole('button', { name: /^Services for Oluwaseun at/ }).click();
    const services = dialog(page, 'Services for Oluwaseun');
    await tapServices(services, ['Shower']);
    await services.getByRole('button', { name: 'Save changes' }).click();
    await services.waitFor({ state: 'detached' });
    // And a check-in that adds to Zephyrine's visit.
    await openTab(page, 'Check in');
    await page.getByRole('searchbox').fill('zeph');
    await page.getByRole('list', { name: 'Matching women' }).getByRole('button', { name: /^Zephyrine/ }).click();
    const again = dialog(page, 'Zephyrine is checked in today');
    await tapServices(again, ['Laundry']);
    await again.getByRole('button', { name: 'Save changes' }).click();
    await again.waitFor({ state: 'detached' });
    expect(await todayFigures(page)).toEqual(
      allFigures({ Visits: 3, Women: 2, 'Anonymous visits': 1, Meal: 2, Shower: 2, Laundry: 2, 'Clean clothes': 1 }),
    );
  });

  test('IndexedDB, read from the page, holds no name, service or date in the clear', async () => {
    const { stores } = await dumpIndexedDb(rig.browser);
    // `events` is the log of builds before version 6, left declared and empty.
    expect(Object.keys(stores).sort()).toEqual(['archive', 'batches', 'device', 'events', 'outbox', 'settings', 'staff', 'visits', 'women']);
    expect(stores.women!.count).toBe(2);
    expect(stores.visits!.count).toBe(3);
    expect(stores.outbox!.count).toBeGreaterThanOrEqual(7);
    expect(stores.events!.count).toBe(0);

    // Allowed, and expected: the lock screen lists staff by name before anyone unlocks.
    expect(stores.staff!.text).toContain(ADMIN.name);

    const all = Object.entries(stores);
    const found = (needle: string) => all.filter(([, s]) => s.text.includes(needle)).map(([name]) => `${needle} in ${name}`);
    expect(WOMEN.flatMap(found)).toEqual([]);
    expect(WOMEN.map((w) => w.toLowerCase()).flatMap(found)).toEqual([]);
    expect(SERVICE_WORDS.flatMap(found)).toEqual([]);
    expect(DETAILS.flatMap(found)).toEqual([]);
    expect(todayIso().flatMap(found)).toEqual([]);
  });

  test('the profile’s IndexedDB files on disk hold no name, service or date in the clear', async () => {
    // Close the browser so that everything is flushed to the files, then read them raw.
    await rig.browser.close();
    const files = indexedDbFiles(rig.browser.profile);
    const logs = files.filter((f) => f.endsWith('.log') && /\d+\.log$/.test(f));
    // LevelDB's write-ahead logs hold each write uncompressed; its .ldb tables may be
    // snappy-compressed, so for those a match is only a bonus and a miss proves less.
    expect(logs.length).toBeGreaterThan(0);
    const raw = files.map((f) => ({ file: f, bytes: readFileSync(f) }));
    const logBytes = Buffer.concat(raw.filter((r) => logs.includes(r.file)).map((r) => r.bytes));
    expect(occurs(logBytes, ADMIN.name), 'the staff name, allowed in the clear, is found in the logs').toBe(true);

    const leaks = (needles: string[]) =>
      raw.flatMap(({ file, bytes }) => needles.filter((n) => occurs(bytes, n)).map((n) => `${n} in ${file.slice(rig.browser.profile.length)}`));
    expect(leaks([...WOMEN, ...WOMEN.map((w) => w.toLowerCase())])).toEqual([]);
    expect(leaks(SERVICE_WORDS)).toEqual([]);
    expect(leaks(DETAILS)).toEqual([]);
    expect(leaks(todayIso())).toEqual([]);
  });
});
