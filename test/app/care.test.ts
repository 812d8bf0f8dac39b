/**
 * Data care against the real endpoint (Fastify + SQLite over HTTP) with real devices: merging two
 * records of one woman, erasing a woman, and the retention rule. After an erasure the server
 * holds no batch that opens to her name, a device re-sending an old batch cannot bring her back,
 * her visits still count, and everyone else is untouched.
 */
import type { OrgKeyring } from '../../src/crypto/orgKeyring.ts';
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { saveConfig } from '../../src/app/settings/settingsActions.ts';
import { eraseWoman, finishErasures, mergeWomen, previewRetention, applyRetention } from '../../src/app/admin/care/careActions.ts';
import { PROBLEMS } from '../../src/app/problems.ts';
import { loadHistoryEvents, loadReportHistory, refreshArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { forgetOrgKey, unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { readArchive, readArchivePages } from '../../src/app/admin/archive/archiveReader.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { bytesJson, openWithTeamKey } from '../../src/crypto/envelope.ts';
import { countRecords, resolveRecords } from '../../src/domain/counting.ts';
import { FootfallEvent } from '../../src/domain/events.ts';
import { ArchivePage, AuditPage, DirectoryPage, type BatchUpload } from '../../src/domain/protocol.ts';
import { searchByName } from '../../src/domain/search.ts';
import { resolveWomen } from '../../src/domain/women.ts';
import { currentSession, core, enrolmentOf } from './helpers.ts';
import { readPart } from '../../src/crypto/authority.ts';
import { PASSPHRASE, archiveKeysOf, credentialsOf, joinDevice, newDevice, organisationKey, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';
import { directorySearchIndex } from '../../src/app/directory/directory.ts';

// Counted, so the test at the end can show who reads the archive through it.
vi.mock('../../src/app/admin/archive/archiveReader.ts', async (importOriginal) => {
  const reader = await importOriginal<typeof import('../../src/app/admin/archive/archiveReader.ts')>();
  return { ...reader, readArchivePages: vi.fn(reader.readArchivePages) };
});

let server: RunningServer;
let client: SyncClient;

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
});

afterAll(() => server?.dispose());

/** Every PUT of a batch the tablet made, as sent: to send again later, as a device retrying would. */
const sent = new Map<string, BatchUpload>();
const recording: typeof fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  const match = /\/batches\/([0-9a-f-]{36})$/.exec(url);
  if (init?.method === 'PUT' && match) sent.set(match[1]!, JSON.parse(await new Response(init.body).text()) as BatchUpload);
  return fetch(input, init);
};

const WHOLE_TIME = { from: '2000-01-01', to: '2100-12-31' };

/** The archive as the admin reads it from the server now. */
async function serverArchive(admin: Device, orgKey: OrgKeyring) {
  return readArchive(client, await credentialsOf(admin), await archiveKeysOf(admin, orgKey));
}

/** Every directory part the server holds, opened with the team keys: what any enrolled device can read. */
async function everyDirectoryPart(admin: Device): Promise<{ text: string; events: FootfallEvent[] }[]> {
  const creds = await credentialsOf(admin);
  const parts: { text: string; events: FootfallEvent[] }[] = [];
  for (let after: string | null = null; ; ) {
    const page = await client.directory(creds, after);
    if (page.kind !== 'ok') throw new Error(page.message);
    for (const item of page.value.items) {
      // A signed part's events are base64url inside the JWS: read as the app reads them, so a name shows.
      const enrolment = (await enrolmentOf(admin.db))!;
      const { plaintext } = await readPart(enrolment.orgPublicKey, enrolment.orgId, await openWithTeamKey(core().teamKeys, item.directory));
      parts.push({ text: new TextDecoder().decode(plaintext), events: FootfallEvent.array().parse(bytesJson(plaintext)) });
    }
    if (!page.value.next) return parts;
    after = page.value.next;
  }
}

async function auditActions(admin: Device): Promise<string[]> {
  const creds = await credentialsOf(admin);
  const outcome = await client.signed(creds, 'GET', `/api/orgs/${creds.orgId}/audit`, undefined, AuditPage);
  if (outcome.kind !== 'ok') throw new Error(outcome.message);
  return outcome.value.entries.map((e) => e.action);
}

/** The admin's organisation key, as the care screen unlocks it. */
async function openRecords(): Promise<void> {
  await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
}

describe('data care', () => {
  let admin: Device;
  let tablet: Device;
  let orgKey: OrgKeyring;
  const ids: Record<string, string> = {};

  it('sets up an organisation, a tablet with women and visits, and both in sync', async () => {
    admin = await newDevice('care-admin');
    await setUpOrganisationHere(client);
    tablet = await joinDevice(admin, client, 'care-tablet');
    for (const name of ['Ann Lee', 'Annie L', 'Bea Stone']) {
      const w = await registerWoman(core(), name, { housing: 'hostel' });
      ids[name] = w.id;
      await checkIn(core(), w.id, ['meal']);
    }
    await checkIn(core(), null, ['shower']);
    await syncUntilDone(tablet, new SyncClient(server.url, recording));
    expect(sent.size).toBeGreaterThan(0);

    await use(admin);
    await syncUntilDone(admin, client);
    expect([...currentSession().women.values()].map((w) => w.knownAs).sort()).toEqual(['Ann Lee', 'Annie L', 'Bea Stone']);
    await openRecords();
    orgKey = await organisationKey(client, admin);
  });

  it('merges two records of the same woman: logged, shared, and the counts follow', async () => {
    const before = countRecords(resolveRecords((await serverArchive(admin, orgKey)).events, currentSession().config), WHOLE_TIME);
    expect(before.uniqueWomen).toBe(3);

    await expect(mergeWomen(core(), client, ids['Annie L']!, ids['Annie L']!)).rejects.toThrow('Choose two different records to merge.');
    await mergeWomen(core(), client, ids['Annie L']!, ids['Ann Lee']!);
    expect(currentSession().women.get(ids['Annie L']!)?.mergedInto).toBe(ids['Ann Lee']);
    expect(searchByName(directorySearchIndex(currentSession().women), 'ann').map((w) => w.knownAs)).toEqual(['Ann Lee']);
    await syncUntilDone(admin, client);

    const after = countRecords(resolveRecords((await serverArchive(admin, orgKey)).events, currentSession().config), WHOLE_TIME);
    expect(after.uniqueWomen).toBe(2);
    // Both checked in at the same site today: one woman, one site, one day is one visit.
    expect(after.visits).toBe(before.visits - 1);
    expect(await auditActions(admin)).toContain('records.merged');

    await use(tablet);
    await syncUntilDone(tablet, client);
    expect(searchByName(directorySearchIndex(currentSession().women), 'ann').map((w) => w.knownAs)).toEqual(['Ann Lee']);
  });

  it('will not erase without the organisation key open, or without her name typed', async () => {
    await use(admin);
    forgetOrgKey(core());
    await expect(eraseWoman(core(), client, ids['Ann Lee']!, 'Ann Lee')).rejects.toThrow(PROBLEMS.org_records_locked());
    await openRecords();
    await expect(eraseWoman(core(), client, ids['Ann Lee']!, 'Bea Stone')).rejects.toThrow('Type her known-as name, Ann Lee, exactly as shown, to confirm.');
    expect(currentSession().women.has(ids['Ann Lee']!)).toBe(true);
    expect(await admin.db.outbox.count()).toBe(0);
  });

  it('erases a woman: no batch on the server opens to her name, her visits still count, others are untouched', async () => {
    const before = countRecords(resolveRecords((await serverArchive(admin, orgKey)).events, currentSession().config), WHOLE_TIME);
    const steps: string[] = [];
    const result = await eraseWoman(core(), client, ids['Ann Lee']!, '  ann LEE ', (step) => steps.push(step));
    expect(steps).toEqual(['uploading', 'reading', 'sealing', 'replacing']);
    // Her registration and Annie's (merged into her): the identifying events.
    expect(result).toMatchObject({ removed: 2, unreadable: 0 });
    expect(result.replaced).toBeGreaterThan(0);

    const parts = await everyDirectoryPart(admin);
    for (const part of parts) {
      expect(part.text).not.toMatch(/Ann Lee|Annie L/);
      expect(part.events.filter((e) => 'womanId' in e && (e.womanId === ids['Ann Lee'] || e.womanId === ids['Annie L']) && e.type.startsWith('woman.r'))).toEqual([]);
    }
    const archive = await serverArchive(admin, orgKey);
    expect(archive.unreadable).toEqual([]);
    expect(JSON.stringify(archive.events)).not.toMatch(/Ann Lee|Annie L/);
    const women = resolveWomen(archive.events);
    expect([...women.values()].map((w) => w.knownAs)).toEqual(['Bea Stone']);
    expect(women.get(ids['Bea Stone']!)?.details).toEqual({ housing: 'hostel' });

    const after = countRecords(resolveRecords(archive.events, currentSession().config), WHOLE_TIME);
    expect(after).toEqual(before);
    expect(after.uniqueWomen).toBe(2);
    expect(after.visits).toBe(3);

    // The admin's own copy of the archive is the compacted one.
    expect(JSON.stringify(await loadHistoryEvents(core()))).not.toMatch(/Ann Lee|Annie L/);
    expect(currentSession().women.has(ids['Ann Lee']!)).toBe(false);
    expect(currentSession().women.has(ids['Annie L']!)).toBe(false);
    const audit = await auditActions(admin);
    expect(audit).toContain('woman.erased');
    expect(audit).toContain('archive.compacted');
  });

  it('a device sending an old batch again does not bring her back', async () => {
    const creds = await credentialsOf(tablet);
    for (const [batchId, body] of sent) {
      const outcome = await client.putBatch(creds, batchId, body);
      expect(outcome).toMatchObject({ kind: 'ok', value: { status: 'duplicate' } });
    }
    expect(JSON.stringify((await serverArchive(admin, orgKey)).events)).not.toMatch(/Ann Lee|Annie L/);
    // Running it again finds nothing left to remove.
    expect(await finishErasures(core(), client)).toMatchObject({ removed: 0, replaced: 0 });
  });

  it('the tablet no longer finds her once it syncs, and keeps everyone else', async () => {
    await use(tablet);
    expect(searchByName(directorySearchIndex(currentSession().women), 'ann').map((w) => w.knownAs)).toEqual(['Ann Lee']);
    await syncUntilDone(tablet, client);
    expect(searchByName(directorySearchIndex(currentSession().women), 'ann')).toEqual([]);
    expect(searchByName(directorySearchIndex(currentSession().women), 'bea').map((w) => w.knownAs)).toEqual(['Bea Stone']);
    expect(await tablet.db.women.count()).toBe(1);
  });

  it('an erasure cut short leaves her erased from the directory, and finishing it clears the server', async () => {
    await use(admin);
    await openRecords();
    // Registered on the admin's own device and not yet uploaded: it goes up first.
    const cleo = await registerWoman(core(), 'Cleo Cut', {});
    await checkIn(core(), cleo.id, ['meal']);
    const failing = new SyncClient(server.url, async (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/compactions')) throw new TypeError('connection cut');
      return fetch(input, init);
    });
    await expect(eraseWoman(core(), failing, cleo.id, 'Cleo Cut')).rejects.toThrow(
      /^Cleo Cut is erased from the directory here, and on every other device as it syncs, but her name is still in the server’s sealed copies\. The server could not replace the stored records \(The server could not be reached\)\. Nothing has been lost\. When the connection is back, use “Finish erasing on the server”\.$/,
    );
    expect(currentSession().women.has(cleo.id)).toBe(false);
    expect(await admin.db.outbox.count()).toBe(0);
    expect(JSON.stringify((await serverArchive(admin, orgKey)).events)).toContain('Cleo Cut');

    expect(await finishErasures(core(), client)).toMatchObject({ removed: 1 });
    const archive = await serverArchive(admin, orgKey);
    expect(JSON.stringify(archive.events)).not.toContain('Cleo Cut');
    expect(archive.events.filter((e) => e.type === 'visit.checkedIn' && e.womanId === cleo.id)).toHaveLength(1);
  });

  it('applies the retention rule: women not seen for N years are erased in one compaction, after a count', async () => {
    // On the tablet: a woman last seen three years ago, and one seen today.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() - 3 * 366 * 24 * 3600_000));
    const olive = await registerWoman(core(), 'Olive Old', {});
    await checkIn(core(), olive.id, ['meal']);
    vi.useRealTimers();
    const nora = await registerWoman(core(), 'Nora New', {});
    await checkIn(core(), nora.id, ['meal']);
    await syncUntilDone(tablet, client);

    await use(admin);
    await syncUntilDone(admin, client);
    await openRecords();
    await expect(previewRetention(core(), client)).rejects.toThrow('No retention rule is set.');
    await saveConfig(core(), { ...currentSession().config, retentionYears: 2 });
    const before = countRecords(resolveRecords((await serverArchive(admin, orgKey)).events, currentSession().config), WHOLE_TIME);

    const preview = await previewRetention(core(), client);
    expect(preview).toEqual({ years: 2, women: [olive.id] });
    const result = await applyRetention(core(), client, preview);
    expect(result.removed).toBe(1);

    const archive = await serverArchive(admin, orgKey);
    expect(JSON.stringify(archive.events)).not.toContain('Olive Old');
    expect([...resolveWomen(archive.events).values()].map((w) => w.knownAs).sort()).toEqual(['Bea Stone', 'Nora New']);
    expect(countRecords(resolveRecords(archive.events, currentSession().config), WHOLE_TIME)).toEqual(before);
    expect(await auditActions(admin)).toContain('retention.applied');
    expect((await previewRetention(core(), client)).women).toEqual([]);

    await use(tablet);
    await syncUntilDone(tablet, client);
    expect(searchByName(directorySearchIndex(currentSession().women), 'olive')).toEqual([]);
    expect(searchByName(directorySearchIndex(currentSession().women), 'nora').map((w) => w.knownAs)).toEqual(['Nora New']);
    // The rule reached the tablet with the shared settings.
    expect(currentSession().config.retentionYears).toBe(2);
  });

  it('reads the archive for the reports’ refresh and for data care through the one reader and GET /archive, each batch once per reading', async () => {
    await use(admin);
    await syncUntilDone(admin, client);
    await openRecords();
    const creds = await credentialsOf(admin);
    const held = (await server.storage.listBatches(creds.orgId, null, 1000)).map((b) => b.batchId).sort();
    expect(held.length).toBeGreaterThan(1);

    /** Every request, and the batches each page of the archive and of the directory delivered. */
    const requests: string[] = [];
    const delivered = { archive: [] as string[], directory: [] as string[] };
    const counting = new SyncClient(server.url, async (input, init) => {
      const path = new URL(String(input)).pathname.replace(/^\/api\/orgs\/[^/]+/, '');
      requests.push(`${init?.method ?? 'GET'} ${path}`);
      const response = await fetch(input, init);
      if (path === '/archive') delivered.archive.push(...ArchivePage.parse(await response.clone().json()).items.map((i) => i.batchId));
      if (path === '/directory') delivered.directory.push(...DirectoryPage.parse(await response.clone().json()).items.map((i) => i.batchId));
      return response;
    });
    const reader = vi.mocked(readArchivePages);
    const reading = async (read: () => Promise<unknown>) => {
      requests.length = 0;
      delivered.archive = [];
      delivered.directory = [];
      reader.mockClear();
      await read();
      return { requests: [...requests], archive: [...delivered.archive].sort(), directory: delivered.directory, readers: reader.mock.calls.length };
    };

    // The reports' refresh: everything from the start, then only what is new (nothing). Records bind to signed statements, not the device list.
    expect(await reading(() => refreshArchive(core(), undefined, { client: counting, fromStart: true }))).toEqual({
      requests: ['GET /archive'],
      archive: held,
      directory: [],
      readers: 1,
    });
    expect(await reading(() => refreshArchive(core(), undefined, { client: counting }))).toEqual({ requests: ['GET /archive'], archive: [], directory: [], readers: 1 });
    // The reports open from the copy the refresh kept: no request at all.
    expect(await reading(() => loadReportHistory(core(), currentSession().config))).toEqual({ requests: [], archive: [], directory: [], readers: 0 });
    // Data care: the retention count refreshes the same copy; a compaction reads every batch once
    // (its device sync round first pulls the directory, which brings no batch the device has not had).
    expect(await reading(() => previewRetention(core(), counting))).toEqual({ requests: ['GET /archive'], archive: [], directory: [], readers: 1 });
    const finished = await reading(() => finishErasures(core(), counting));
    expect(finished).toMatchObject({ archive: held, directory: [], readers: 1 });
    expect(finished.requests.filter((r) => r.startsWith('GET /archive'))).toEqual(['GET /archive']);
    expect(finished.requests).not.toContain('GET /batches');
  });
});
