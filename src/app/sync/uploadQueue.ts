/**
 * The batches one sync round sends, in the order of their sequence numbers (docs/sync.md#the-outbox): those left pending by
 * earlier rounds first, then each batch this round seals, as soon as it is stored, so one batch
 * goes up while the next is sealed. The round takes them one at a time and asks for the next once
 * the server has answered the last.
 */
import type { SendableBatch } from '../core/outbox.ts';

export class UploadQueue {
  readonly #batches: SendableBatch[];
  #ended = false;
  #stopped = false;
  /** Whether the server has answered an upload of this round, or none was left to answer. */
  #reached: boolean;
  /** The round, waiting for a batch still being sealed. */
  #taker: ((batch: SendableBatch | null) => void) | null = null;
  #taken = 0;
  /** Those waiting to learn whether the server answers. */
  #askers: ((reached: boolean) => void)[] = [];

  /** `pending`: the batches earlier rounds left, in order. */
  constructor(pending: readonly SendableBatch[]) {
    this.#batches = [...pending];
    this.#reached = !pending.length;
  }

  /** A batch just stored, after every one added before it. */
  add(batch: SendableBatch): void {
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
    this.#tell(false);
  }

  /**
   * The next batch to send, once the last one is answered (the round asks only then), or null when
   * there is none: all sent and no more to come, or stopped.
   */
  next(): Promise<SendableBatch | null> {
    if (this.#stopped) return Promise.resolve(null);
    if (this.#taken > 0) this.#tell(true);
    const batch = this.#batches.shift();
    if (batch) {
      this.#taken++;
      return Promise.resolve(batch);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#taker = resolve));
  }

  /**
   * Whether the server can be reached, as far as this round can tell without asking it more: true
   * when it has answered an upload of this round, or when earlier rounds left nothing unanswered;
   * false when the round stopped sending before any answer.
   */
  reachable(): Promise<boolean> {
    if (this.#reached) return Promise.resolve(true);
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.#askers.push(resolve));
  }

  #hand(batch: SendableBatch | null): void {
    const taker = this.#taker!;
    this.#taker = null;
    if (batch) this.#taken++;
    taker(batch);
  }

  #tell(reached: boolean): void {
    if (reached) this.#reached = true;
    for (const asker of this.#askers.splice(0)) asker(reached);
  }
}
