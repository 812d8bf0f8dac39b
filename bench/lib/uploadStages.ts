/**
 * Where an upload's time goes on the endpoint: each stage of PUT /orgs/:orgId/batches/:batchId
 * timed alone, in this process, over the same real signed uploads the load generator sends
 * (small, and real-sized): reading the body, the request's validation (the route's zod schema and
 * the storable check, through the endpoint's own validator), the body's SHA-256 (taken once), the
 * signature check, the hash that decides "the same batch again", and the store: the uploads
 * handed to the store together, as concurrent requests are (the batch and its audit row, and the
 * batch alone), and on SQLite the same group commit taken apart statement by statement (store:
 * the batch row; audit: its audit row; the savepoint each write runs in; commit).
 *
 * Beside the stages, what the changes to them won, measured the same way in the same run:
 * reading the body decoded whole and parsed (what reading the canonical upload from its bytes replaced);
 * hashing the upload serialised again for "the same batch again" (what keeping the body's own
 * hash replaced, when the body is canonical, as the app always sends it); a second savepoint per
 * upload (what running each write in its group's savepoint alone replaced);
 * verifying with WebCrypto (what node:crypto with a kept key replaced); committing on SQLite with
 * synchronous = FULL, the disk flush inside the commit on the event loop (what the endpoint's own
 * flush of the log off the event loop replaced); committing with SQLite's own checkpoints inside
 * the commits (what the checkpoint worker, storage/sqliteCheckpointer.ts, replaced); and, on PostgreSQL, the uploads one at a time (what
 * writing them as one statement per group replaced). The HTTP layer itself is the health route's
 * figure in the server bench.
 *
 * Each stage's figure is its time per upload: for the synchronous stages, CPU time on the event
 * loop; for the commit, the event loop's busy time (what other requests wait for) beside the wall
 * time per upload of a group.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { generateOrgKeyPair, generateTeamKey, jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk, signRequest, verifyRequest, type SignedParts } from '../../src/crypto/signing.ts';
import { BatchUpload, type PublicJwk } from '../../src/domain/protocol.ts';
import { canonicalBatchHash, uploadHash } from '../../src/server/api/batchRoutes.ts';
import { readCanonicalUpload } from '../../src/server/api/uploadBody.ts';
import { bodySha256, verifySignedRequest } from '../../src/server/api/signature.ts';
import { zodValidatorCompiler } from '../../src/server/api/validation.ts';
import { openPostgresStorage } from '../../src/server/storage/postgres.ts';
import { MIGRATIONS, openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import { utf8Writer } from '../../src/server/storage/sqliteText.ts';
import type { NewAuditEntry, NewBatch, Storage } from '../../src/server/storage/types.ts';

export interface StageFigure {
  stage: string;
  /** µs per upload: CPU (or event-loop busy) time. */
  loopUs: number;
  /** µs per upload of wall time, where it differs from the loop time (commits). */
  wallUs?: number;
  /** Set for the figures of what a change replaced. */
  before?: boolean;
}

export interface UploadStagesResult {
  bodyBytes: number;
  uploads: number;
  group: number;
  stages: StageFigure[];
}

interface SignedUpload {
  parts: SignedParts;
  raw: Buffer;
  signature: string;
  batchId: string;
}

async function signedUploads(count: number, uploadBytes: number | undefined) {
  const orgId = crypto.randomUUID();
  const org = await generateOrgKeyPair();
  const team = { version: 1, key: await generateTeamKey() };
  const keys = await generateDeviceKeys();
  const deviceId = crypto.randomUUID();
  const signingKey: PublicJwk = await publicJwk(keys.signing.publicKey);
  const at = new Date().toISOString();
  const events = [{ id: crypto.randomUUID(), at, deviceId, type: 'visit.checkedIn', womanId: crypto.randomUUID(), siteId: 'main', services: ['meal'] }];
  const padTo = uploadBytes ? Math.floor(((uploadBytes - 2_500) * 3) / 4) : undefined;
  const activity = await sealTo(org.publicJwk, jsonBytes(events), padTo ? { padTo } : undefined);
  const directory = await sealWithTeamKey(team, jsonBytes(events));
  const uploads: SignedUpload[] = [];
  for (let seq = 0; seq < count; seq++) {
    const batchId = crypto.randomUUID();
    const text = JSON.stringify({ seq, activity, directory });
    const parts: SignedParts = { method: 'PUT', path: `/api/orgs/${orgId}/batches/${batchId}`, orgId, deviceId, timestamp: at, body: Buffer.from(text, 'utf8') };
    uploads.push({ parts, raw: parts.body as Buffer, signature: await signRequest(keys.signing.privateKey, { ...parts, body: text }), batchId });
  }
  return { orgId, deviceId, signingKey, orgKey: org.publicJwk, uploads };
}

/** CPU µs per item of a synchronous or asynchronous step run over every item, one after another. */
async function perItem<T>(items: readonly T[], step: (item: T, index: number) => unknown): Promise<number> {
  const before = process.cpuUsage();
  for (const [i, item] of items.entries()) await step(item, i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / items.length;
}

/** Event-loop busy µs and wall µs per upload, committing `batches` in groups of `group` handed over at once. */
async function commitFigures(batches: NewBatch[], group: number, commit: (b: NewBatch) => Promise<unknown>): Promise<{ loopUs: number; wallUs: number }> {
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < batches.length; i += group) await Promise.all(batches.slice(i, i + group).map(commit));
  const wallMs = performance.now() - t0;
  const busy = performance.eventLoopUtilization(elu);
  return { loopUs: (busy.active * 1000) / batches.length, wallUs: (wallMs * 1000) / batches.length };
}

function newBatches(orgId: string, deviceId: string, uploads: SignedUpload[]): { batch: NewBatch; audit: NewAuditEntry }[] {
  const at = new Date().toISOString();
  return uploads.map((u, seq) => {
    const body = BatchUpload.parse(JSON.parse(u.raw.toString('utf8')));
    const batchId = crypto.randomUUID();
    return {
      batch: { orgId, batchId, deviceId, seq, activity: body.activity, directory: body.directory, sha256: canonicalBatchHash(body), size: body.activity.length + body.directory.length, receivedAt: at },
      audit: { orgId, at, actor: deviceId, action: 'batch.uploaded', subject: batchId },
    };
  });
}

async function withOrg(storage: Storage, orgId: string, deviceId: string, key: PublicJwk): Promise<void> {
  const at = new Date().toISOString();
  await storage.createOrg({ orgId, orgPublicKey: key, createdAt: at }, { orgId, deviceId, name: 'Bench', role: 'admin', signingKey: key, encryptionKey: key, enrolledAt: at, lastSeenAt: null, revokedAt: null }, []);
}

/** CPU µs of `fn` (synchronous), added to `into[key]`. */
function timed(into: Record<string, number>, key: string, fn: () => void): void {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  into[key] = (into[key] ?? 0) + used.user + used.system;
}

/** The SQLite group commit's parts per upload (see its call). */
function sqliteStatementFigures(file: string, orgId: string, deviceId: string, rows: { batch: NewBatch; audit: NewAuditEntry }[], group: number): StageFigure[] {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    db.pragma('wal_autocheckpoint = 0');
    for (const sql of MIGRATIONS) db.exec(sql);
    const at = new Date().toISOString();
    db.prepare("INSERT INTO orgs (org_id, public_key, created_at) VALUES (?, '{}', ?)").run(orgId, at);
    db.prepare("INSERT INTO devices (org_id, device_id, name, role, signing_key, encryption_key, enrolled_at) VALUES (?, ?, 'Bench', 'admin', '{}', '{}', ?)").run(orgId, deviceId, at);
    const insert = db.prepare(
      `INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)
       VALUES (@orgId, @batchId, @deviceId, @seq, CAST(@activity AS TEXT), CAST(@directory AS TEXT), @sha256, @size, @receivedAt) ON CONFLICT (org_id, batch_id) DO NOTHING`,
    );
    // The parts bound as the adapter binds them: UTF-8 bytes in a kept buffer (sqliteText.ts).
    const partBytes = utf8Writer();
    const store = (b: NewBatch) => {
      const [activity, directory] = partBytes(b.activity, b.directory);
      return insert.run({ ...b, activity, directory });
    };
    const audit = db.prepare('INSERT INTO audit (org_id, at, actor, action, subject) VALUES (@orgId, @at, @actor, @action, @subject)');
    const [begin, commit, savepoint, release] = ['BEGIN IMMEDIATE', 'COMMIT', 'SAVEPOINT w', 'RELEASE w'].map((sql) => db.prepare(sql)) as [Database.Statement, Database.Statement, Database.Statement, Database.Statement];
    const logFd = openSync(`${file}-wal`, 'r');
    const us: Record<string, number> = {};
    const flushWall = { us: 0 };
    try {
      for (let i = 0; i < rows.length; i += group) {
        const slice = rows.slice(i, i + group);
        timed(us, 'commit', () => begin.run());
        for (const x of slice) {
          timed(us, 'savepoint', () => savepoint.run());
          timed(us, 'store', () => store(x.batch));
          timed(us, 'audit', () => audit.run(x.audit));
          timed(us, 'savepoint', () => release.run());
          // The savepoint a nested transaction of its own added (what a write opens no more).
          timed(us, 'second savepoint', () => {
            savepoint.run();
            release.run();
          });
        }
        timed(us, 'commit', () => commit.run());
        const t0 = performance.now();
        fdatasyncSync(logFd);
        flushWall.us += (performance.now() - t0) * 1000;
        if ((i / group) % 16 === 15) db.pragma('wal_checkpoint(PASSIVE)');
      }
    } finally {
      closeSync(logFd);
    }
    const per = (key: string) => (us[key] ?? 0) / rows.length;
    return [
      { stage: 'store: the batch row (its INSERT alone, SQLite)', loopUs: per('store') },
      { stage: 'audit: its audit row (its INSERT alone, SQLite)', loopUs: per('audit') },
      { stage: 'savepoint: the one each write runs in (SQLite)', loopUs: per('savepoint') },
      { stage: 'savepoint: a second one nested in it, as each upload had', loopUs: per('second savepoint'), before: true },
      { stage: `commit: BEGIN and COMMIT of a group of ${group} (SQLite), and the log's flush off the event loop`, loopUs: per('commit'), wallUs: per('commit') + flushWall.us / rows.length },
    ];
  } finally {
    db.close();
  }
}

/**
 * The stages for `count` uploads (of about `uploadBytes` each, or the smallest), committed in
 * groups of `group`; PostgreSQL too when `databaseUrl` is given (in a schema of its own, dropped after).
 */
export async function benchUploadStages(o: { count: number; group: number; uploadBytes?: number; databaseUrl?: string }): Promise<UploadStagesResult> {
  const { orgId, deviceId, signingKey, orgKey, uploads } = await signedUploads(o.count, o.uploadBytes);
  const validate = zodValidatorCompiler({ schema: BatchUpload, httpPart: 'body', method: 'PUT', url: '/' });
  const stages: StageFigure[] = [];
  const parsed = uploads.map((u) => JSON.parse(u.raw.toString('utf8')) as unknown);
  // Each measured twice; the second counts (the first warms the code up).
  const measure = async <T>(stage: string, items: readonly T[], step: (item: T, index: number) => unknown, before?: boolean) => {
    await perItem(items, step);
    stages.push({ stage, loopUs: await perItem(items, step), ...(before ? { before } : {}) });
  };
  await measure('reading the body: the canonical upload read from its bytes, each part copied once (uploadBody.ts)', uploads, (u) => readCanonicalUpload(u.raw));
  await measure('reading the body: decoded whole and parsed with JSON.parse', uploads, (u) => JSON.parse(u.raw.toString('utf8')), true);
  await measure('validation (zod schema and storable check)', parsed, (p) => validate(p));
  await measure('body SHA-256, taken once for the signature and kept for "same batch again"', uploads, (u) => bodySha256(u.raw));
  const hashes = uploads.map((u) => bodySha256(u.raw));
  await measure('signature check (node:crypto, kept key, the body hashed once; its thread-pool part included)', uploads, (u, i) => verifySignedRequest(signingKey, u.parts, u.signature, hashes[i]));
  await measure('signature check with WebCrypto', uploads, (u) => verifyRequest(signingKey, u.parts, u.signature), true);
  const bodies = parsed.map((p) => BatchUpload.parse(p));
  await measure('"same batch again" hash: the body\'s own, kept from its signature check, once the body is seen to be canonical', bodies, (b, i) => uploadHash(b, uploads[i]!.raw, hashes[i]!));
  await measure('"same batch again" hash: the upload serialised again and hashed', bodies, (b) => canonicalBatchHash(b), true);

  const dir = mkdtempSync(join(tmpdir(), 'footfall-bench-stages-'));
  try {
    const storage = await openSqliteStorage(dir);
    try {
      await withOrg(storage, orgId, deviceId, signingKey);
      const bare = await commitFigures(newBatches(orgId, deviceId, uploads).map((x) => x.batch), o.group, (b) => storage.putBatch(b));
      const withAudit = newBatches(orgId, deviceId, uploads);
      const byBatch = new Map(withAudit.map((x) => [x.batch, x.audit]));
      stages.push({ stage: `commit, SQLite, batch and audit row, groups of ${o.group}`, ...(await commitFigures([...byBatch.keys()], o.group, (b) => storage.putBatch(b, byBatch.get(b)))) });
      stages.push({ stage: `commit, SQLite, the batch without its audit row`, ...bare });
    } finally {
      await storage.close();
    }
    // What the checkpoint worker won: the same commits with SQLite checkpointing inside them.
    const inline = await openSqliteStorage(mkdtempSync(join(dir, 'inline-')), { checkpoints: 'inline' });
    try {
      await withOrg(inline, orgId, deviceId, signingKey);
      const rows = newBatches(orgId, deviceId, uploads);
      const audits = new Map(rows.map((x) => [x.batch, x.audit]));
      const figures = await commitFigures([...audits.keys()], o.group, (b) => inline.putBatch(b, audits.get(b)));
      stages.push({ stage: `commit, SQLite, batch and audit row, checkpoints inside the commits on the event loop`, ...figures, before: true });
    } finally {
      await inline.close();
    }
    // The group commit taken apart, statement by statement, on a database set up as the
    // adapter's: each upload's batch row, its audit row and the savepoint each write runs in, and
    // each group's commit; the log's flush (on the thread pool in the endpoint) apart. The log is
    // checkpointed between groups, untimed, as the checkpoint worker does.
    stages.push(...sqliteStatementFigures(join(dir, 'statements.sqlite3'), orgId, deviceId, newBatches(orgId, deviceId, uploads), o.group));
    // What synchronous = FULL cost: the same rows into the same tables, each group one
    // transaction whose commit waits for the disk on the event loop.
    const full = new Database(join(dir, 'full.sqlite3'));
    try {
      full.pragma('journal_mode = WAL');
      full.pragma('synchronous = FULL');
      // No organisation or device rows here: only the commits are timed.
      full.pragma('foreign_keys = OFF');
      for (const sql of MIGRATIONS) full.exec(sql);
      const insert = full.prepare(
        `INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)
         VALUES (@orgId, @batchId, @deviceId, @seq, @activity, @directory, @sha256, @size, @receivedAt) ON CONFLICT DO NOTHING`,
      );
      const audit = full.prepare('INSERT INTO audit (org_id, at, actor, action, subject) VALUES (@orgId, @at, @actor, @action, @subject)');
      const commitGroup = full.transaction((group: { batch: NewBatch; audit: NewAuditEntry }[]) => {
        for (const x of group) if (insert.run(x.batch).changes === 1) audit.run(x.audit);
      });
      const rows = newBatches(orgId, deviceId, uploads);
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += o.group) commitGroup.immediate(rows.slice(i, i + o.group));
      const us = ((performance.now() - t0) * 1000) / rows.length;
      stages.push({ stage: `commit, SQLite synchronous = FULL (disk flush inside the commit, on the event loop), groups of ${o.group}`, loopUs: us, wallUs: us, before: true });
    } finally {
      full.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (o.databaseUrl) {
    const schema = `footfall_stages_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const storage = await openPostgresStorage(o.databaseUrl, { schema });
    try {
      await withOrg(storage, orgId, deviceId, orgKey);
      const grouped = newBatches(orgId, deviceId, uploads);
      const audits = new Map(grouped.map((x) => [x.batch, x.audit]));
      stages.push({ stage: `commit, PostgreSQL, ${o.group} at once (one statement per group)`, ...(await commitFigures([...audits.keys()], o.group, (b) => storage.putBatch(b, audits.get(b)))) });
      const alone = newBatches(orgId, deviceId, uploads);
      const aloneAudits = new Map(alone.map((x) => [x.batch, x.audit]));
      stages.push({ stage: 'commit, PostgreSQL, one upload at a time (one statement and commit each)', ...(await commitFigures([...aloneAudits.keys()], 1, (b) => storage.putBatch(b, aloneAudits.get(b)))), before: true });
    } finally {
      await storage.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: o.databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
    }
  }
  return { bodyBytes: uploads[0]!.raw.length, uploads: uploads.length, group: o.group, stages };
}

/** The stages as printed lines: each figure, and the ones a change replaced marked as "before". */
export function uploadStageLines(r: UploadStagesResult): string[] {
  return [
    `Where an upload's time goes (${r.uploads} uploads of ${r.bodyBytes.toLocaleString('en-GB')} B, µs per upload; commits in groups of ${r.group}):`,
    ...r.stages.map(
      (s) => `  ${s.before ? 'before: ' : ''}${s.stage}: ${s.loopUs.toFixed(0)} µs${s.wallUs !== undefined ? ` on the event loop, ${s.wallUs.toFixed(0)} µs wall` : ''}`,
    ),
  ];
}
