/**
 * Page side of the report figure (the Node side is bench/lib/reportBench.ts). An admin device's
 * reports archive is filled with a synthetic organisation's history through the app's own
 * replaceArchive (sealed chunks in IndexedDB, as a refresh stores them, and the resolved history
 * kept beside them, as after every refresh that brings something new). The timed step is what the
 * Reports screen does when it opens: loadReportHistory (read and decrypt the kept resolution,
 * decode it), then buildReport for one financial year. Beside it, untargeted, the first opening
 * when there is no kept resolution to read: loadHistory (read and decrypt every chunk), then
 * resolveHistory and buildReport. The baseline reads the same chunk rows and only decrypts them
 * with AES-GCM; the kept resolution's row is read and decrypted alone beside it.
 */
import { v7 as uuidv7 } from 'uuid';
import { FootfallDb, type Enrolment, type StaffRow } from '../../src/app/core/database.ts';
import { loadHistory, loadReportHistory, replaceArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { sealArchiveRow } from '../../src/app/admin/archive/archiveRows.ts';
import { useFootfall, type Session } from '../../src/app/store.ts';
import { Vault } from '../../src/app/core/vault.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { createKeyring } from '../../src/crypto/keyring.ts';
import { buildSearchIndex } from '../../src/domain/search.ts';
import { generateDeviceKeys } from '../../src/crypto/signing.ts';
import { defaultConfig, type OrgConfig } from '../../src/domain/config.ts';
import { encodeHistory } from '../../src/domain/historyCodec.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import { syntheticHistory } from '../lib/history.ts';

const DEVICE = uuidv7();
const STAFF = uuidv7();

let config: OrgConfig | undefined;

/** An unlocked admin session on an enrolled admin device, as the Reports screen runs in. */
async function adminSession(dbName: string): Promise<Vault> {
  const db = new FootfallDb(dbName);
  await db.open();
  const vault = new Vault(db, await createKeyring());
  config = defaultConfig({ key: 'main', name: 'Main' });
  const staff: StaffRow = { id: STAFF, name: 'Admin', role: 'admin', wrappedRoot: { kdf: 'PBKDF2-SHA256', iterations: 0, salt: '', iv: '', ciphertext: '' } };
  const device = await generateDeviceKeys();
  const enrolment: Enrolment = {
    key: 'enrolment',
    orgId: crypto.randomUUID(),
    role: 'admin',
    orgPublicKey: (await generateOrgKeyPair()).publicJwk,
    signingKey: device.signing.privateKey,
    encryptionKey: device.encryption.privateKey,
    nextSeq: 0,
    sealedThrough: 0,
  };
  await db.device.put(enrolment);
  const session: Session = {
    vault,
    staff,
    config,
    women: new Map(),
    searchIndex: buildSearchIndex([]),
    today: '2026-11-25',
    visits: [],
    contacts: [],
    teamKeys: new Map(),
    unreadable: 0,
  };
  useFootfall.setState({ identity: { key: 'identity', deviceId: DEVICE, deviceName: 'Bench laptop', siteKey: 'main' }, phase: { kind: 'unlocked', session } });
  return vault;
}

let vault: Vault | undefined;

const RESOLVED_ID = 'resolved';
const isChunk = (id: string) => id.startsWith('chunk:');

export const reportApi = {
  /**
   * Fills the archive through replaceArchive, which also keeps the resolved history; returns what
   * is stored.
   */
  async reportSetUp(dbName: string, total: number): Promise<{ events: number; rows: number; ctBytes: number; resolvedBytes: number; ms: number }> {
    const t0 = performance.now();
    vault = await adminSession(dbName);
    await replaceArchive(syntheticHistory(total, DEVICE, STAFF));
    const rows = (await vault.db.archive.toArray()).filter((r) => isChunk(r.id));
    const resolved = await vault.db.archive.get(RESOLVED_ID);
    if (!resolved) throw new Error('replaceArchive kept no resolved history');
    return { events: total, rows: rows.length, ctBytes: rows.reduce((n, r) => n + r.ct.byteLength, 0), resolvedBytes: resolved.ct.byteLength, ms: performance.now() - t0 };
  },

  /** The timed step: open the reports from the kept resolution and count one financial year, as the Reports screen does. */
  async reportRun(startYear: number): Promise<{ ms: number; loadMs: number; countMs: number; events: number; visits: number; women: number }> {
    if (!config) throw new Error('call reportSetUp first');
    const t0 = performance.now();
    const opened = await loadReportHistory(config);
    const t1 = performance.now();
    const report = buildReport(opened.history, config, { kind: 'financialYear', startYear });
    const t2 = performance.now();
    if (opened.resolvedNow) throw new Error('the kept resolution was not used: the figure would time the first opening');
    return { ms: t2 - t0, loadMs: t1 - t0, countMs: t2 - t1, events: opened.events, visits: report.figures.visits, women: report.figures.uniqueWomen };
  },

  /**
   * Untargeted: the first opening with no kept resolution to read (every event resolved), and
   * what keeping its resolution then costs (encoded and sealed, not written).
   */
  async reportFirstOpening(startYear: number): Promise<{ ms: number; loadMs: number; resolveMs: number; countMs: number; keepMs: number; events: number; visits: number; women: number }> {
    if (!config || !vault) throw new Error('call reportSetUp first');
    const t0 = performance.now();
    const { events } = await loadHistory();
    const t1 = performance.now();
    const resolved = resolveHistory(events, config);
    const t2 = performance.now();
    const report = buildReport(resolved, config, { kind: 'financialYear', startYear });
    const t3 = performance.now();
    await sealArchiveRow(vault.keyring, RESOLVED_ID, encodeHistory(resolved));
    const t4 = performance.now();
    return { ms: t3 - t0, loadMs: t1 - t0, resolveMs: t2 - t1, countMs: t3 - t2, keepMs: t4 - t3, events: events.length, visits: report.figures.visits, women: report.figures.uniqueWomen };
  },

  /**
   * Baseline: the same chunk rows read from IndexedDB and decrypted with AES-GCM, nothing else;
   * and, beside it, the kept resolution's row read and decrypted alone.
   */
  async reportBaseline(): Promise<{ ms: number; bytes: number; resolvedMs: number; resolvedBytes: number }> {
    if (!vault) throw new Error('call reportSetUp first');
    const { db, keyring } = vault;
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
