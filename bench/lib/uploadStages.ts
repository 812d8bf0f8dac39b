/**
 * Where an upload's time goes on the endpoint: each stage of PUT /orgs/:orgId/batches/:batchId
 * timed alone, in this process, over the same real signed uploads the load generator sends
 * (small, and real-sized): the JSON parse, the request's validation (the route's zod schema and
 * the storable check, through the endpoint's own validator), the signature check, the canonical
 * hash that decides "the same batch again", and the commit (the batch and its audit row, the
 * uploads handed to the store together, as concurrent requests are; and the batch alone, so the
 * audit row's share of the group commit shows).
 *
 * Beside the stages, what the changes to them won, measured the same way in the same run:
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { generateOrgKeyPair, generateTeamKey, jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk, signRequest, verifyRequest, type SignedParts } from '../../src/crypto/signing.ts';
import { BatchUpload, type PublicJwk } from '../../src/domain/protocol.ts';
import { canonicalBatchHash } from '../../src/server/api/batchRoutes.ts';
import { verifySignedRequest } from '../../src/server/api/signature.ts';
import { zodValidatorCompiler } from '../../src/server/api/validation.ts';
import { openPostgresStorage } from '../../src/server/storage/postgres.ts';
import { MIGRATIONS, openSqliteStorage } from '../../src/server/storage/sqlite.ts';
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
async function perItem<T>(items: readonly T[], step: (item: T) => unknown): Promise<number> {
  const before = process.cpuUsage();
  for (const item of items) await step(item);
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
  const measure = async <T>(stage: string, items: readonly T[], step: (item: T) => unknown, before?: boolean) => {
    await perItem(items, step);
    stages.push({ stage, loopUs: await perItem(items, step), ...(before ? { before } : {}) });
  };
  await measure('JSON parse of the body', uploads, (u) => JSON.parse(u.raw.toString('utf8')));
  await measure('validation (zod schema and storable check)', parsed, (p) => validate(p));
  await measure('signature check (node:crypto, kept key; its thread-pool part included)', uploads, (u) => verifySignedRequest(signingKey, u.parts, u.signature));
  await measure('signature check with WebCrypto', uploads, (u) => verifyRequest(signingKey, u.parts, u.signature), true);
  const bodies = parsed.map((p) => BatchUpload.parse(p));
  await measure('canonical hash ("the same batch again")', bodies, (b) => canonicalBatchHash(b));

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
