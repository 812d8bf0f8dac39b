/**
 * Page side of the report figure (the Node side is bench/lib/reportBench.ts). An admin device's
 * reports archive is filled with a synthetic organisation's history through the app's own
 * replaceArchive (sealed chunks in IndexedDB, as a refresh stores them, and the resolved history
 * kept beside them, as after every refresh that brings something new). The timed step is what the
 * Reports screen does when it opens: loadReportHistory (read and decrypt the kept resolution,
 * decode it), then buildReport for one financial year. Beside it, the first opening when there is
 * no kept resolution to read, as the screen awaits it: loadReportHistory again (the report worker
 * reads, decrypts and resolves every chunk, the page decodes what it hands over), buildReport,
 * then the keeping of the resolution that goes on after the report is shown, from chunk rows in the
 * previous form (`{ v: 1, events }`, kept beside them under other ids) and in the compact one
 * (src/app/admin/archive/chunkCodec.ts) in turn, and a profile of its stages. Baselines, like with
 * like: the kept resolution's row read and decrypted alone for the first; the chunk rows read
 * and decrypted with AES-GCM alone for the second.
 */
import type { DeviceCore } from '../../src/app/core/core.ts';
import { FootfallDb, type ArchiveRow, type Enrolment } from '../../src/app/core/database.ts';
import { bindWaiting, gatherEvents, KeptBasis, KeptDirectory } from '../../src/app/admin/archive/archiveEvents.ts';
import { sealJson } from '../../src/crypto/atRest.ts';
import { decodeHistory, encodeHistory } from '../../src/domain/historyCodec.ts';
import type { ChunkForm, KeptProfile, OpeningProfile, ReportStored } from '../lib/reportBench.ts';
import { openKept } from '../../src/app/admin/archive/keptResolution.ts';
import { adminDevice } from '../../src/app/admin/adminDevice.ts';
import { foldWaiting } from '../../src/domain/waitingFold.ts';
import { isEntryEvent } from '../../src/domain/directory.ts';
import { decodeChunk, decodeSealedChunk } from '../../src/app/admin/archive/chunkCodec.ts';
import { boot } from '../../src/app/core/device.ts';
import { loadReportHistory, replaceArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { setUpDevice } from '../../src/app/lock/access.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { exportDevicePrivateKeys, generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { OrgConfig } from '../../src/domain/config.ts';
import { buildReport, resolveHistory, type ExactReport } from '../../src/domain/report.ts';
import { syntheticHistory } from '../lib/history.ts';

let config: OrgConfig | undefined;

/** An admin unlocked on an enrolled admin device, set up through the app's own first run, as the Reports screen runs in. */
async function adminCore(dbName: string): Promise<{ core: DeviceCore; db: FootfallDb }> {
  const db = new FootfallDb(dbName);
  await boot(db);
  const core = await setUpDevice({ deviceName: 'Bench laptop', siteName: 'Main', staffName: 'Admin', pin: '482915' });
  const device = await generateDeviceKeys();
  const enrolment: Enrolment = {
    key: 'enrolment',
    orgId: crypto.randomUUID(),
    role: 'admin',
    orgPublicKey: (await generateOrgKeyPair()).publicJwk,
    signingPublicKey: await publicJwk(device.signing.publicKey),
  };
  // As the app enrols: the private keys sealed first, then the enrolment that needs them.
  await core.saveDeviceKeys(await exportDevicePrivateKeys(device));
  await db.device.put(enrolment);
  config = core.session.config;
  return { core, db };
}

let admin: { core: DeviceCore; db: FootfallDb } | undefined;

/** A row of the archive table decrypted with AES-GCM, nothing else. */
function decryptRow(row: ArchiveRow): Promise<ArrayBuffer> {
  if (!admin) throw new Error('call reportSetUp first');
  return crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.iv, additionalData: utf8.encode(`archive:${row.id}`) }, admin.core.keyring.content, row.ct);
}

const RESOLVED_ID = 'resolved';
const BASIS_ID = 'resolved:basis';
const DIRECTORY_ID = 'resolved:directory';
const CHUNK_PREFIX = 'chunk:';
/** The same chunks in the previous form, `{ v: 1, events }`, under ids the app does not read, for the before-and-after figures. */
const OLD_PREFIX = 'oldform:';

/** A chunk row's value, opened. */
async function openRow(row: ArchiveRow): Promise<unknown> {
  return JSON.parse(utf8.decode(await decryptRow(row)));
}

/** The versions of the chunk rows the app reads, each once. */
async function chunkVersions(): Promise<number[]> {
  if (!admin) throw new Error('call reportSetUp first');
  const rows = await admin.db.archive.where('id').startsWith(CHUNK_PREFIX).toArray();
  const versions = await Promise.all(rows.map(async (row) => (await openRow(row)) as { v: number }));
  return [...new Set(versions.map((v) => v.v))];
}

export const reportApi = {
  /**
   * Fills the archive through replaceArchive, which also keeps the resolved history; returns what
   * is stored.
   */
  async reportSetUp(dbName: string, total: number): Promise<ReportStored> {
    const t0 = performance.now();
    admin = await adminCore(dbName);
    const { core, db } = admin;
    await replaceArchive(core, syntheticHistory(total, core.identity.deviceId, core.staff.id));
    const rows = await db.archive.where('id').startsWith(CHUNK_PREFIX).toArray();
    const resolved = await db.archive.get(RESOLVED_ID);
    if (!resolved) throw new Error('replaceArchive kept no resolved history');
    // The same events in the previous form, `{ v: 1, events }`, under ids the app does not read.
    let oldCtBytes = 0;
    for (const row of rows) {
      const events = decodeChunk(await openRow(row));
      if (!events) throw new Error(`row ${row.id} does not decode`);
      const id = OLD_PREFIX + row.id;
      const sealed = { id, ...(await sealJson(core.keyring, `archive:${id}`, { v: 1, events })) };
      oldCtBytes += sealed.ct.byteLength;
      await db.archive.put(sealed);
    }
    return { events: total, rows: rows.length, ctBytes: rows.reduce((n, r) => n + r.ct.byteLength, 0), oldCtBytes, resolvedBytes: resolved.ct.byteLength, ms: performance.now() - t0 };
  },

  /** The timed step: open the reports from the kept resolution and count one financial year, as the Reports screen does. */
  async reportRun(startYear: number): Promise<{ ms: number; loadMs: number; countMs: number; events: number; visits: number; women: number }> {
    if (!config || !admin) throw new Error('call reportSetUp first');
    const t0 = performance.now();
    const opened = await loadReportHistory(admin.core, config);
    const t1 = performance.now();
    const report = buildReport(opened.history, config, { kind: 'financialYear', startYear });
    const t2 = performance.now();
    if (opened.resolvedNow) throw new Error('the kept resolution was not used: the figure would time the first opening');
    return { ms: t2 - t0, loadMs: t1 - t0, countMs: t2 - t1, events: opened.events, visits: report.figures.visits, women: report.figures.uniqueWomen };
  },

  /**
   * An opening from the kept resolution with events waiting on this admin's laptop, as the Reports
   * screen does it: a woman registered here and checked in, and an anonymous visit, saved through
   * the app's own actions before the first call (untimed) and never uploaded; then loadReportHistory
   * (the kept resolution, and with events waiting, the basis kept beside it: they are bound to the
   * organisation's people and folded on) and buildReport for one financial year. Leaves the events
   * waiting: the last report figure.
   */
  async reportRunWaiting(startYear: number): Promise<{ ms: number; loadMs: number; countMs: number; events: number; waiting: number }> {
    if (!config || !admin) throw new Error('call reportSetUp first');
    const { core } = admin;
    if ((await core.outbox.waitingEvents()).events.length === 0) {
      const woman = await registerWoman(core, 'Waiting Here', {});
      await checkIn(core, woman.id, ['meal']);
      await checkIn(core, null, ['shower']);
    }
    const waiting = (await core.outbox.waitingEvents()).events.length;
    const t0 = performance.now();
    const opened = await loadReportHistory(core, config);
    const t1 = performance.now();
    buildReport(opened.history, config, { kind: 'financialYear', startYear });
    const t2 = performance.now();
    if (opened.resolvedNow) throw new Error('the waiting events were not folded onto the kept resolution: every event was resolved');
    return { ms: t2 - t0, loadMs: t1 - t0, countMs: t2 - t1, events: opened.events, waiting };
  },

  /**
   * The first opening with no kept resolution to read (the kept row is dropped first; this opening
   * keeps it again): to the report shown, and then until its resolution is kept, as the app awaits it.
   */
  async reportFirstOpening(startYear: number, form: ChunkForm): Promise<{ ms: number; loadMs: number; keepMs: number; events: number; visits: number; women: number }> {
    if (!config || !admin) throw new Error('call reportSetUp first');
    const { core, db } = admin;
    if (form === 'old') {
      // The chunk rows as the previous version wrote them: this opening reads them, and rewrites them compact after.
      for (const row of await db.archive.where('id').startsWith(OLD_PREFIX).toArray()) {
        const id = row.id.slice(OLD_PREFIX.length);
        await db.archive.put({ id, ...(await sealJson(core.keyring, `archive:${id}`, await openRow(row))) });
      }
    }
    if ((await chunkVersions()).join() !== (form === 'old' ? '1' : '2')) throw new Error(`the chunk rows are not all in the ${form} form`);
    await admin.db.archive.delete(RESOLVED_ID);
    const period = { kind: 'financialYear', startYear } as const;
    let shown: { at: number; report: ExactReport } | null = null;
    const t0 = performance.now();
    // As the Reports screen opens: the report of its period, counted in the report worker, shows
    // first; the history follows (other periods, raw records), and its resolution is kept after.
    const opened = await loadReportHistory(admin.core, config, undefined, { period, counted: (report) => (shown = { at: performance.now(), report }) });
    const t1 = performance.now();
    await opened.keeping;
    const t3 = performance.now();
    if (!opened.resolvedNow) throw new Error('a kept resolution was used: the figure would not time the first opening');
    const early = shown as { at: number; report: ExactReport } | null;
    if (!early) throw new Error('the first opening counted no report before the history');
    const report = early.report;
    if (JSON.stringify(report.figures) !== JSON.stringify(buildReport(opened.history, config, period).figures)) throw new Error('the early report differs from the one counted from the history');
    if (!(await admin.db.archive.get(RESOLVED_ID))) throw new Error('the first opening kept no resolution');
    if ((await chunkVersions()).join() !== '2') throw new Error('the first opening left rows in the old form');
    return { ms: early.at - t0, loadMs: t1 - t0, keepMs: t3 - t1, events: opened.events, visits: report.figures.visits, women: report.figures.uniqueWomen };
  },

  /**
   * Where a first opening's time goes, stage by stage, each run alone on this page in turn (in the
   * app the reading stages overlap in the report worker): the chunk rows read from IndexedDB,
   * decrypted, their JSON decoded and parsed, the events gathered and bound to the organisation's
   * people, resolved, encoded to the compact form, handed over (a structured clone, as a worker's
   * message), decoded, counted; then the keep step: the resolution stringified and sealed, and
   * its row written (under a scratch id, removed after).
   */
  async reportProfile(startYear: number, form: ChunkForm): Promise<OpeningProfile> {
    if (!config || !admin) throw new Error('call reportSetUp first');
    const { db, core } = admin;
    const stages: [keyof OpeningProfile, number][] = [];
    let last = performance.now();
    const lap = (stage: keyof OpeningProfile) => {
      const now = performance.now();
      stages.push([stage, now - last]);
      last = now;
    };
    const ids = await db.archive.where('id').startsWith(form === 'old' ? OLD_PREFIX : CHUNK_PREFIX).primaryKeys();
    const rows = await db.archive.bulkGet(ids);
    lap('readMs');
    const plains = await Promise.all(rows.map((row) => decryptRow(row!)));
    lap('decryptMs');
    const values = plains.map((p) => JSON.parse(utf8.decode(p)) as unknown);
    lap('parseMs');
    const rowsRead = values.map(decodeSealedChunk);
    lap('unpackMs');
    const gathered = await gatherEvents(rowsRead, await core.outbox.waitingEvents());
    lap('gatherMs');
    const history = resolveHistory(gathered.events, config);
    lap('resolveMs');
    const encoded = encodeHistory(history);
    lap('encodeMs');
    const handed = structuredClone(encoded);
    lap('handOverMs');
    const decoded = decodeHistory(handed, config);
    lap('decodeMs');
    buildReport(decoded, config, { kind: 'financialYear', startYear });
    lap('countMs');
    const sealed = await sealJson(core.keyring, 'archive:profile-scratch', { v: 1, history: encoded });
    lap('keepSealMs');
    await db.archive.put({ id: 'profile-scratch', ...sealed });
    lap('keepWriteMs');
    await db.archive.delete('profile-scratch');
    return Object.fromEntries(stages) as unknown as OpeningProfile;
  },

  /**
   * Where an opening from the kept resolution spends its time, stage by stage, as loadReportHistory
   * and the Reports screen do it: the admin device checked, the kept row and the chunk ids read,
   * decrypted, its JSON decoded and parsed, checked and decoded (openKept), this device's waiting
   * events opened and folded on, and one financial year counted.
   */
  async reportKeptProfile(startYear: number): Promise<KeptProfile> {
    if (!config || !admin) throw new Error('call reportSetUp first');
    const { db, core } = admin;
    const stages: [keyof KeptProfile, number][] = [];
    let last = performance.now();
    const lap = (stage: keyof KeptProfile) => {
      const now = performance.now();
      stages.push([stage, now - last]);
      last = now;
    };
    const { enrolment } = await adminDevice(core);
    await core.archive.readState();
    lap('stateMs');
    const row = await db.archive.get(RESOLVED_ID);
    const chunkIds = await db.archive.where('id').startsWith(CHUNK_PREFIX).primaryKeys();
    lap('readMs');
    const plain = await decryptRow(row!);
    lap('decryptMs');
    const value = JSON.parse(utf8.decode(plain)) as unknown;
    lap('parseMs');
    const kept = openKept(value, chunkIds, enrolment.orgId, config);
    if (!kept) throw new Error('the kept resolution did not open');
    lap('decodeMs');
    const waiting = await core.outbox.waitingEvents();
    lap('waitingMs');
    // As loadReportHistory: with events waiting, the basis kept beside the resolution is read and
    // they are bound first; the directory kept beside it is read too when entries wait.
    const besideRow = async (id: string) => {
      const row = await db.archive.get(id);
      return row ? (JSON.parse(utf8.decode(await decryptRow(row))) as unknown) : null;
    };
    const entries = waiting.events.some(isEntryEvent);
    const basis = waiting.events.length ? KeptBasis.parse(await besideRow(BASIS_ID)) : null;
    const directory = entries ? KeptDirectory.parse(await besideRow(DIRECTORY_ID)).fold : null;
    const accepted = basis ? (await bindWaiting(waiting.events, basis)).accepted : [];
    const folded = foldWaiting(kept.history, accepted, { directory, voided: basis?.voided ?? [] });
    if (!folded) throw new Error('the waiting events did not fold');
    lap('foldMs');
    buildReport(folded, config, { kind: 'financialYear', startYear });
    lap('countMs');
    return Object.fromEntries(stages) as unknown as KeptProfile;
  },

  /**
   * Baseline: the same chunk rows read from IndexedDB and decrypted with AES-GCM, nothing else;
   * and, beside it, the kept resolution's row read and decrypted alone.
   */
  async reportBaseline(): Promise<{ ms: number; bytes: number; resolvedMs: number; resolvedBytes: number }> {
    if (!admin) throw new Error('call reportSetUp first');
    const { db } = admin;
    const decrypt = decryptRow;
    const t0 = performance.now();
    const rows = await db.archive.where('id').startsWith(CHUNK_PREFIX).toArray();
    const plains = await Promise.all(rows.map(decrypt));
    const t1 = performance.now();
    const resolved = await db.archive.get(RESOLVED_ID);
    if (!resolved) throw new Error('no resolved history is kept');
    const plain = await decrypt(resolved);
    const t2 = performance.now();
    return { ms: t1 - t0, bytes: plains.reduce((n, p) => n + p.byteLength, 0), resolvedMs: t2 - t1, resolvedBytes: plain.byteLength };
  },
};
