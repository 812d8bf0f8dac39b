/**
 * When sync runs: soon after a save (one round for a burst of saves), on reconnect, every minute,
 * backing off with jitter after failures, and never in two tabs at once. With uploads held, a save
 * starts no round and no round sends before the held time, unless someone presses "Sync now".
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncClient } from '../../src/app/sync/client.ts';
import type { RoundResult } from '../../src/app/sync/engine.ts';
import { useFootfall } from '../../src/app/store.ts';

const rounds: number[] = [];
/** Whether each round was let upload. */
const uploads: boolean[] = [];
let nextResult: RoundResult = { acknowledged: 0, stopped: null, skewMs: null };

let revoked = false;
vi.mock('../../src/app/core/device.ts', () => ({
  readEnrolment: async () => ({ key: 'enrolment' }),
  readSyncState: async () => ({ key: 'sync', directoryCursor: null, revoked }),
}));
// The status line is read from the device's rows; here nothing but the rounds matters.
vi.mock('../../src/app/core/syncStatus.ts', () => ({ refreshStatus: async () => undefined }));

/**
 * The held time as the device core keeps it (src/app/core/uploadHold.ts, tested on its own),
 * reduced to what the scheduler reads: each test sets it as the core would have drawn it.
 */
let hold: { on: boolean; sendAfter: number | null } = { on: false, sendAfter: null };
const holdSteps: string[] = [];
vi.mock('../../src/app/core/uploadHold.ts', () => ({
  settleUploadHold: async (step: 'check' | 'sendNow' | 'sent') => {
    holdSteps.push(step);
    if (step === 'sendNow' && hold.on) hold.sendAfter = Date.now();
    if (step === 'sent') hold.sendAfter = null;
    return { on: hold.on, chosen: null, sendAfter: hold.sendAfter };
  },
}));

/** When set, a round waits for it before it ends (a slow upload). */
let holdRound: Promise<void> | null = null;
vi.mock('../../src/app/sync/engine.ts', () => ({
  syncRound: async (_client: unknown, _core: unknown, options?: { upload?: boolean }) => {
    rounds.push(Date.now());
    uploads.push(options?.upload ?? true);
    if (holdRound) await holdRound;
    return nextResult;
  },
}));

const { startScheduler, SYNC_LOCK } = await import('../../src/app/sync/scheduler.ts');

function start(random = () => 0.5) {
  return startScheduler({ client: {} as SyncClient, core: () => null, random });
}

beforeEach(() => {
  vi.useFakeTimers();
  rounds.length = 0;
  uploads.length = 0;
  holdSteps.length = 0;
  hold = { on: false, sendAfter: null };
  nextResult = { acknowledged: 0, stopped: null, skewMs: null };
  revoked = false;
  holdRound = null;
  useFootfall.setState({ unsynced: 0 }); // as boot leaves it once the count is read
});
afterEach(() => {
  vi.useRealTimers();
});

/** The scheduler started, its first round done and a second under way, held by a slow upload until `release`. */
async function startWithSecondRoundHeld() {
  const s = start();
  await vi.advanceTimersByTimeAsync(1_000);
  expect(rounds).toHaveLength(1);
  let release!: () => void;
  holdRound = new Promise((r) => (release = r));
  s.request();
  await vi.advanceTimersByTimeAsync(600);
  expect(rounds).toHaveLength(2); // under way, held by a slow upload
  return { s, release };
}

describe('the sync scheduler', () => {
  it('runs again soon after a round during which something was saved, not a minute later', async () => {
    // Web Locks as the browser has them: the tab's own round holds the lock while it runs.
    const held = new Set<string>();
    const locks = {
      request: async (name: string, _options: { ifAvailable: boolean }, work: (lock: object | null) => Promise<void>) =>
        held.has(name) ? work(null) : (held.add(name), work({}).finally(() => held.delete(name))),
    };
    Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    const { s, release } = await startWithSecondRoundHeld();
    s.request(); // a save while it runs
    await vi.advanceTimersByTimeAsync(5_000);
    holdRound = null;
    release();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(rounds).toHaveLength(3);
    s.stop();
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  });

  it('runs again soon after a save that came while rounds overlapped (a browser without Web Locks)', async () => {
    const { s, release } = await startWithSecondRoundHeld();
    let releaseThird!: () => void;
    holdRound = new Promise((r) => (releaseThird = r));
    s.request(); // a save while the second round runs: a third starts beside it
    await vi.advanceTimersByTimeAsync(600);
    expect(rounds).toHaveLength(3);
    release(); // the second round ends
    await vi.advanceTimersByTimeAsync(10);
    s.request(); // a save while the third runs, after it read what waits
    holdRound = null;
    releaseThird(); // the third ends before the save's own round would start
    await vi.advanceTimersByTimeAsync(2_000);
    expect(rounds).toHaveLength(4); // soon after, not a minute later
    s.stop();
  });

  it('stops asking once the server has said the device is revoked, even when asked or back online', async () => {
    nextResult = { acknowledged: 0, stopped: { kind: 'revoked', message: 'revoked' }, skewMs: null };
    const s = start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(1);
    revoked = true; // what the round wrote
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    s.request();
    window.dispatchEvent(new Event('online'));
    await s.runNow();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(rounds).toHaveLength(1);
    s.stop();
  });

  it('runs once at start, once for a burst of saves, then every minute', async () => {
    const s = start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(1); // at start

    for (let i = 0; i < 5; i++) s.request();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(2); // five saves, one round

    await vi.advanceTimersByTimeAsync(60_000);
    expect(rounds).toHaveLength(3); // the periodic round
    s.stop();
  });

  it('backs off with jitter while the server is unreachable, and recovers at once when the network returns', async () => {
    nextResult = { acknowledged: 0, stopped: { kind: 'unreachable', message: 'down' }, skewMs: null };
    const s = start(() => 1); // the top of each jitter range, to read the ceiling
    await vi.advanceTimersByTimeAsync(600);
    expect(rounds).toHaveLength(1);
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = rounds.length;
      const last = rounds.at(-1)!;
      while (rounds.length === before) await vi.advanceTimersByTimeAsync(100);
      gaps.push(rounds.at(-1)! - last);
    }
    // 2 s, 4 s, 8 s, 16 s, 32 s: doubling ceilings.
    expect(gaps.map((g) => Math.round(g / 1000))).toEqual([2, 4, 8, 16, 32]);
    expect(useFootfall.getState().sync.problem).toBe('down');

    nextResult = { acknowledged: 3, stopped: null, skewMs: null };
    window.dispatchEvent(new Event('online'));
    const before = rounds.length;
    await vi.advanceTimersByTimeAsync(600);
    expect(rounds.length).toBe(before + 1);
    expect(useFootfall.getState().sync.problem).toBeNull();
    s.stop();
  });

  it('waits a random part of the backoff, so devices do not retry in step', async () => {
    nextResult = { acknowledged: 0, stopped: { kind: 'unreachable', message: 'down' }, skewMs: null };
    const s = start(() => 0.1);
    await vi.advanceTimersByTimeAsync(600);
    const first = rounds.at(-1)!;
    while (rounds.length < 2) await vi.advanceTimersByTimeAsync(50);
    expect(rounds[1]! - first).toBeLessThanOrEqual(0.1 * 2_000 + 50);
    s.stop();
  });

  it('does not sync while another tab holds the sync lock, and tries again soon after', async () => {
    const held = new Set<string>();
    const locks = {
      request: async (name: string, options: { ifAvailable: boolean }, work: (lock: object | null) => Promise<void>) =>
        held.has(name) ? work(null) : (held.add(name), work({}).finally(() => held.delete(name))),
    };
    Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    held.add(SYNC_LOCK); // another tab is syncing
    const s = start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(0);
    // When the other tab is done, this one tries again within a second, not a minute later.
    held.delete(SYNC_LOCK);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(1);
    s.stop();
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  });

  it('without a hold, a save starts a round soon', async () => {
    const s = start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(1);
    save();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(2);
    expect(uploads).toEqual([true, true]);
    s.stop();
  });

  it('with uploads held, a save starts no round, and periodic and reconnect rounds send nothing before the held time', async () => {
    const s = start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(1);
    // A save: the core draws the held time, twenty minutes from now.
    hold = { on: true, sendAfter: Date.now() + 20 * 60_000 };
    const sendAfter = hold.sendAfter!;
    save();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(rounds).toHaveLength(1); // nothing for the save
    expect(useFootfall.getState().sync.heldUntil).toBe(sendAfter); // the status line says until when

    await vi.advanceTimersByTimeAsync(60_000);
    expect(rounds).toHaveLength(2); // the periodic round still reads the directory…
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toHaveLength(3); // …and so does a reconnect…
    expect(uploads).toEqual([true, false, false]); // …but neither sends

    while (rounds.at(-1)! < sendAfter) await vi.advanceTimersByTimeAsync(60_000);
    // The round at the held time sends, at that time rather than at the next minute.
    expect(rounds.at(-1)).toBe(sendAfter);
    expect(uploads.at(-1)).toBe(true);
    expect(uploads.slice(1, -1).every((u) => !u)).toBe(true);
    expect(holdSteps.at(-1)).toBe('sent');
    s.stop();
  });

  it('"Sync now" pressed while a round runs waits for it, then runs a round of its own', async () => {
    // Web Locks that queue a request made without ifAvailable, as the browser's do.
    let queue: Promise<unknown> = Promise.resolve();
    let busy = false;
    const locks = {
      request: (_name: string, options: { ifAvailable: boolean }, work: (lock: object | null) => Promise<void>) => {
        if (busy && options.ifAvailable) return work(null);
        const turn = queue.then(async () => {
          busy = true;
          try {
            return await work({});
          } finally {
            busy = false;
          }
        });
        queue = turn.catch(() => undefined);
        return turn;
      },
    };
    Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    // The second round read the server before her press.
    const { s, release } = await startWithSecondRoundHeld();
    let done = false;
    const pressed = s.runNow().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false); // not settled by the round already running
    holdRound = null;
    release();
    await pressed;
    expect(rounds).toHaveLength(3);
    s.stop();
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  });

  it('with uploads held, "Sync now" sends at once', async () => {
    const s = start();
    await vi.advanceTimersByTimeAsync(1_000);
    hold = { on: true, sendAfter: Date.now() + 25 * 60_000 };
    await vi.advanceTimersByTimeAsync(60_000);
    expect(uploads).toEqual([true, false]);

    await s.runNow();
    expect(rounds).toHaveLength(3);
    expect(uploads.at(-1)).toBe(true);
    expect(holdSteps.slice(-2)).toEqual(['sendNow', 'sent']);
    expect(hold.sendAfter).toBeNull();
    s.stop();
  });
});

/** What a save does to the store: the waiting count rises. */
function save(): void {
  useFootfall.setState((state) => ({ unsynced: (state.unsynced ?? 0) + 1 }));
}
