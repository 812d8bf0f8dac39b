/**
 * Reading a closed Chromium profile as someone with a copy of it would: every file as bytes, and
 * the app origin's storage (every IndexedDB database, localStorage) through the browser's own
 * plain APIs, in a copy opened with no network and none of the app's code running.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from './harness.ts';

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The bytes of `needle` as a profile may hold them: UTF-8 (also latin1 for ASCII) and UTF-16LE. */
function encodings(needle: string): Buffer[] {
  return [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')];
}

/** Each "needle in file" where a needle occurs in a file of the profile, the profile's path cut off. */
export function hits(profile: string, needles: string[], files = filesUnder(profile)): string[] {
  return files.flatMap((file) => {
    const bytes = readFileSync(file);
    return needles.filter((n) => encodings(n).some((e) => bytes.includes(e))).map((n) => `${n} in ${file.slice(profile.length + 1)}`);
  });
}

/** The start of each of the app's scripts, as built and served (read when first asked: dist/ is built by then). */
let appScripts: Buffer[] | null = null;

function isAppScript(file: string): boolean {
  appScripts ??= readdirSync(resolve('dist/assets'))
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(resolve('dist/assets', name)).subarray(0, 200));
  const bytes = readFileSync(file);
  return appScripts.some((start) => bytes.includes(start));
}

/**
 * Whether a file holds the app's own code (which names every term the screens offer): a cached
 * copy of one of its scripts (the service worker's and the HTTP caches), or the code V8 compiled
 * from one, which Chromium's cache keeps beside it as the entry's `_1` file.
 */
export function holdsAppCode(file: string): boolean {
  const script = file.endsWith('_1') ? `${file.slice(0, -2)}_0` : null;
  return isAppScript(file) || (script !== null && existsSync(script) && isAppScript(script));
}

/** A copy of a closed profile folder, as a thief would take it. */
export function copyProfile(profile: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'footfall-e2e-copy-'));
  cpSync(profile, copy, { recursive: true });
  return copy;
}

/**
 * Chromium on a copied profile, cut off from every network. The only answer it gets is a blank
 * page at the app's origin, so the page can read that origin's storage. The service worker's
 * registration is taken out of the copy first (search the copy's bytes before this): it would
 * otherwise serve the app itself at that address, and the app would start. So none of the app's
 * code runs, and IndexedDB and Local Storage are read exactly as they were left.
 */
export async function openCopyOffline(copy: string, origin: string): Promise<{ context: BrowserContext; page: Page }> {
  rmSync(join(copy, 'Default', 'Service Worker'), { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(copy, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const blank = new URL('/a-copy', origin).href;
  await context.route('**/*', (route) =>
    route.request().url() === blank ? route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>A copy</title>' }) : route.abort('internetdisconnected'),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(blank);
  return { context, page };
}

/**
 * A value as IndexedDB hands it out, made plain for the test: bytes become their length, a
 * CryptoKey its type and algorithm; everything else as it is.
 */
export type Plain = string | number | boolean | null | { $bytes: number } | { $cryptoKey: string } | { $other: string } | Plain[] | { [k: string]: Plain };

export interface StoredRow {
  key: Plain;
  value: Plain;
}

export interface OriginStorage {
  /** database → object store → rows. */
  indexedDb: Record<string, Record<string, StoredRow[]>>;
  localStorage: Record<string, string>;
}

/** Every database of the page's origin, every object store, every key and value; and localStorage. */
export async function readOriginStorage(page: Page): Promise<OriginStorage> {
  return page.evaluate(async () => {
    const plain = (value: unknown): Plain => {
      if (value instanceof ArrayBuffer) return { $bytes: value.byteLength };
      if (ArrayBuffer.isView(value)) return { $bytes: value.byteLength };
      if (value instanceof CryptoKey) return { $cryptoKey: `${value.type} ${value.algorithm.name}` };
      if (Array.isArray(value)) return value.map(plain);
      if (value instanceof Date) return value.toISOString();
      if (value === undefined) return { $other: 'undefined' };
      if (value && typeof value === 'object') {
        if (Object.getPrototypeOf(value) !== Object.prototype) return { $other: Object.prototype.toString.call(value) };
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
      }
      return value as string | number | boolean | null;
    };
    const request = <T,>(req: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((req.onsuccess = () => resolve(req.result)), (req.onerror = () => reject(req.error))));
    const indexedDb: Record<string, Record<string, StoredRow[]>> = {};
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const db = await request(indexedDB.open(name));
      const stores: Record<string, StoredRow[]> = {};
      for (const store of Array.from(db.objectStoreNames)) {
        const rows: StoredRow[] = [];
        await new Promise<void>((resolve, reject) => {
          const cursor = db.transaction(store, 'readonly').objectStore(store).openCursor();
          cursor.onsuccess = () => {
            const c = cursor.result;
            if (!c) return resolve();
            rows.push({ key: plain(c.primaryKey), value: plain(c.value) });
            c.continue();
          };
          cursor.onerror = () => reject(cursor.error);
        });
        stores[store] = rows;
      }
      db.close();
      indexedDb[name] = stores;
    }
    const local: Record<string, string> = {};
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      local[key] = localStorage.getItem(key) ?? '';
    }
    return { indexedDb, localStorage: local };
  });
}
