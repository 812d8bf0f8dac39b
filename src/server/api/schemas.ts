/** Path, query and body shapes of the API that add to the protocol's own schemas. */
import { z } from 'zod';
import { BatchId, CompactionRequest, Cursor, DeviceId, OrgId, WrappedOrgKey } from '../../domain/protocol.ts';

/**
 * Batch ids in lower case only. Both stores compare ids as exact text, so the same UUID in upper
 * case would be another batch: a device could store a batch twice, or bring back one a compaction
 * removed (docs/sync.md#idempotent-uploads). Refused rather than folded to lower case, because
 * every device makes its ids with crypto.randomUUID(), which writes lower case: a client that
 * sends anything else should hear so, not have its id changed under it.
 */
const LOWER_CASE_BATCH_ID = 'a batch id must be written in lower case, as crypto.randomUUID() writes it';
const isLowerCase = (id: string) => id === id.toLowerCase();
export const CanonicalBatchId = BatchId.refine(isLowerCase, LOWER_CASE_BATCH_ID);

export const OrgParams = z.object({ orgId: OrgId });
export const BatchParams = z.object({ orgId: OrgId, batchId: CanonicalBatchId });
export const DeviceParams = z.object({ orgId: OrgId, deviceId: DeviceId });

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 500;

export const PageQuery = z.object({
  after: Cursor.optional(),
  limit: z.coerce
    .number()
    .int(`must be a whole number from 1 to ${MAX_PAGE}`)
    .min(1, `must be a whole number from 1 to ${MAX_PAGE}`)
    .max(MAX_PAGE, `must be a whole number from 1 to ${MAX_PAGE}`)
    .default(DEFAULT_PAGE),
});
export type PageQuery = z.infer<typeof PageQuery>;

export const AddWrappedKeysRequest = z.object({ keys: z.array(WrappedOrgKey).min(1).max(16) });

/** A compaction whose new and superseded batch ids are all in lower case (see CanonicalBatchId). */
export const CompactionBody = CompactionRequest.superRefine((body, ctx) => {
  body.batches.forEach((b, i) => {
    if (!isLowerCase(b.batchId)) ctx.addIssue({ code: 'custom', path: ['batches', i, 'batchId'], message: LOWER_CASE_BATCH_ID });
  });
  body.supersedes.forEach((id, i) => {
    if (!isLowerCase(id)) ctx.addIssue({ code: 'custom', path: ['supersedes', i], message: LOWER_CASE_BATCH_ID });
  });
});

/** One page of rows in cursor order: asks for one more than the limit to know whether more follow. */
export async function page<T extends { cursor: string }>(
  fetch: (after: string | null, limit: number) => Promise<T[]>,
  query: PageQuery,
): Promise<{ items: T[]; next: string | null }> {
  const rows = await fetch(query.after ?? null, query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > query.limit && last ? last.cursor : null };
}
