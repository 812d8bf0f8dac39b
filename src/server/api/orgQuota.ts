/**
 * Each organisation's storage quota (docs/security.md#the-endpoint). An upload that would take
 * what an organisation keeps past its quota is refused with 507: a device keeps such a batch and
 * sends it again later, as for a full disk, so nothing is lost while the host makes room.
 *
 * The total is read from storage (an index of sizes, never the sealed parts) at most every
 * MAX_AGE_MS per organisation and counted on here as this process stores batches. Several
 * processes each count their own uploads between reads, so together they can pass the quota by
 * what they store in that time; the rate limits bound that.
 */
import type { Storage } from '../storage/types.ts';

const MAX_AGE_MS = 10_000;

export class OrgQuota {
  private readonly totals = new Map<string, { bytes: number; readAt: number }>();

  constructor(
    private readonly storage: Storage,
    readonly limitBytes: number,
  ) {}

  /** Whether `adding` more bytes keeps the organisation within its quota. */
  async admits(orgId: string, adding: number): Promise<boolean> {
    const now = Date.now();
    let total = this.totals.get(orgId);
    if (!total || now - total.readAt > MAX_AGE_MS) {
      total = { bytes: await this.storage.storedBytes(orgId), readAt: now };
      this.totals.set(orgId, total);
    }
    return total.bytes + adding <= this.limitBytes;
  }

  /** A batch this process has stored. */
  stored(orgId: string, bytes: number): void {
    const total = this.totals.get(orgId);
    if (total) total.bytes += bytes;
  }

  /** A compaction changed what the organisation keeps: read it again next time. */
  forget(orgId: string): void {
    this.totals.delete(orgId);
  }
}
