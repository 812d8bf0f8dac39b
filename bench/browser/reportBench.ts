/**
 * Page side of the report figure (the Node side is bench/lib/reportBench.ts). An admin device's
 * reports archive is filled with a synthetic organisation's history through the app's own
 * replaceArchive (sealed chunks in IndexedDB, as a refresh stores them, and the resolved history
 * kept beside them, as after every refresh that brings something new). The timed step is what the
 * Reports screen does when it opens: loadReportHistory (read and decrypt the kept resolution,
 * decode it), then buildReport for one financial year. Beside it, the first opening when there is
 * no kept resolution to read, as the screen awaits it: loadReportHistory again (the report worker
 * reads, decrypts and resolves every chunk, the page decodes what it hands over), buildReport,
 * then the keeping of the resolution that goes on after the report is shown. Baselines, like with
 * like: the kept resolution's row read and decrypted alone for the first; the chunk rows read
 * and decrypted with AES-GCM alone for the second.
 */
import type { DeviceCore } from '../../src/app/core/core.ts';
import { FootfallDb, type Enrolment } from '../../src/app/core/database.ts';
import { boot } from '../../src/app/core/device.ts';
import { loadReportHistory, replaceArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { setUpDevice } from '../../src/app/lock/access.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { exportDevicePrivateKeys, generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { OrgConfig } from '../../src/domain/config.ts';
import { buildReport } from '../../src/domain/report.ts';
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
    nextSeq: 0,
    sealedThrough: 0,
  };
  // As the app enrols: the private keys sealed first, then the enrolment that needs them.
  await core.saveDeviceKeys(await exportDevicePrivateKeys(device));
  await db.device.put(enrolment);
  config = core.session.config;
  return { core, db };
}

let admin: { core: DeviceCore; db: FootfallDb } | undefined;

const RESOLVED_ID = 'resolved';
const isChunk = (id: string) => id.startsWith('chunk:');

export const reportApi = {
  /**
   * Fills the archive through replaceArchive, which also keeps the resolved history; returns what
   * is stored.
   */
  async reportSetUp(dbName: string, total: number): Promise<{ events: number; rows: number; ctBytes: number; resolvedBytes: number; ms: number }> {
    const t0 = performance.now();
    admin = await adminCore(dbName);
    const { core, db } = admin;
    await replaceArchive(core, syntheticHistory(total, core.identity.deviceId, core.staff.id));
    const rows = (await db.archive.toArray()).filter((r) => isChunk(r.id));
    const resolved = await db.archive.get(RESOLVED_ID);
    if (!resolved) throw new Error('replaceArchive kept no resolved history');
    return { events: total, rows: rows.length, ctBytes: rows.reduce((n, r) => n + r.ct.byteLength, 0), resolvedBytes: resolved.ct.byteLength, ms: performance.now() - t0 };
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
   * The first opening with no kept resolution to read (the kept row is dropped first; this opening
   * keeps it again): to the report shown, and then until its resolution is kept, as the app awaits it.
   */
  async reportFirstOpening(startYear: number): Promise<{ ms: number; loadMs: number; countMs: number; keepMs: number; events: number; visits: number; women: number }> {
    if (!config || !admin) throw new Error('call reportSetUp first');
    await admin.db.archive.delete(RESOLVED_ID);
    const t0 = performance.now();
    const opened = await loadReportHistory(admin.core, config);
    const t1 = performance.now();
    const report = buildReport(opened.history, config, { kind: 'financialYear', startYear });
    const t2 = performance.now();
    await opened.keeping;
    const t3 = performance.now();
    if (!opened.resolvedNow) throw new Error('a kept resolution was used: the figure would not time the first opening');
    if (!(await admin.db.archive.get(RESOLVED_ID))) throw new Error('the first opening kept no resolution');
    return { ms: t2 - t0, loadMs: t1 - t0, countMs: t2 - t1, keepMs: t3 - t2, events: opened.events, visits: report.figures.visits, women: report.figures.uniqueWomen };
  },

  /**
   * Baseline: the same chunk rows read from IndexedDB and decrypted with AES-GCM, nothing else;
   * and, beside it, the kept resolution's row read and decrypted alone.
   */
  async reportBaseline(): Promise<{ ms: number; bytes: number; resolvedMs: number; resolvedBytes: number }> {
    if (!admin) throw new Error('call reportSetUp first');
    const { db } = admin;
    const { keyring } = admin.core;
    const decrypt = (row: { id: string; iv: Uint8Array<ArrayBuffer>; ct: ArrayBuffer }) =>
      crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.iv, additionalData: utf8.encode(`archive:${row.id}`) }, keyring.content, row.ct);
    const t0 = performance.now();
    const rows = await db.archive.where('id').startsWith('chunk:').toArray();
    const plains = await Promise.all(rows.map(decrypt));
    const t1 = performance.now();
    const resolved = await db.archive.get(RESOLVED_ID);
    if (!resolved) throw new Error('no resolved history is kept');
    const plain = await decrypt(resolved);
    const t2 = performance.now();
    return { ms: t1 - t0, bytes: plains.reduce((n, p) => n + p.byteLength, 0), resolvedMs: t2 - t1, resolvedBytes: plain.byteLength };
  },
};
