/**
 * Bundled by bench/lib/build.ts into one script and evaluated in a Chromium page on the app's
 * origin, so the save figure runs the real Vault.commit, FootfallDb (Dexie, strict durability)
 * and at-rest crypto, and the search figure the real search code, in the browser.
 */
import './jitless.ts';
import { v7 as uuidv7 } from 'uuid';
import { FootfallDb } from '../../src/app/core/database.ts';
import { Vault, type VisitRecord } from '../../src/app/core/vault.ts';
import { keptWaiting, waitingKeys } from '../../src/app/core/waiting.ts';
import { createKeyring } from '../../src/crypto/keyring.ts';
import { blindTag, sealJson } from '../../src/crypto/atRest.ts';
import { VisitEvents } from '../../src/app/core/rows.ts';
import { FootfallEvent, type EventOf } from '../../src/domain/events.ts';
import type { Woman } from '../../src/app/core/rows.ts';
import { knownAsNames, rng, searchQueries } from '../lib/names.ts';
import { runSearchBench } from '../lib/searchBench.ts';
import { reportApi } from './reportBench.ts';
import { syncApi } from './syncBench.ts';
import { followOrders, PLAIN_PAGE_PATH } from './plainPage.ts';

const DEVICE = uuidv7();
const STAFF = uuidv7();
const SERVICES = ['meal', 'hot-drink', 'shower', 'laundry', 'clothing', 'advice', 'nurse', 'phone'];
const RAW_DB = 'footfall-bench-raw';

let vault: Vault | undefined;
let raw: IDBDatabase | undefined;
let womenIds: string[] = [];
const random = rng(42);

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function checkInEvent(at: number, womanId: string | null): EventOf<'visit.checkedIn'> {
  const services = SERVICES.filter(() => random() < 0.3);
  const iso = new Date(at).toISOString();
  return { id: uuidv7({ msecs: at }), at: iso, deviceId: DEVICE, staffId: STAFF, type: 'visit.checkedIn', occurredAt: iso, womanId, siteId: 'main', services };
}

function visitOf(event: EventOf<'visit.checkedIn'>): VisitRecord {
  return { id: event.id, date: isoDay(Date.parse(event.at)), events: [event] };
}

function requireVault(): Vault {
  if (!vault) throw new Error('call setUp() first');
  return vault;
}

function openRaw(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(RAW_DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('rows', { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** One put in its own readwrite transaction with strict durability; resolves on `complete`. */
function rawPut(db: IDBDatabase, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction('rows', 'readwrite', { durability: 'strict' });
    tx.objectStore('rows').put(value);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

const api = {
  async setUp(dbName: string): Promise<void> {
    const db = new FootfallDb(dbName);
    await db.open();
    vault = new Vault(db, await createKeyring());
    raw = await openRaw();
  },

  /**
   * Fills the store through the real Vault.commit, in big batches: `women` registrations and
   * `visits` check-ins spread over the last two years, most of them by a registered woman.
   */
  async prefill(women: number, visits: number, batch: number): Promise<{ ms: number }> {
    const v = requireVault();
    const t0 = performance.now();
    const names = knownAsNames(women, 99);
    const start = Date.now() - 730 * 86_400_000;
    for (let i = 0; i < women; i += batch) {
      const events: FootfallEvent[] = [];
      const rows: Woman[] = [];
      for (let j = i; j < Math.min(women, i + batch); j++) {
        const at = start + Math.floor((j / women) * 365 * 86_400_000);
        const iso = new Date(at).toISOString();
        const id = uuidv7({ msecs: at });
        events.push({ id, at: iso, deviceId: DEVICE, staffId: STAFF, type: 'woman.registered', womanId: id, knownAs: names[j]!, details: { ageBand: '25-34', housing: 'rough-sleeping' } });
        rows.push({ id, knownAs: names[j]!, details: { ageBand: '25-34', housing: 'rough-sleeping' }, registeredAt: iso });
        womenIds.push(id);
      }
      await v.commit(events, { women: rows });
    }
    for (let i = 0; i < visits; i += batch) {
      const events: EventOf<'visit.checkedIn'>[] = [];
      for (let j = i; j < Math.min(visits, i + batch); j++) {
        const at = start + Math.floor((j / visits) * 730 * 86_400_000);
        events.push(checkInEvent(at, random() < 0.9 && womenIds.length ? womenIds[Math.floor(random() * womenIds.length)]! : null));
      }
      await v.commit(events, { visits: events.map(visitOf) });
    }
    return { ms: performance.now() - t0 };
  },

  async counts(): Promise<Record<string, number>> {
    const { db } = requireVault();
    return { events: await db.outbox.count(), visits: await db.visits.count(), women: await db.women.count() };
  },

  /** The bytes one save writes, for the baseline to write the same amount. */
  async sampleRowSizes(): Promise<{ eventCt: number; visitCt: number }> {
    const { db } = requireVault();
    const e = await db.outbox.limit(1).first();
    const v = await db.visits.limit(1).first();
    return { eventCt: e?.ct.byteLength ?? 0, visitCt: v?.ct.byteLength ?? 0 };
  },

  /** Events waiting to upload, two ways: the kept count a save returns, and the real count by the index. */
  async waiting(): Promise<{ kept: number; counted: number }> {
    const { db } = requireVault();
    return { kept: await keptWaiting(db), counted: (await waitingKeys(db)).length };
  },

  /**
   * `n` single visit saves as the app awaits them (DeviceCore.save): the real Vault.commit of one
   * check-in event and its visit row, as checkIn in src/app/frontDesk/visitActions.ts saves it,
   * which returns the waiting count from its own transaction, so the save waits for nothing more;
   * and/or `n` raw strict puts of a value with the same bytes as that save's sealed event row.
   * 'interleaved' does one of each per step, alternating which goes first; 'save' and 'raw' do
   * only the one. Each time is ms from the call to the transaction's completion, with the count.
   */
  async saveRun(n: number, mode: 'interleaved' | 'save' | 'raw' = 'interleaved'): Promise<{ save: number[]; raw: number[]; eventCtBytes: number[]; waiting: number | null }> {
    const v = requireVault();
    const rawDb = raw;
    if (!rawDb) throw new Error('call setUp() first');
    const save: number[] = [];
    const rawTimes: number[] = [];
    const eventCtBytes: number[] = [];
    let waiting: number | null = null;
    const encoder = new TextEncoder();
    for (let i = 0; i < n; i++) {
      const event = checkInEvent(Date.now(), womenIds.length ? womenIds[Math.floor(random() * womenIds.length)]! : null);
      const record = visitOf(event);
      // The sealed event row holds a 12-byte IV and the AES-GCM ciphertext: the JSON plus a 16-byte tag.
      const ctLength = encoder.encode(JSON.stringify(event)).byteLength + 16;
      eventCtBytes.push(ctLength);
      const rawValue = { id: uuidv7(), synced: 0, iv: crypto.getRandomValues(new Uint8Array(12)), ct: crypto.getRandomValues(new Uint8Array(ctLength)).buffer };
      const doSave = async () => {
        const t = performance.now();
        waiting = await v.commit([event], { visits: [record] });
        save.push(performance.now() - t);
      };
      const doRaw = async () => {
        const t = performance.now();
        await rawPut(rawDb, rawValue);
        rawTimes.push(performance.now() - t);
      };
      if (mode === 'save') await doSave();
      else if (mode === 'raw') await doRaw();
      else if (i % 2 === 0) {
        await doSave();
        await doRaw();
      } else {
        await doRaw();
        await doSave();
      }
    }
    return { save, raw: rawTimes, eventCtBytes, waiting };
  },

  /**
   * The waiting count as the app read it after each save before the count was kept: every waiting
   * row of the outbox counted (no batch is acknowledged here), `n` times. Shown beside the save, not part of it.
   */
  async recountRun(n: number): Promise<number[]> {
    const { db } = requireVault();
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await db.outbox.count();
      times.push(performance.now() - t);
    }
    return times;
  },

  /**
   * Only the work Vault.commit does before its transaction for one visit save, with the same
   * functions: validate and seal the event, validate and seal the visit row, blind-tag its day.
   */
  async sealRun(n: number): Promise<{ times: number[]; meanMs: number }> {
    const { keyring } = requireVault();
    const events = Array.from({ length: n }, () => checkInEvent(Date.now(), womenIds[0] ?? null));
    const times: number[] = [];
    const start = performance.now();
    for (const event of events) {
      const record = visitOf(event);
      const t = performance.now();
      await sealJson(keyring, `events:${event.id}`, FootfallEvent.parse(event));
      await Promise.all([sealJson(keyring, `visits:${record.id}`, VisitEvents.parse({ events: record.events })), blindTag(keyring, record.date)]);
      times.push(performance.now() - t);
    }
    // The mean over the whole loop, as single ones can be below the clock's step.
    return { times, meanMs: (performance.now() - start) / n };
  },

  search(count: number, queryCount: number, runs: number) {
    const names = knownAsNames(count);
    const queries = searchQueries(names, queryCount);
    return runSearchBench(names, queries, runs, () => performance.now());
  },

  ...syncApi,
  ...reportApi,
};

export type BenchApi = typeof api;
(globalThis as unknown as { __footfallBench: BenchApi }).__footfallBench = api;
// In a plain Chromium (bench/lib/plainBenchPage.ts) nothing evaluates calls in the page: it asks for them.
if (location.pathname === PLAIN_PAGE_PATH) void followOrders(api);
