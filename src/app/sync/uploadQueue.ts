/**
 * The batches one sync round sends, in `seq` order (docs/sync.md#the-outbox): those left pending by
 * earlier rounds first, then each batch this round seals, as soon as it is stored, so one batch
 * goes up while the next is sealed. The round takes them one at a time and asks for the next once
 * the server has answered the last.
 */
import type { BatchRow } from '../core/database.ts';

export class UploadQueue {
  readonly #batches: BatchRow[];
  #ended = false;
  #stopped = false;
  /** The round, waiting for a batch still being sealed. */
  #taker: ((batch: BatchRow | null) => void) | null = null;
  /** Those waiting for every batch so far to be answered. */
  #drainers: ((answered: boolean) => void)[] = [];

  constructor(pending: readonly BatchRow[]) {
    this.#batches = [...pending];
  }

  /** A batch just stored, after every one added before it. */
  add(batch: BatchRow): void {
    if (this.#stopped) return;
    if (this.#taker) this.#hand(batch);
    else this.#batches.push(batch);
  }

  /** No more batches will be added. */
  end(): void {
    this.#ended = true;
    if (this.#taker && !this.#batches.length) this.#hand(null);
  }

  /** The round stops sending: what is left waits for the next round. */
  stop(): void {
    this.#stopped = true;
    this.#batches.length = 0;
    if (this.#taker) this.#hand(null);
    this.#settle(false);
  }

  /**
   * The next batch to send, once the last one is answered (the round asks only then), or null when
   * there is none: all sent and no more to come, or stopped.
   */
  next(): Promise<BatchRow | null> {
    if (this.#stopped) return Promise.resolve(null);
    const batch = this.#batches.shift();
    if (batch) return Promise.resolve(batch);
    // Every batch added so far has been answered.
    this.#settle(true);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#taker = resolve));
  }

  /** True once every batch added so far has been answered, false if the round stopped sending first. */
  allAnswered(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    if (this.#taker) return Promise.resolve(true);
    return new Promise((resolve) => this.#drainers.push(resolve));
  }

  #hand(batch: BatchRow | null): void {
    const taker = this.#taker!;
    this.#taker = null;
    taker(batch);
  }

  #settle(answered: boolean): void {
    for (const drainer of this.#drainers.splice(0)) drainer(answered);
  }
}
