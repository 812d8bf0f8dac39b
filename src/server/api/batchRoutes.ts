/**
 * Uploading sealed batches, and reading them back: the directory for devices, the archive for
 * admins (docs/sync.md). And compaction: the admin's device replacing batches with re-sealed ones
 * (erasure, retention).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { BatchUpload } from '../../domain/protocol.ts';
import type { ActivityPage, ArchivePage, BatchReceipt, CompactionReceipt, DirectoryPage } from '../../domain/protocol.ts';
import type { NewBatch, StoredBatch } from '../storage/types.ts';
import { errors } from './errors.ts';
import type { OrgQuota } from './orgQuota.ts';
import { addRoute, type ApiContext } from './route.ts';
import { BatchParams, CompactionBody, OrgParams, PageQuery } from './schemas.ts';
import { isCanonicalUpload } from './uploadBody.ts';

/** The largest upload body: two sealed parts of a batch. */
export const UPLOAD_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Most bytes of sealed parts on one page of the archive or the directory: as much as one upload may carry. A
 * thousand batches (the most a page may hold) of up to that size each would be gigabytes in the
 * endpoint's memory; bounded so, a page is never larger than the largest upload it accepts (its
 * first batch is always on it, and no batch is larger than its upload).
 */
export const ARCHIVE_PAGE_BYTES = UPLOAD_BODY_LIMIT;

/**
 * What decides "the same batch again": the parsed upload in a fixed key order, so a device that
 * re-serialises the same batch (other whitespace or key order) is still recognised.
 */
export function canonicalBatchHash(batch: BatchUpload): string {
  // The same value as crypto/signing.ts's sha256B64u, computed synchronously: base64url (no
  // padding) of the SHA-256 of the UTF-8 JSON.
  return createHash('sha256').update(JSON.stringify({ seq: batch.seq, activity: batch.activity, directory: batch.directory }), 'utf8').digest('base64url');
}

/**
 * The upload's "same batch again" hash. The body's own SHA-256, already taken for its signature
 * (auth.ts), is that hash when the body is canonical: then the upload is neither serialised nor
 * hashed again, which on a 700 KB upload saves more than a millisecond of the event loop.
 */
export function uploadHash(batch: BatchUpload, raw: Buffer | null, rawSha256: string | null): string {
  return raw && rawSha256 && isCanonicalUpload(raw, batch) ? rawSha256 : canonicalBatchHash(batch);
}

/** A batch as stored: what was sent, who sent it and when, and what decides "the same batch again". */
function newBatch(orgId: string, batchId: string, deviceId: string, body: BatchUpload, receivedAt: string, sha256 = canonicalBatchHash(body)): NewBatch {
  return {
    orgId,
    batchId,
    deviceId,
    seq: body.seq,
    activity: body.activity,
    directory: body.directory,
    sha256,
    size: body.activity.length + body.directory.length,
    receivedAt,
  };
}

/** A stored batch as the admin reads it back. */
function archiveItem(b: StoredBatch): ArchivePage['items'][number] {
  return { cursor: b.cursor, batchId: b.batchId, deviceId: b.deviceId, seq: b.seq, receivedAt: b.receivedAt, activity: b.activity, directory: b.directory };
}

/** Positions in `list` of the ids in `ids`, for error messages that name fields rather than values. */
function positions(list: readonly string[], ids: readonly string[]): number[] {
  const wanted = new Set(ids);
  return list.flatMap((id, i) => (wanted.has(id) ? [i] : []));
}

export function batchRoutes(app: FastifyInstance, ctx: ApiContext, quota: OrgQuota): void {
  const { storage } = ctx;

  addRoute(app, ctx, {
    method: 'PUT',
    url: '/orgs/:orgId/batches/:batchId',
    access: 'device',
    params: BatchParams,
    body: BatchUpload,
    bodyLimit: UPLOAD_BODY_LIMIT,
    // The last-seen time, the batch and its audit entry go to disk in one commit.
    touchAlongside: true,
    handler: async ({ params, body, device, now, request, reply }): Promise<BatchReceipt> => {
      const at = now.toISOString();
      const batch = newBatch(params.orgId, params.batchId, device.deviceId, body, at, uploadHash(body, request.rawBody, request.bodySha256));
      let result;
      if (await quota.admits(params.orgId, batch.size)) {
        // The batch and its audit entry in one transaction: an upload is never stored unaudited.
        // Its room was reserved when admitted: counted as stored, or freed (held already, or the write failed).
        let stored = false;
        try {
          result = await storage.putBatch(batch, { orgId: params.orgId, at, actor: device.deviceId, action: 'batch.uploaded', subject: params.batchId });
          stored = result.status === 'stored';
        } finally {
          if (stored) quota.stored(params.orgId, batch.size);
          else quota.release(params.orgId, batch.size);
        }
      } else {
        // A batch stored before the quota was reached gets its answer, so its device stops sending it.
        result = await storage.findBatch(batch);
        if (!result) throw errors.orgStorageFull(quota.limitBytes);
      }
      if (result.status === 'conflict') throw errors.batchConflict();
      if (result.status === 'stored') reply.code(201);
      return { status: result.status, receivedAt: result.receivedAt, serverTime: at };
    },
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/directory',
    access: 'device',
    params: OrgParams,
    query: PageQuery,
    handler: async ({ params, query, now }): Promise<DirectoryPage> => {
      // Bounded in bytes as the archive is, so a flood of large batches cannot make one page
      // gigabytes in the endpoint's memory; the activity parts are neither read nor counted.
      const { entries, next } = await storage.listDirectoryPage(params.orgId, query.after ?? null, query.limit, ARCHIVE_PAGE_BYTES);
      return {
        items: entries,
        next,
        serverTime: now.toISOString(),
      };
    },
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/archive',
    access: 'admin',
    params: OrgParams,
    query: PageQuery,
    handler: async ({ params, query, device, now }): Promise<ArchivePage> => {
      const { batches, next } = await storage.listBatchPage(params.orgId, query.after ?? null, query.limit, ARCHIVE_PAGE_BYTES);
      const at = now.toISOString();
      await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: 'archive.downloaded', subject: null });
      return { items: batches.map(archiveItem), next, serverTime: at };
    },
  });

  // Superseded by /archive; kept until no installed app reads the archive this way.
  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/batches',
    access: 'admin',
    params: OrgParams,
    query: PageQuery,
    handler: async ({ params, query, device, now }): Promise<ActivityPage> => {
      const { batches, next } = await storage.listBatchPage(params.orgId, query.after ?? null, query.limit, ARCHIVE_PAGE_BYTES);
      const at = now.toISOString();
      await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: 'archive.downloaded', subject: null });
      return {
        items: batches.map((b) => {
          const { directory, ...activity } = archiveItem(b);
          return activity;
        }),
        next,
        serverTime: at,
      };
    },
  });

  addRoute(app, ctx, {
    method: 'POST',
    url: '/orgs/:orgId/compactions',
    access: 'admin',
    params: OrgParams,
    body: CompactionBody,
    bodyLimit: UPLOAD_BODY_LIMIT,
    handler: async ({ params, body, device, now }): Promise<CompactionReceipt> => {
      const at = now.toISOString();
      const result = await storage.compact({
        orgId: params.orgId,
        // The new batches are the admin device's own, received now.
        batches: body.batches.map((b) => newBatch(params.orgId, b.batchId, device.deviceId, b, at)),
        supersedes: body.supersedes,
        at,
        // The reason alone: never which woman, batch or record.
        audit: { orgId: params.orgId, at, actor: device.deviceId, action: 'archive.compacted', subject: body.reason },
      });
      // Never refused for the quota: erasure and retention are how an organisation makes room.
      quota.forget(params.orgId);
      if (result.status === 'unknownBatches') throw errors.unknownSuperseded(positions(body.supersedes, result.batchIds));
      if (result.status === 'conflict') throw errors.compactionConflict(positions(body.batches.map((b) => b.batchId), result.batchIds));
      const { stored, alreadyStored, removed, alreadyRemoved } = result;
      return { stored, alreadyStored, removed, alreadyRemoved, serverTime: at };
    },
  });
}
