import { describe, expect, it } from 'vitest';
import type { SendableBatch } from '../../src/app/core/outbox.ts';
import { UploadQueue } from '../../src/app/sync/uploadQueue.ts';

const batch = (seq: number): SendableBatch => ({
  batchId: `batch-${seq}`,
  seq,
  rows: [],
  eventCount: 10,
  activity: 'a',
  directory: 'd',
  state: 'pending',
  refusals: 0,
  lastError: null,
});

/** Whether a promise has settled by the time the microtasks queued now have run. */
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | null> {
  let out: { value: T } | null = null;
  void promise.then((value) => (out = { value }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return out;
}

describe('the batches a round sends', () => {
  it('are those left pending first, then each one sealed as it is stored, in order, until no more will come', async () => {
    const queue = new UploadQueue([batch(1), batch(2)]);
    expect((await queue.next())?.seq).toBe(1);
    expect((await queue.next())?.seq).toBe(2);
    const waiting = queue.next(); // the next batch is still being sealed
    expect(await settled(waiting)).toBeNull();
    queue.add(batch(3));
    queue.add(batch(4));
    expect((await waiting)?.seq).toBe(3);
    expect((await queue.next())?.seq).toBe(4);
    const last = queue.next();
    queue.end();
    expect(await last).toBeNull();
    expect(await queue.next()).toBeNull();
  });

  it('stop: what is left waits for the next round, and nothing added later is sent', async () => {
    const queue = new UploadQueue([batch(1), batch(2)]);
    expect((await queue.next())?.seq).toBe(1);
    queue.stop();
    queue.add(batch(3));
    expect(await queue.next()).toBeNull();
  });

  it('say the server is reachable at once when nothing was left unanswered', async () => {
    expect(await new UploadQueue([]).reachable()).toBe(true);
  });

  it('say the server is reachable once it has answered an upload of the round, and not when the round stopped first', async () => {
    const answered = new UploadQueue([batch(1), batch(2)]);
    await answered.next();
    const asked = answered.reachable();
    expect(await settled(asked)).toBeNull(); // batch 1 is still on its way
    await answered.next(); // asked for only once batch 1 was answered
    expect(await asked).toBe(true);

    const cut = new UploadQueue([batch(1)]);
    await cut.next();
    const unanswered = cut.reachable();
    cut.stop(); // the network was down
    expect(await unanswered).toBe(false);
    expect(await cut.reachable()).toBe(false);
  });
});
