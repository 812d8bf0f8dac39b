/**
 * The device's database, asked for before the app's code has loaded. On a cold start the browser
 * takes longer to open an origin's IndexedDB than the page takes to load and parse the app, so the
 * page's first script asks for it at once and the two happen side by side; the app's own open
 * (boot, src/app/core/device.ts) then finds the storage ready (docs/architecture.md#cold-start).
 *
 * Kept free of Dexie and of the rest of the core so the first script stays tiny. The connection
 * made here reads and writes nothing; it is closed once the app's own is open, and at once if a
 * newer version of the app needs to upgrade the database. A device with no database yet gets
 * none from here: the upgrade that would create it empty is aborted, so boot creates it as new.
 */

/** The device's IndexedDB database. */
export const DB_NAME = 'footfall';

let early: IDBDatabase | undefined;
let released = false;

export function openEarly(name = DB_NAME): void {
  if (typeof indexedDB === 'undefined') return;
  const request = indexedDB.open(name);
  request.onupgradeneeded = () => request.transaction?.abort();
  request.onerror = (event) => event.preventDefault();
  request.onsuccess = () => {
    const db = request.result;
    if (released) return db.close();
    db.onversionchange = () => db.close();
    early = db;
  };
}

/** The app's own connection is open: the early one has done its work. */
export function releaseEarly(): void {
  released = true;
  early?.close();
  early = undefined;
}
