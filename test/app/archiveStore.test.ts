/**
 * The admin's copy of the archive for reports (src/app/admin/archive/archiveStore.ts), in Node: the
 * admin's device (fake-indexeddb + the app's own actions) and a tablet talking to the real
 * endpoint (Fastify + SQLite) over HTTP. The organisation key is unlocked through orgKey.ts, as
 * the reports screen does.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lock } from '../../src/app/lock/access.ts';
import {
  archivedEventIds,
  archiveSummary,
  loadHistory,
  loadHistoryEvents,
  loadReportHistory,
  refreshArchive,
  replaceArchive,
  type ArchiveProgress,
} from '../../src/app/admin/archive/archiveStore.ts';
import { forgetOrgKey, unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import type { ArchiveRow } from '../../src/app/core/database.ts';
import { openJson, sealJson } from '../../src/crypto/atRest.ts';
import type { Keyring } from '../../src/crypto/keyring.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { useFootfall } from '../../src/app/store.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import type { OrgConfig } from '../../src/domain/config.ts';
import { ArchivePage } from '../../src/domain/protocol.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import { currentSession, core, enrolmentOf, readEvents } from './helpers.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import type { WaitingEvents } from '../../src/app/admin/archive/archiveEvents.ts';
import { openReport, type OpenReportMessage, type OpenReportRequest } from '../../src/app/admin/archive/openReport.ts';
import { decodeHistory } from '../../src/domain/historyCodec.ts';
import { decodeChunk, decodeSealedChunk, encodeChunk } from '../../src/app/admin/archive/chunkCodec.ts';

// Archive rows as the device seals them: under its keyring, with `archive:<id>` as associated data.
const openArchiveRow = (keyring: Keyring, row: ArchiveRow) => openJson(keyring, `archive:${row.id}`, row);
const sealArchiveRow = async (keyring: Keyring, id: string, value: unknown): Promise<ArchiveRow> => ({ id, ...(await sealJson(keyring, `archive:${id}`, value)) });
import { Ledger, PASSPHRASE, credentialsOf, joinDevice, newDevice, recordSome, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
const ledger = new Ledger();
let admin: Device;
let tablet: Device;
let recoveryCode = '';

/**
 * The real fetch, with every archive request's path noted, a switch to cut the network, and one
 * to make the archive's pages smaller (as the server's bound in bytes does for large batches).
 */
const requests: string[] = [];
let cutAfter = Infinity;
let pageSize = Infinity;
const watched: typeof fetch = async (input, init) => {
  const url = new URL(String(input));
  const archive = url.pathname.endsWith('/archive');
  if (archive) requests.push(`archive${url.search}`);
  if (requests.length > cutAfter) throw new TypeError('network down');
  const response = await fetch(input, init);
  if (!archive || !Number.isFinite(pageSize)) return response;
  const page = ArchivePage.parse(await response.json());
  const items = page.items.slice(0, pageSize);
  return Response.json(items.length < page.items.length ? { ...page, items, next: items.at(-1)!.cursor } : page);
};
const client = () => new SyncClient(server.url, watched);

beforeAll(async () => {
  server = await startServer();
  admin = await newDevice('admin');
  recoveryCode = await setUpOrganisationHere(new SyncClient(server.url));
  tablet = await joinDevice(admin, new SyncClient(server.url), 'tablet', { ledger });
  await recordSome(ledger, tablet, ['Tamsin', 'Ngozi']);
  await syncUntilDone(tablet, new SyncClient(server.url));
  await use(admin);
}, 60_000);

afterAll(() => server?.dispose());

function fetchesSince(start: number): string[] {
  return requests.slice(start);
}

/** Where an archive request read from: its cursor, or 0 from the start. */
const cursorOf = (request: string | undefined) => Number(request?.match(/after=(\d+)$/)?.[1] ?? 0);

/** The ids of the events recorded for the woman known as `name`: her entry and her visits. */
function eventsOf(name: string): string[] {
  const entry = [...ledger.values()].find((e) => e.type === 'woman.registered' && e.knownAs === name);
  const womanId = entry?.type === 'woman.registered' ? entry.womanId : '';
  return [...ledger.values()].filter((e) => 'womanId' in e && e.womanId === womanId).map((e) => e.id);
}

describe('the organisation key', () => {
  it('refuses a wrong passphrase, and holds nothing', async () => {
    await expect(unlockOrgKey(core(), 'not the passphrase at all', 'passphrase', client())).rejects.toThrow(
      'That passphrase did not open the organisation key. Check it (capitals and spaces count) and try again, or use the recovery code.',
    );
    expect(core().orgKeys).toBeNull();
  });

  it('refuses what is not a recovery code before trying it', async () => {
    await expect(unlockOrgKey(core(), 'ABCD-EFGH', 'recovery', client())).rejects.toThrow(/not a recovery code/);
  });

  it('opens with the passphrase into a key no code can read, and is dropped when the app locks', async () => {
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client());
    const opened = core();
    const keys = [...(opened.orgKeys?.keys.values() ?? [])];
    expect(keys).toHaveLength(1);
    expect(keys[0]?.extractable).toBe(false);
    expect(keys[0]?.type).toBe('private');
    await lock();
    expect(useFootfall.getState().phase.kind).toBe('locked');
    expect(opened.orgKeys).toBeNull();
    await use(admin);
  });

  it('opens offline next time from the copy sealed on the device, also with the recovery code', async () => {
    const offline = new SyncClient(server.url, async () => {
      throw new TypeError('offline');
    });
    await unlockOrgKey(core(), recoveryCode.toLowerCase().replace(/-/g, ' '), 'recovery', offline);
    expect(core().orgKeys).not.toBeNull();
    forgetOrgKey(core());
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', offline);
    expect(core().orgKeys).not.toBeNull();
    // The copy at rest is sealed: the wrapped keys are not in the row in the clear.
    const row = await admin.db.archive.get('adminKeys');
    expect(Object.keys(row!).sort()).toEqual(['ct', 'id', 'iv']);
  });
});

describe('the archive on the admin’s device', () => {
  it('fetches and decrypts every batch, reporting progress, and keeps each event once', async () => {
    const progress: ArchiveProgress[] = [];
    const start = requests.length;
    const result = await refreshArchive(core(), (p) => progress.push(p), { client: client() });
    expect(fetchesSince(start)).toEqual(['archive']);
    const uploaded = [...ledger.values()];
    expect(result.fetched.events).toBe(uploaded.length);
    expect(result.fetched.batches).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual(result.fetched);
    expect(result.summary).toMatchObject({ batches: result.fetched.batches, events: uploaded.length, unreadable: 0 });
    expect(result.summary.refreshedAt).not.toBeNull();

    const events = await loadHistoryEvents(core());
    expect(events.map((e) => e.id).sort()).toEqual(uploaded.map((e) => e.id).sort());
    for (const e of events) expect(e).toEqual(ledger.get(e.id));
  });

  it('counts this device’s own events not yet acknowledged, once each', async () => {
    await recordSome(ledger, admin, ['Grace A']);
    const waiting = (await readEvents(admin.db, core().keyring)).map((e) => e.id);
    expect(waiting.length).toBeGreaterThan(0);
    const events = await loadHistoryEvents(core());
    expect(events.map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const id of waiting) expect(events.some((e) => e.id === id)).toBe(true);
    expect(await archivedEventIds(core())).toEqual(new Set(ledger.keys()));
  });

  it('refreshes incrementally: only pages after the last one kept are fetched', async () => {
    await syncUntilDone(admin, new SyncClient(server.url));
    await use(tablet);
    await recordSome(ledger, tablet, ['Ama']);
    await syncUntilDone(tablet, new SyncClient(server.url));
    await use(admin);
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client());

    const before = await archiveSummary(core());
    const start = requests.length;
    const result = await refreshArchive(core(), undefined, { client: client() });
    expect(fetchesSince(start)).toEqual([expect.stringMatching(/^archive\?after=\d+$/)]);
    // The admin's own upload and the tablet's new one: nothing fetched twice.
    expect(result.fetched.batches).toBeGreaterThan(0);
    expect(result.summary.batches).toBe(before.batches + result.fetched.batches);
    expect(result.summary.events).toBe(ledger.size);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());

    const again = await refreshArchive(core(), undefined, { client: client() });
    expect(again.fetched).toEqual({ batches: 0, events: 0 });
  });

  it('resumes after an interruption from the last page it kept, fetching no batch twice', async () => {
    await use(tablet);
    await recordSome(ledger, tablet, ['Bex']);
    await syncUntilDone(tablet, new SyncClient(server.url));
    await recordSome(ledger, tablet, ['Cass']);
    await syncUntilDone(tablet, new SyncClient(server.url));
    await use(admin);
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client());

    const before = await archiveSummary(core());
    const start = requests.length;
    pageSize = 1;
    cutAfter = start + 1; // the page with Bex's batch arrives; the next one does not
    await expect(refreshArchive(core(), undefined, { client: client() })).rejects.toThrow(/could not be fetched/);
    cutAfter = Infinity;
    // Both parts of the batch on the page were kept together: her entry and her visits.
    const kept = new Set((await loadHistoryEvents(core())).map((e) => e.id));
    expect(eventsOf('Bex').length).toBeGreaterThan(1);
    expect(eventsOf('Bex').filter((id) => !kept.has(id))).toEqual([]);
    expect(eventsOf('Cass').filter((id) => kept.has(id))).toEqual([]);
    expect((await archiveSummary(core())).batches).toBe(before.batches + 1);

    const resumed = requests.length;
    const result = await refreshArchive(core(), undefined, { client: client() });
    pageSize = Infinity;
    const asked = fetchesSince(resumed);
    // It carries on after the page it kept: Cass's batch only, Bex's is not fetched again.
    expect(cursorOf(asked[0])).toBeGreaterThan(cursorOf(requests[start]));
    expect(result.fetched.batches).toBe(1);
    expect(result.summary.batches).toBe(before.batches + 2);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());
  });

  it('reports batches it cannot open by count, and never guesses at them', async () => {
    const creds = await credentialsOf(admin);
    const forged = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA';
    const put = await new SyncClient(server.url).putBatch(creds, crypto.randomUUID(), { seq: 9_999, activity: forged, directory: forged });
    expect(put.kind).toBe('ok');
    const result = await refreshArchive(core(), undefined, { client: client() });
    expect(result.fetched.batches).toBe(1);
    expect(result.summary.unreadable).toBe(1);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());
  });

  it('keeps everything sealed at rest: no name, id or event field in any row', async () => {
    const rows = await admin.db.archive.toArray();
    expect(rows.length).toBeGreaterThan(2);
    const names = ['Tamsin', 'Ngozi', 'Ama', 'Bex', 'Cass', 'Grace A'];
    const ids = [...ledger.keys()];
    for (const row of rows) {
      expect(Object.keys(row).filter((k) => !['id', 'iv', 'ct', 'rev'].includes(k))).toEqual([]);
      const text = utf8.decode(new Uint8Array(row.ct)) + JSON.stringify(row.id);
      for (const needle of [...names, ...ids, 'visit.checkedIn', 'womanId']) expect(text).not.toContain(needle);
    }
  });

  it('replaces the copy after a compaction with exactly the events given, and still refreshes incrementally', async () => {
    const all = await loadHistoryEvents(core());
    const kept = all.filter((e) => !(e.type === 'visit.checkedIn' && e.womanId === null));
    expect(kept.length).toBeLessThan(all.length);
    await replaceArchive(core(), kept);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual(kept.map((e) => e.id).sort());
    expect((await archiveSummary(core())).events).toBe(kept.length);

    const start = requests.length;
    expect((await refreshArchive(core(), undefined, { client: client() })).fetched).toEqual({ batches: 0, events: 0 });
    expect(fetchesSince(start)).toEqual([expect.stringMatching(/^archive\?after=\d+$/)]);
    await expect(replaceArchive(core(), [{ ...kept[0]!, id: 'not-an-event-id' }])).rejects.toThrow();
    expect((await loadHistory(core())).events).toHaveLength(kept.length);
  });

  it('keeps the copy on the device when fetching everything again fails at once (offline)', async () => {
    const before = (await loadHistoryEvents(core())).map((e) => e.id).sort();
    cutAfter = requests.length; // the very first request fails
    await expect(refreshArchive(core(), undefined, { client: client(), fromStart: true })).rejects.toThrow(/could not be fetched/);
    cutAfter = Infinity;
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual(before);
  });

  it('fetches everything again from the start when asked', async () => {
    const result = await refreshArchive(core(), undefined, { client: client(), fromStart: true });
    expect(result.summary.unreadable).toBe(1);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());
    expect(currentSession().staff.name).toBe('Grace');
  });
});

describe('a copy kept by the previous version', () => {
  /**
   * Rewrites the stored state as the previous version wrote it: a cursor for the activity parts
   * and one for the directory parts, at the same rev (so no write sees another window's).
   */
  async function writeV1State(cursors: (cursor: string | null) => { activity: string | null; directory: string | null }): Promise<void> {
    const { keyring } = core().vault;
    const row = (await admin.db.archive.get('state'))!;
    const { cursor, ...state } = (await openArchiveRow(keyring, row)) as { v: number; cursor: string | null };
    await admin.db.archive.put({ ...(await sealArchiveRow(keyring, 'state', { ...state, v: 1, cursors: cursors(cursor) })), rev: row.rev });
  }
  const storedState = async () => (await openArchiveRow(core().keyring, (await admin.db.archive.get('state'))!)) as Record<string, unknown>;

  it('opens, and carries on from its cursors where both parts were read to the same batch', async () => {
    const summary = await archiveSummary(core());
    const events = (await loadHistoryEvents(core())).map((e) => e.id).sort();
    const { cursor } = await storedState();
    await writeV1State((c) => ({ activity: c, directory: c }));
    expect(await archiveSummary(core())).toEqual(summary);

    const start = requests.length;
    const result = await refreshArchive(core(), undefined, { client: client() });
    expect(fetchesSince(start)).toEqual([`archive?after=${String(cursor)}`]);
    expect(result.fetched).toEqual({ batches: 0, events: 0 });
    expect(result.summary).toMatchObject({ batches: summary.batches, events: summary.events, unreadable: summary.unreadable });
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual(events);
    expect(await storedState()).toMatchObject({ v: 2, cursor });
  });

  it('opens where its cursors differ, and the next refresh reads from the start, replacing the copy rather than adding to it', async () => {
    const summary = await archiveSummary(core());
    // A refresh of the previous version cut short after the activity parts.
    await writeV1State((c) => ({ activity: c, directory: null }));
    // Offline, the reports still open from the copy on this device.
    expect(await archiveSummary(core())).toEqual(summary);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());

    const start = requests.length;
    const result = await refreshArchive(core(), undefined, { client: client() });
    expect(fetchesSince(start)).toEqual(['archive']);
    // Every batch once, counted afresh: nothing of the old copy is counted twice.
    expect(result.fetched.batches).toBe(summary.batches);
    expect(result.summary).toMatchObject({ batches: summary.batches, events: result.fetched.events, unreadable: summary.unreadable });
    const rows = await admin.db.archive.where('id').startsWith('chunk:').toArray();
    const stored = await Promise.all(rows.map(async (r) => decodeChunk(await openArchiveRow(core().keyring, r))!.length));
    expect(stored.reduce((a, b) => a + b, 0)).toBe(result.fetched.events);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual([...ledger.keys()].sort());
    expect(await storedState()).toMatchObject({ v: 2, cursor: expect.stringMatching(/^\d+$/) });
  });
});

/** The admin's waiting events uploaded, and the archive refreshed: the resolution kept again. */
async function uploadAndRefresh(): Promise<void> {
  await syncUntilDone(admin, new SyncClient(server.url));
  await refreshArchive(core(), undefined, { client: client() });
}

describe('the resolved history kept for the reports', () => {
  const config = (): OrgConfig => currentSession().config;
  /** What opening the reports gives when every event is resolved now. */
  const resolvedFromEvents = async (c = config()) => resolveHistory(await loadHistoryEvents(core()), c);
  const resolvedRow = () => admin.db.archive.get('resolved');

  it('opens from the resolution kept after a refresh, the same as resolving every event', async () => {
    expect(await admin.db.outbox.count()).toBe(0);
    expect(await resolvedRow()).toBeDefined(); // kept when the last refresh fetched everything again
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(false);
    const expected = await resolvedFromEvents();
    expect(opened.history).toEqual(expected);
    expect(opened.history.records.length).toBeGreaterThan(0);
    expect(opened.events).toBe((await loadHistoryEvents(core())).length);
    expect(opened.summary).toEqual(await archiveSummary(core()));
    expect(opened.unreadableRows).toBe(0);
    const year = { kind: 'calendarYear' as const, year: Number(currentSession().today.slice(0, 4)) };
    expect(buildReport(opened.history, config(), year)).toEqual(buildReport(expected, config(), year));
  });

  it('is still used after a refresh that finds nothing new', async () => {
    const result = await refreshArchive(core(), undefined, { client: client() });
    expect(result.fetched.batches).toBe(0);
    expect(result.resolved).toBeNull();
    expect((await loadReportHistory(core(), config())).resolvedNow).toBe(false);
  });

  it('is resolved again when a refresh brings new batches, and not used when one stops short', async () => {
    await use(tablet);
    await recordSome(ledger, tablet, ['Cleo']);
    await syncUntilDone(tablet, new SyncClient(server.url));
    await recordSome(ledger, tablet, ['Edna']);
    await syncUntilDone(tablet, new SyncClient(server.url));
    await use(admin);
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client());

    // Cut after the first page: new rows are stored, the kept resolution is not theirs.
    pageSize = 1;
    cutAfter = requests.length + 1;
    await expect(refreshArchive(core(), undefined, { client: client() })).rejects.toThrow(/could not be fetched/);
    cutAfter = Infinity;
    pageSize = Infinity;
    expect(await resolvedRow()).toBeUndefined();
    const cut = await loadReportHistory(core(), config());
    expect(cut.resolvedNow).toBe(true);
    expect(cut.history).toEqual(await resolvedFromEvents());

    // The rest of the refresh: resolved again at its end, so the next opening reads it.
    const result = await refreshArchive(core(), undefined, { client: client() });
    expect(result.fetched.events).toBeGreaterThan(0);
    expect(result.resolved?.history).toEqual(await resolvedFromEvents());
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(false);
    expect(opened.history).toEqual(await resolvedFromEvents());
    expect([...opened.history.women.values()].map((w) => w.knownAs)).toContain('Cleo');
  });

  it('is used with registrations and visits waiting here folded on, which count at once', async () => {
    const before = await resolvedRow();
    expect(before).toBeDefined();
    await recordSome(ledger, admin, ['Dina']);
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(false);
    expect([...opened.history.women.values()].map((w) => w.knownAs)).toContain('Dina');
    expect(opened.history).toEqual(await resolvedFromEvents());
    expect(opened.events).toBe((await loadHistoryEvents(core())).length);
    // Nothing is kept from an opening that holds events the archive does not.
    expect((await resolvedRow())?.iv).toEqual(before?.iv);

    await uploadAndRefresh();
    const synced = await loadReportHistory(core(), config());
    expect(synced.resolvedNow).toBe(false);
    expect([...synced.history.women.values()].map((w) => w.knownAs)).toContain('Dina');
  });

  it('folds a visit waiting here without the directory kept beside the resolution, which only registrations and changes to entries need', async () => {
    await admin.db.archive.delete('resolved:directory');
    await checkIn(core(), null, ['meal']);
    const visit = await loadReportHistory(core(), config());
    expect(visit.resolvedNow).toBe(false);
    expect(visit.history).toEqual(await resolvedFromEvents());
    await registerWoman(core(), 'Flora', {});
    const registration = await loadReportHistory(core(), config());
    expect(registration.resolvedNow).toBe(true);
    expect(registration.history).toEqual(await resolvedFromEvents());
    await registration.keeping;
    await uploadAndRefresh();
  });

  it('resolves every event again while events wait here beside a resolution kept without what folding them reads (by an earlier version)', async () => {
    await admin.db.archive.bulkDelete(['resolved:basis', 'resolved:directory']);
    await recordSome(ledger, admin, ['Effie']);
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(true);
    expect(opened.history).toEqual(await resolvedFromEvents());
    await opened.keeping;
    await uploadAndRefresh();
    expect(await admin.db.archive.get('resolved:basis')).toBeDefined();
    expect(await admin.db.archive.get('resolved:directory')).toBeDefined();
  });

  it('is not used in another time zone, and is kept in the new one for next time', async () => {
    const newYork: OrgConfig = { ...config(), timeZone: 'America/New_York' };
    const moved = await loadReportHistory(core(), newYork);
    expect(moved.resolvedNow).toBe(true);
    expect(moved.history).toEqual(await resolvedFromEvents(newYork));
    expect(moved.history.config).toBe(newYork);
    // Kept after the history is handed over, so the report shows first.
    await moved.keeping;
    expect((await loadReportHistory(core(), newYork)).resolvedNow).toBe(false);
    const back = await loadReportHistory(core(), config());
    expect(back.resolvedNow).toBe(true);
    expect(back.history).toEqual(await resolvedFromEvents());
    await back.keeping; // kept once the page has what it shows: the tests below open it
  });

  it('takes the rest of the configuration as it is now', async () => {
    const renamed: OrgConfig = { ...config(), sites: config().sites.map((s) => ({ ...s, name: `${s.name} (renamed)` })) };
    const opened = await loadReportHistory(core(), renamed);
    expect(opened.resolvedNow).toBe(false);
    expect(opened.history.config).toBe(renamed);
  });

  it('is replaced with the archive after a compaction, keeping nothing of what was left out', async () => {
    const all = await loadHistoryEvents(core());
    const cleo = all.find((e) => e.type === 'woman.registered' && e.knownAs === 'Cleo');
    expect(cleo?.type).toBe('woman.registered');
    const cleoId = cleo?.type === 'woman.registered' ? cleo.womanId : '';
    const kept = all.filter((e) => !('womanId' in e && e.womanId === cleoId));
    await replaceArchive(core(), kept);
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(false);
    expect(opened.history).toEqual(resolveHistory(kept, config()));
    const text = utf8.decode(new Uint8Array((await resolvedRow())!.ct));
    expect(text).not.toContain('Cleo');
    expect([...opened.history.women.values()].map((w) => w.knownAs)).not.toContain('Cleo');
  });

  it('is sealed at rest, bound to its row, and resolved again when it cannot be opened', async () => {
    const row = (await resolvedRow())!;
    expect(Object.keys(row).sort()).toEqual(['ct', 'id', 'iv']);
    const text = utf8.decode(new Uint8Array(row.ct));
    for (const needle of ['Tamsin', 'Ngozi', 'Dina', ...ledger.keys(), 'visit', 'meal', 'womanId', 'records']) expect(text).not.toContain(needle);

    // A sealed row moved here from another id does not open: every event is resolved again, and
    // the resolution kept anew.
    const state = (await admin.db.archive.get('state'))!;
    await admin.db.archive.put({ ...state, id: 'resolved', rev: undefined });
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(true);
    expect(opened.history).toEqual(await resolvedFromEvents());
    await opened.keeping;
    expect((await loadReportHistory(core(), config())).resolvedNow).toBe(false);
  });

  it('is used with a visit waiting here folded on, the same as resolving every event', async () => {
    const ngozi = [...ledger.values()].find((e) => e.type === 'woman.registered' && e.knownAs === 'Ngozi');
    expect(ngozi?.type).toBe('woman.registered');
    await checkIn(core(), ngozi?.type === 'woman.registered' ? ngozi.womanId : null, ['advice']);
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(false);
    expect(opened.history).toEqual(await resolvedFromEvents());
    expect(opened.events).toBe((await loadHistoryEvents(core())).length);

    await uploadAndRefresh();
  });
});

describe('a first opening, as the report worker runs it', () => {
  const config = (): OrgConfig => currentSession().config;
  const request = async (waiting: WaitingEvents = { events: [], unreadable: 0 }): Promise<OpenReportRequest> => ({
    storage: core().archive.storage,
    orgId: (await enrolmentOf(admin.db))!.orgId,
    config: config(),
    readChunks: true,
    waiting,
    opensOn: null,
  });
  const run = async (req: OpenReportRequest) => {
    const messages: OpenReportMessage[] = [];
    await openReport(req, (m) => messages.push(m), Promise.resolve());
    return messages;
  };

  it('keeps nothing until the page says it has shown the report', async () => {
    await admin.db.archive.delete('resolved');
    const messages: OpenReportMessage[] = [];
    let keep!: () => void;
    const running = openReport(await request(), (m) => messages.push(m), new Promise<void>((res) => (keep = res)));
    await vi.waitFor(() => expect(messages.at(-1)?.kind).toBe('resolved'), { timeout: 60_000 });
    await new Promise((res) => setTimeout(res, 50));
    expect(messages.at(-1)?.kind).toBe('resolved');
    expect(await admin.db.archive.get('resolved')).toBeUndefined();
    keep();
    await running;
    expect(messages.at(-1)?.kind).toBe('done');
    expect(await admin.db.archive.get('resolved')).toBeDefined();
  });

  it('reads every stored row from its own connection, showing progress, hands the history over, then keeps it', async () => {
    await admin.db.archive.delete('resolved');
    const messages = await run(await request());
    const rows = await admin.db.archive.where('id').startsWith('chunk:').count();
    expect(rows).toBeGreaterThan(0);
    const progress = messages.flatMap((m) => (m.kind === 'progress' ? [m] : []));
    expect(progress.map((p) => p.opened)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
    expect(progress.every((p) => p.of === rows)).toBe(true);
    expect(messages.slice(progress.length).map((m) => m.kind)).toEqual(['resolved', 'done']);
    const resolved = messages.find((m) => m.kind === 'resolved');
    expect(resolved?.kind === 'resolved' && decodeHistory(resolved.report.history, config())).toEqual(resolveHistory(await loadHistoryEvents(core()), config()));
    expect(await admin.db.archive.get('resolved')).toBeDefined();
    expect((await loadReportHistory(core(), config())).resolvedNow).toBe(false);
  });

  it('sends the report of the period the screen opens on before the history, counted as the page would count it', async () => {
    await admin.db.archive.delete('resolved');
    // The financial year the records here were made in: today's.
    const now = new Date();
    const period = { kind: 'financialYear', startYear: now.getMonth() + 1 >= config().financialYearStartMonth ? now.getFullYear() : now.getFullYear() - 1 } as const;
    const messages = await run({ ...(await request()), opensOn: period });
    const kinds = messages.filter((m) => m.kind !== 'progress').map((m) => m.kind);
    expect(kinds).toEqual(['counted', 'resolved', 'done']);
    const counted = messages.find((m) => m.kind === 'counted');
    const resolved = messages.find((m) => m.kind === 'resolved');
    if (counted?.kind !== 'counted' || resolved?.kind !== 'resolved') throw new Error('no report or no history');
    expect(counted.period).toEqual(period);
    // Handed over as the worker posts it (a structured clone), it is the report the page would count from the history.
    expect(structuredClone(counted.report)).toEqual(buildReport(decodeHistory(resolved.report.history, config()), config(), period));
    expect(counted.report.figures.visits).toBeGreaterThan(0);
  });

  it('on the page, a first opening tells the report of its period before it returns the history', async () => {
    await admin.db.archive.delete('resolved');
    const period = { kind: 'financialYear', startYear: 2025 } as const;
    const heard: string[] = [];
    let early: ReturnType<typeof buildReport> | null = null;
    const opened = await loadReportHistory(core(), config(), undefined, {
      period,
      counted: (report) => {
        heard.push('counted');
        early = report;
      },
    });
    heard.push('history');
    expect(heard).toEqual(['counted', 'history']);
    expect(early).toEqual(buildReport(opened.history, config(), period));
    await opened.keeping;
    // From the kept resolution, nothing is counted early: the history comes at once.
    const again = await loadReportHistory(core(), config(), undefined, { period, counted: () => heard.push('counted again') });
    expect(again.resolvedNow).toBe(false);
    expect(heard).toEqual(['counted', 'history']);
  });

  it('rewrites rows kept in the previous form compact, under the same ids, after keeping a resolution that still holds', async () => {
    const { keyring } = core();
    const rows = await admin.db.archive.where('id').startsWith('chunk:').toArray();
    const before = await Promise.all(rows.map(async (r) => decodeChunk(await openArchiveRow(keyring, r))!));
    // As the previous version wrote them: `{ v: 1, events }`, with nothing kept yet.
    await admin.db.archive.bulkPut(await Promise.all(rows.map((r, i) => sealArchiveRow(keyring, r.id, { v: 1, events: before[i] }))));
    await admin.db.archive.delete('resolved');
    const fromOld = (await loadHistoryEvents(core())).map((e) => e.id).sort();

    expect((await run(await request())).at(-1)?.kind).toBe('done');
    const after = await admin.db.archive.where('id').startsWith('chunk:').toArray();
    expect(after.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const values = await Promise.all(after.map((r) => openArchiveRow(keyring, r)));
    expect(values.map((v) => (v as { v: number }).v)).toEqual(rows.map(() => 2));
    expect(values.map((v) => decodeChunk(v))).toEqual(before);
    expect((await loadHistoryEvents(core())).map((e) => e.id).sort()).toEqual(fromOld);
    const opened = await loadReportHistory(core(), config());
    expect(opened.resolvedNow).toBe(false);
    expect(opened.history).toEqual(resolveHistory(await loadHistoryEvents(core()), config()));
  });

  it('counts the waiting events it is handed, and then keeps nothing', async () => {
    await admin.db.archive.delete('resolved');
    const stored = await loadHistoryEvents(core());
    const visit = stored.find((e) => e.type === 'visit.checkedIn');
    expect(visit).toBeDefined();
    const waiting = { ...visit!, id: crypto.randomUUID() };
    const messages = await run(await request({ events: [waiting], unreadable: 1 }));
    const resolved = messages.find((m) => m.kind === 'resolved');
    expect(resolved?.kind === 'resolved' && resolved.report.events).toBe(stored.length + 1);
    expect(resolved?.kind === 'resolved' && resolved.report.unreadableRows).toBe(1);
    expect(messages.at(-1)?.kind).toBe('done');
    expect(await admin.db.archive.get('resolved')).toBeUndefined();
  });
  it('reads many rows in id order, asking for the next before the last are opened, a damaged one counted and the rest resolved as before', async () => {
    const { keyring, archive } = core();
    const rows = await admin.db.archive.where('id').startsWith('chunk:').toArray();
    const stored = await Promise.all(rows.map(async (r) => decodeSealedChunk(await openArchiveRow(keyring, r))!));
    const events = stored.flatMap((r) => r.events);
    const seals = stored.flatMap((r) => r.events.map((_, i) => r.seals[i] ?? null));
    const expected = resolveHistory(await loadHistoryEvents(core()), config());
    // The same events over many small rows, more than are asked for at a time, and one damaged row among them.
    const per = Math.max(1, Math.ceil(events.length / 30));
    const many = await Promise.all(
      Array.from({ length: Math.ceil(events.length / per) }, (_, i) => sealArchiveRow(keyring, `chunk:many:${String(i).padStart(4, '0')}`, encodeChunk(events.slice(i * per, (i + 1) * per), seals.slice(i * per, (i + 1) * per)))),
    );
    const damaged: ArchiveRow = { ...many[0]!, id: `chunk:many:${String(many.length).padStart(4, '0')}` };
    await admin.db.archive.bulkDelete(rows.map((r) => r.id));
    await admin.db.archive.bulkPut([...many, damaged]);
    await admin.db.archive.delete('resolved');
    try {
      const read = await archive.readChunks(decodeSealedChunk);
      expect(read.map((c) => c.id)).toEqual([...many, damaged].map((r) => r.id));
      expect(read.at(-1)?.value).toBeNull();
      expect(read.slice(0, -1).flatMap((c) => c.value!.events)).toEqual(events);

      const resolved = (await run(await request())).find((m) => m.kind === 'resolved');
      expect(resolved?.kind === 'resolved' && resolved.report.unreadableRows).toBe(1);
      expect(resolved?.kind === 'resolved' && decodeHistory(resolved.report.history, config())).toEqual(expected);
    } finally {
      await admin.db.archive.bulkDelete([...many, damaged].map((r) => r.id));
      await admin.db.archive.bulkPut(rows);
      await admin.db.archive.delete('resolved');
    }
  });
});
