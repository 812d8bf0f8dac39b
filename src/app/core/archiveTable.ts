/**
 * The `archive` table: the admin's copy of the organisation's archive (docs/architecture.md#reports),
 * every row sealed under the device keyring with its id as associated data (`archive:<id>`), so a
 * row cannot be moved to another id or table unnoticed.
 *
 * Its layout: one state row (where the next refresh starts; its `rev` is in the clear only so that
 * a write can check, in the same transaction, that no other window has written since it read),
 * chunk rows of events (ids in the order written), a resolution row derived from exactly the chunk
 * rows stored and the rows kept beside it for folding onto it (all dropped whenever they change),
 * and named rows of their own (the wrapped copies of the organisation key). What the rows mean is
 * src/app/admin/archive's business; this keeps them.
 */
import { openJson, sealJson, type SealingKey } from '../../crypto/atRest.ts';
import { ClientError } from '../problems.ts';
import { FootfallDb, type ArchiveRow } from './database.ts';
import { keptWaiting } from './waiting.ts';

const STATE_ID = 'state';
const CHUNK_PREFIX = 'chunk:';
const RESOLUTION_ID = 'resolved';
/**
 * Beside the resolution, kept and dropped with it: what folding waiting events onto it needs, in
 * two rows, so that a visit waiting does not make the reports open the directory too.
 */
const BESIDE_IDS = { basis: 'resolved:basis', directory: 'resolved:directory' } as const;
export type KeptBeside = keyof typeof BESIDE_IDS;

/** Chunk rows fetched from IndexedDB at a time while earlier ones are opened: reading and decrypting overlap. */
const ROWS_AT_A_TIME = 4;
/** Groups of rows asked for beyond the one being opened, so that IndexedDB is never idle waiting to be asked. */
const GROUPS_AHEAD = 2;

export interface ArchiveChunk {
  id: string;
  value: unknown;
}

/** What a Web Worker needs to open this table itself (src/app/admin/archive/reportWorker.ts): both structured-cloneable. */
export interface ArchiveStorage {
  dbName: string;
  key: CryptoKey;
}

/** The archive table of the database `storage` names, opened by a second connection (a Web Worker's). */
export function openArchiveStorage(storage: ArchiveStorage): { archive: ArchiveTable; close: () => void } {
  const db = new FootfallDb(storage.dbName);
  return { archive: new ArchiveTable(db, { content: storage.key }), close: () => db.close() };
}

export class ArchiveTable {
  constructor(
    private readonly db: FootfallDb,
    private readonly keyring: SealingKey,
  ) {}

  get storage(): ArchiveStorage {
    return { dbName: this.db.name, key: this.keyring.content };
  }

  /** A named row's value, or null when there is none; throws when it cannot be opened. */
  async read(id: string): Promise<unknown> {
    const row = await this.db.archive.get(id);
    return row ? this.open(row) : null;
  }

  async put(id: string, value: unknown): Promise<void> {
    await this.db.archive.put(await this.seal(id, value));
  }

  /** The state row's value and its rev (0 before the first write); null value when there is none. */
  async readState(): Promise<{ value: unknown; rev: number }> {
    const row = await this.db.archive.get(STATE_ID);
    return { value: row ? await this.open(row) : null, rev: row?.rev ?? 0 };
  }

  /** The state row's rev alone, without opening it (it may be the damaged row being replaced). */
  async stateRev(): Promise<number> {
    return (await this.db.archive.get(STATE_ID))?.rev ?? 0;
  }

  /**
   * Every chunk row in id order, each opened and handed to `read` as soon as it is (null where it
   * could not be opened): a few rows are fetched at a time, the next few while the last are decrypted,
   * and each row's value is read (decoded) on this thread while WebCrypto decrypts the rows after
   * it, so a year of rows is never held sealed and open at once, and only what `read` keeps of a
   * row stays. `onProgress` hears how many are open of how many.
   */
  async readChunks<T>(read: (value: unknown) => T, onProgress?: (opened: number, of: number) => void): Promise<{ id: string; value: T | null }[]> {
    const ids = await this.db.archive.where('id').startsWith(CHUNK_PREFIX).primaryKeys();
    let opened = 0;
    const openOne = async (row: ArchiveRow | undefined, id: string) => {
      const value = row ? await this.open(row).catch(() => null) : null;
      onProgress?.(++opened, ids.length);
      return { id, value: value === null ? null : read(value) };
    };
    const groups: string[][] = [];
    for (let i = 0; i < ids.length; i += ROWS_AT_A_TIME) groups.push(ids.slice(i, i + ROWS_AT_A_TIME));
    // The next groups are asked for before this one is opened: IndexedDB answers while this thread
    // decodes, instead of waiting for this thread to ask.
    const fetches: Promise<(ArchiveRow | undefined)[]>[] = [];
    const chunks: Promise<{ id: string; value: T | null }>[] = [];
    for (let g = 0; g < groups.length; g++) {
      while (fetches.length < Math.min(groups.length, g + GROUPS_AHEAD + 1)) {
        const fetch = this.db.archive.bulkGet(groups[fetches.length] as string[]);
        fetch.catch(() => {}); // a failure is thrown where its group is awaited
        fetches.push(fetch);
      }
      const rows = await (fetches[g] as Promise<(ArchiveRow | undefined)[]>);
      rows.forEach((row, j) => chunks.push(openOne(row, (groups[g] as string[])[j] as string)));
    }
    return Promise.all(chunks);
  }

  /** A chunk id unique to a write (each has its own rev), in the order written. */
  chunkId(rev: number, index: number): string {
    return `${CHUNK_PREFIX}${String(rev).padStart(12, '0')}:${String(index).padStart(6, '0')}`;
  }

  /**
   * Writes the state with new chunks in one transaction, if no other window has written since
   * `fromRev` was read; otherwise nothing is written and the admin is asked to try again. The
   * resolution goes whenever the chunks change: after an erasure it would still hold her entry.
   */
  async write(fromRev: number, state: unknown, chunks: ArchiveChunk[], options: { clearChunks?: boolean } = {}): Promise<number> {
    const rev = fromRev + 1;
    // Sealed before the transaction: WebCrypto is not IndexedDB work, and awaiting it would end it.
    const stateRow = { ...(await this.seal(STATE_ID, state)), rev };
    const chunkRows = await Promise.all(chunks.map((c) => this.seal(c.id, c.value)));
    const { db } = this;
    await db.transaction('rw', db.archive, async () => {
      const current = await db.archive.get(STATE_ID);
      if ((current?.rev ?? 0) !== fromRev) throw new ClientError('archive_changed_elsewhere');
      if (options.clearChunks) await db.archive.where('id').startsWith(CHUNK_PREFIX).delete();
      if (options.clearChunks || chunkRows.length > 0) await db.archive.bulkDelete([RESOLUTION_ID, ...Object.values(BESIDE_IDS)]);
      await db.archive.bulkPut([...chunkRows, stateRow]);
    });
    return rev;
  }

  /**
   * Writes chunk rows again under their own ids, with the same events in another form
   * (src/app/admin/archive/chunkCodec.ts): only those still stored, so a row another window has
   * replaced meanwhile is not brought back. The ids stay, and with them the kept resolution.
   */
  async rewriteChunks(chunks: ArchiveChunk[]): Promise<void> {
    const rows = await Promise.all(chunks.map((c) => this.seal(c.id, c.value)));
    const { db } = this;
    await db.transaction('rw', db.archive, async () => {
      const stored = new Set(await db.archive.where('id').anyOf(rows.map((r) => r.id)).primaryKeys());
      await db.archive.bulkPut(rows.filter((r) => stored.has(r.id)));
    });
  }

  /**
   * Keeps a resolution of the chunks `chunkIds`, with the rows beside it for folding onto it,
   * unless they changed since they were read or this device saved an event of its own meanwhile
   * (its own events count too, and are not in it).
   */
  async keepResolution(value: unknown, beside: Record<KeptBeside, unknown>, chunkIds: readonly string[]): Promise<void> {
    const rows = await Promise.all([this.seal(RESOLUTION_ID, value), ...Object.entries(BESIDE_IDS).map(([name, id]) => this.seal(id, beside[name as KeptBeside]))]);
    const { db } = this;
    await db.transaction('rw', db.archive, db.device, async () => {
      const chunks = await db.archive.where('id').startsWith(CHUNK_PREFIX).primaryKeys();
      if (!sameIds(chunks, chunkIds) || (await keptWaiting(db)) > 0) return;
      await db.archive.bulkPut(rows);
    });
  }

  /**
   * The kept resolution with the chunk ids stored now, and the rows beside it named in `beside`,
   * read in the same transaction (each null when none is kept, as beside a resolution kept by an
   * earlier version, or when it cannot be opened). This device's own waiting events are not in
   * it: the reports fold them on (src/domain/waitingFold.ts) or resolve everything again.
   */
  async readResolution(beside: readonly KeptBeside[] = []): Promise<{ value: unknown; beside: Partial<Record<KeptBeside, unknown>>; chunkIds: string[] } | null> {
    const { db } = this;
    const found = await db.transaction('r', db.archive, async () => {
      const [row, ...besideRows] = await db.archive.bulkGet([RESOLUTION_ID, ...beside.map((name) => BESIDE_IDS[name])]);
      return row ? { row, besideRows, chunkIds: await db.archive.where('id').startsWith(CHUNK_PREFIX).primaryKeys() } : null;
    });
    if (!found) return null;
    const [value, ...opened] = await Promise.all([this.open(found.row), ...found.besideRows.map((r) => (r ? this.open(r).catch(() => null) : null))]);
    return { value, beside: Object.fromEntries(beside.map((name, i) => [name, opened[i] ?? null])), chunkIds: found.chunkIds };
  }

  private async seal(id: string, value: unknown): Promise<ArchiveRow> {
    return { id, ...(await sealJson(this.keyring, `archive:${id}`, value)) };
  }

  private async open(row: ArchiveRow): Promise<unknown> {
    try {
      return await openJson(this.keyring, `archive:${row.id}`, row);
    } catch {
      throw new ClientError('archive_unreadable');
    }
  }
}

export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}
