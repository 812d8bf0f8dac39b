/**
 * Page side of the report figure (the Node side is bench/lib/reportBench.ts). An admin device's
 * reports archive is filled with a synthetic organisation's history through the app's own
 * replaceArchive (sealed chunks in IndexedDB, as a refresh stores them); then the timed step is
 * what the Reports screen does when it opens: loadHistory (read and decrypt every chunk), then
 * resolveHistory and buildReport for one financial year. The baseline reads the same rows and
 * only decrypts them with AES-GCM.
 */
import { v7 as uuidv7 } from 'uuid';
import { FootfallDb, type Enrolment, type StaffRow } from '../../src/app/db/database.ts';
import { loadHistory, replaceArchive } from '../../src/app/reports/archiveStore.ts';
import { useFootfall, type Session } from '../../src/app/store.ts';
import { Vault } from '../../src/app/vault.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { createKeyring } from '../../src/crypto/keyring.ts';
import { buildSearchIndex } from '../../src/domain/search.ts';
import { generateDeviceKeys } from '../../src/crypto/signing.ts';
import { defaultConfig, type OrgConfig } from '../../src/domain/config.ts';
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

export const reportApi = {
  /** Fills the archive through replaceArchive; returns what is stored. */
  async reportSetUp(dbName: string, total: number): Promise<{ events: number; rows: number; ctBytes: number; ms: number }> {
    const t0 = performance.now();
    vault = await adminSession(dbName);
    await replaceArchive(syntheticHistory(total, DEVICE, STAFF));
    const rows = await vault.db.archive.toArray();
    return { events: total, rows: rows.length, ctBytes: rows.reduce((n, r) => n + r.ct.byteLength, 0), ms: performance.now() - t0 };
  },

  /** The timed step: open the archive and count one financial year, as the Reports screen does. */
  async reportRun(startYear: number): Promise<{ ms: number; loadMs: number; resolveMs: number; countMs: number; events: number; visits: number; women: number }> {
    if (!config) throw new Error('call reportSetUp first');
    const t0 = performance.now();
    const { events } = await loadHistory();
    const t1 = performance.now();
    const resolved = resolveHistory(events, config);
    const t2 = performance.now();
    const report = buildReport(resolved, config, { kind: 'financialYear', startYear });
    const t3 = performance.now();
    return { ms: t3 - t0, loadMs: t1 - t0, resolveMs: t2 - t1, countMs: t3 - t2, events: events.length, visits: report.figures.visits, women: report.figures.uniqueWomen };
  },

  /** Baseline: the same rows read from IndexedDB and decrypted with AES-GCM, nothing else. */
  async reportBaseline(): Promise<{ ms: number; bytes: number }> {
    if (!vault) throw new Error('call reportSetUp first');
    const t0 = performance.now();
    const rows = await vault.db.archive.toArray();
    let bytes = 0;
    await Promise.all(
      rows.map(async (row) => {
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.iv, additionalData: utf8.encode(`archive:${row.id}`) }, vault!.keyring.content, row.ct);
        bytes += plain.byteLength;
      }),
    );
    return { ms: performance.now() - t0, bytes };
  },
};
