/**
 * Each organisation's storage quota (docs/security.md#the-endpoint). An upload that would take
 * what an organisation keeps past its quota is refused with 507: a device keeps such a batch and
 * sends it again later, as for a full disk, so nothing is lost while the host makes room.
 *
 * The total is read from storage (an index of sizes, never the sealed parts) at most every
 * MAX_AGE_MS per organisation, one read at a time, and counted on here as this process stores
 * batches. An upload admitted reserves its bytes at once, before it is stored, so uploads checked
 * meanwhile count it: however many arrive together, one process never admits more than the room
 * left. Several processes each count their own uploads between reads, so together they can pass
 * the quota by what they store in that time; the rate limits bound that.
 */
import type { Storage } from '../storage/types.ts';

const MAX_AGE_MS = 10_000;

interface Total {
  /** What storage said the organisation keeps, and what this process stored since. */
  bytes: number;
  readAt: number;
}

export class OrgQuota {
  private readonly totals = new Map<string, Total>();
  /** Reads of a total under way: requests meanwhile wait for the same one. */
  private readonly reads = new Map<string, Promise<Total>>();
  /** Bytes of uploads admitted and not yet stored or given up, per organisation: kept apart, so a new read does not drop them. */
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly storage: Storage,
    readonly limitBytes: number,
  ) {}

  /**
   * Whether `adding` more bytes keeps the organisation within its quota. When it does, they are
   * reserved: the caller then says `stored` or `release`, whatever happens.
   */
  async admits(orgId: string, adding: number): Promise<boolean> {
    const total = await this.total(orgId);
    // From here to the reservation nothing waits, so no other upload is checked in between.
    const reserved = this.reserved.get(orgId) ?? 0;
    if (total.bytes + reserved + adding > this.limitBytes) return false;
    this.reserved.set(orgId, reserved + adding);
    return true;
  }

  /** An admitted batch this process has stored. */
  stored(orgId: string, bytes: number): void {
    this.release(orgId, bytes);
    const total = this.totals.get(orgId);
    if (total) total.bytes += bytes;
  }

  /** An admitted batch that was not stored (already held, or the write failed): its room is free again. */
  release(orgId: string, bytes: number): void {
    const left = (this.reserved.get(orgId) ?? 0) - bytes;
    if (left > 0) this.reserved.set(orgId, left);
    else this.reserved.delete(orgId);
  }

  /** A compaction changed what the organisation keeps: read it again next time. */
  forget(orgId: string): void {
    this.totals.delete(orgId);
    this.reads.delete(orgId);
  }

  /** The organisation's total, read again when it is older than MAX_AGE_MS, one read at a time. */
  private total(orgId: string): Promise<Total> {
    const kept = this.totals.get(orgId);
    if (kept && Date.now() - kept.readAt <= MAX_AGE_MS) return Promise.resolve(kept);
    let read = this.reads.get(orgId);
    if (!read) {
      read = this.storage.storedBytes(orgId).then((bytes) => {
        const total = { bytes, readAt: Date.now() };
        if (this.reads.get(orgId) === read) this.totals.set(orgId, total);
        return total;
      });
      const reading = read;
      void reading.then(
        () => this.reads.get(orgId) === reading && this.reads.delete(orgId),
        () => this.reads.get(orgId) === reading && this.reads.delete(orgId),
      );
      this.reads.set(orgId, read);
    }
    return read;
  }
}
