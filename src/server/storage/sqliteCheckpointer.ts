/**
 * Checkpoints of the SQLite store's write-ahead log, on a worker thread of their own
 * (docs/sync.md#durability-of-the-sqlite-store).
 *
 * Left to SQLite, a checkpoint runs inside the commit that takes the log past 1,000 pages: on the
 * event loop, copying those pages into the database and syncing the log and then the database
 * file, while no other request can run. Here the endpoint's connection never checkpoints
 * (wal_autocheckpoint = 0) and a second connection, on a worker thread, copies the log into the
 * database a short while after each commit (PASSIVE: it never waits for, nor holds up, the
 * endpoint's writes). SQLite syncs the log before each checkpoint and the database after it
 * whichever connection runs it, so this is exactly as durable.
 *
 * Bounded: a passive checkpoint copies what was committed when it began, and the log starts
 * again from its beginning only once a checkpoint has copied all of it. Should commits keep
 * coming so fast that the worker's checkpoints never catch up and the log passes
 * MAX_LOG_FRAMES, the endpoint's connection checkpoints once itself, between two group commits,
 * where nothing can be added meanwhile. If the worker fails, SQLite's own checkpoints on the
 * event loop take over again.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How long after a commit the worker checkpoints: commits made meanwhile go in the same checkpoint. */
export const CHECKPOINT_DELAY_MS = 100;

/** Pages in the log past which the endpoint's connection checkpoints itself (about 64 MiB at 4 KiB pages). */
export const MAX_LOG_FRAMES = 16_384;

/** SQLite's own default, restored if the worker fails. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

/** The worker: plain JavaScript, so it runs however the endpoint was started (tsx, tests). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('wal_autocheckpoint = 0');
db.pragma('synchronous = NORMAL');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  const [r] = db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
});
`;

export interface Checkpointer {
  /** Called after each group commit: a checkpoint follows within CHECKPOINT_DELAY_MS. */
  committed(): void;
  /** Ends the worker (its connection closed) before the endpoint's own connection closes. */
  close(): Promise<void>;
}

/** Starts checkpointing `file` (opened by `db`, the endpoint's connection) on a worker thread. */
export function startCheckpointer(db: Database.Database, file: string): Checkpointer {
  db.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file } });
  // Never keeps the process alive on its own; close() ends it.
  worker.unref();
  let stopped = false;
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let committedSince = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const request = () => {
    timer = null;
    if (stopped || running || !committedSince) return;
    committedSince = false;
    running = true;
    worker.postMessage('checkpoint');
  };
  const schedule = () => {
    if (timer === null) {
      timer = setTimeout(request, CHECKPOINT_DELAY_MS);
      timer.unref();
    }
  };

  worker.on('message', ({ log, checkpointed }: { log: number; checkpointed: number }) => {
    running = false;
    // Fallen behind: copied once here, where no commit can come in between.
    if (log > MAX_LOG_FRAMES && checkpointed < log && db.open) db.pragma('wal_checkpoint(PASSIVE)');
    if (committedSince) schedule();
  });
  worker.once('error', (error) => {
    stopped = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    console.error(`Footfall: the SQLite checkpoint worker stopped (${error.message}); SQLite checkpoints in the endpoint's own thread from now on.`);
  });

  return {
    committed() {
      committedSince = true;
      if (!running) schedule();
    },
    async close() {
      if (timer) clearTimeout(timer);
      stopped = true;
      // Held alive while it closes, or a process with nothing else to do would end before it has.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
