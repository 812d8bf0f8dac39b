/**
 * The unlocked device store: reads and writes sealed rows. Every save seals first and then writes
 * the events and the rows the screens show in one IndexedDB transaction, so the log and the
 * screen can never disagree, and a visit the screen shows is on disk.
 */
import { z } from 'zod';
import { blindTag, openJson, sealJson, WOMAN_BUCKET } from '../../crypto/atRest.ts';
import { utf8 } from '../../crypto/bytes.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import { FootfallEvent } from '../../domain/events.ts';
import { OrgConfig } from '../../domain/config.ts';
import type { BatchRow, EnrolmentOfEarlierBuilds, FootfallDb, OutboxRow, SealedRow, VisitRow } from './database.ts';
import { keptInTheClear, sealBatchMarks, updateMarks, uploadSealer, writeLastSync } from './marks.ts';
import { ClientError } from '../problems.ts';
import { DeviceSecrets, DirectoryState, KeptStatements, RecentAreas, TeamKeys, VisitEvents, Woman } from './rows.ts';
import { moveWaiting } from './waiting.ts';

export interface VisitRecord extends VisitEvents {
  id: string;
  date: string;
}

/** Rows read back, and how many could not be (left untouched on disk, and reported). */
export interface Loaded<T> {
  items: T[];
  unreadable: number;
}

export interface Changes {
  women?: Woman[];
  visits?: VisitRecord[];
  config?: OrgConfig;
  teamKeys?: TeamKeys;
  deviceSecrets?: DeviceSecrets;
  /** Entries erased from the directory: their rows are deleted. */
  removeWomen?: string[];
  directory?: DirectoryState;
}

const CONFIG_ID = 'config';
const TEAM_KEYS_ID = 'teamKeys';
const DIRECTORY_ID = 'directory';
const DEVICE_SECRETS_ID = 'deviceKeys';
const KEPT_STATEMENTS_ID = 'keptStatements';
// Where outreach happens is as sensitive as what happened, so the list is sealed like the records.
const RECENT_AREAS = 'recentAreas';
/** A row keyed by its plain id, as stored before row keys were tags: a UUID, which holds its time. */
const isPlainId = (key: string) => key.includes('-');

/**
 * A row's key where its id would say when it was made (ids are UUIDv7): a keyed tag of the id,
 * which says nothing without the keyring (docs/security.md#what-a-copy-of-a-locked-device-shows).
 */
export function rowKeyOf(keyring: Keyring, table: string, id: string): Promise<string> {
  return blindTag(keyring, `row:${table}:${id}`);
}

/**
 * An event for the outbox, keyed by a tag of its id and sealed with that key as associated data, so a
 * row cannot be moved unnoticed; the event's own id is inside, for the protocol. Its label is
 * `events`, the name of the table earlier builds kept it in, so rows moved from there open as they are.
 */
export async function sealEventRow(keyring: Keyring, event: FootfallEvent): Promise<OutboxRow> {
  const key = await rowKeyOf(keyring, 'events', event.id);
  return { id: key, ...(await sealJson(keyring, `events:${key}`, FootfallEvent.parse(event))) };
}

/**
 * An event row opened and checked by the schema; throws when it cannot be. A row an earlier build
 * keyed by the event's own id opens too, until the next unlock keys it again (Vault.retagRows).
 */
export async function openEventRow(keyring: Keyring, row: OutboxRow): Promise<FootfallEvent> {
  const event = FootfallEvent.parse(await openJson(keyring, `events:${row.id}`, row));
  if (row.id !== event.id && row.id !== (await rowKeyOf(keyring, 'events', event.id))) throw new ClientError('row_unreadable', { table: 'events' });
  return event;
}

export class Vault {
  constructor(
    readonly db: FootfallDb,
    readonly keyring: Keyring,
  ) {}

  /**
   * Saves events and the state they lead to, atomically and durably, and returns how many records
   * are waiting to sync after it: the kept count moves in the same transaction, so the number is
   * exact however many tabs save at once, and a save waits for no count.
   */
  async commit(events: FootfallEvent[], changes: Changes = {}): Promise<number> {
    const eventRows = await Promise.all(events.map((e) => sealEventRow(this.keyring, e)));
    const womanRows = await Promise.all((changes.women ?? []).map(async (w) => this.seal('women', await this.rowKey('women', w.id), Woman.parse(w))));
    const removedWomen = await Promise.all((changes.removeWomen ?? []).map((id) => this.rowKey('women', id)));
    const visitRows: VisitRow[] = await Promise.all(
      (changes.visits ?? []).map(async (v) => ({
        ...(await this.seal('visits', await this.rowKey('visits', v.id), VisitEvents.parse({ id: v.id, events: v.events }))),
        dayTag: await blindTag(this.keyring, v.date),
      })),
    );
    const settingRows = [
      ...(changes.config ? [await this.seal('settings', CONFIG_ID, OrgConfig.parse(changes.config))] : []),
      ...(changes.teamKeys ? [await this.seal('settings', TEAM_KEYS_ID, TeamKeys.parse(changes.teamKeys))] : []),
      ...(changes.directory ? [await this.seal('settings', DIRECTORY_ID, DirectoryState.parse(changes.directory))] : []),
      ...(changes.deviceSecrets ? [await this.seal('settings', DEVICE_SECRETS_ID, DeviceSecrets.parse(changes.deviceSecrets))] : []),
    ];

    const { db } = this;
    return db.transaction('rw', [db.outbox, db.women, db.visits, db.settings, db.device], async () => {
      if (eventRows.length) await db.outbox.bulkAdd(eventRows);
      if (womanRows.length) await db.women.bulkPut(womanRows);
      if (removedWomen.length) await db.women.bulkDelete(removedWomen);
      if (visitRows.length) await db.visits.bulkPut(visitRows);
      if (settingRows.length) await db.settings.bulkPut(settingRows);
      return moveWaiting(db, eventRows.length);
    });
  }

  async loadConfig(): Promise<OrgConfig> {
    const row = await this.db.settings.get(CONFIG_ID);
    if (!row) throw new ClientError('no_configuration');
    return this.open('settings', row, OrgConfig);
  }

  /** The team keys, once this device is enrolled. */
  async loadTeamKeys(): Promise<TeamKeys | null> {
    const row = await this.db.settings.get(TEAM_KEYS_ID);
    return row ? this.open('settings', row, TeamKeys) : null;
  }

  /** This device's private keys, once enrolled (null before, or on a device enrolled by an earlier build). */
  async loadDeviceSecrets(): Promise<DeviceSecrets | null> {
    const row = await this.db.settings.get(DEVICE_SECRETS_ID);
    return row ? this.open('settings', row, DeviceSecrets) : null;
  }

  /** The statements about devices this admin device signed (rows.ts KeptStatements); none before it signed one. */
  async loadKeptStatements(): Promise<FootfallEvent[]> {
    const row = await this.db.settings.get(KEPT_STATEMENTS_ID);
    return row ? (await this.open('settings', row, KeptStatements)).events : [];
  }

  /** Adds one: callers save one at a time (DeviceCore.serially). */
  async keepStatement(event: FootfallEvent): Promise<void> {
    const events = [...(await this.loadKeptStatements()), event];
    await this.db.settings.put(await this.seal('settings', KEPT_STATEMENTS_ID, KeptStatements.parse({ events })));
  }

  /** What the directory remembers beyond its entries, or null before anything was erased or shared. */
  async loadDirectoryState(): Promise<DirectoryState | null> {
    const row = await this.db.settings.get(DIRECTORY_ID);
    return row ? this.open('settings', row, DirectoryState) : null;
  }

  async loadWomen(): Promise<Loaded<Woman>> {
    const rows = await this.db.women.toArray();
    return settle(rows.map((row) => this.open('women', row, Woman)));
  }

  /** The visits whose local date is `date`. */
  async loadVisitsOn(date: string): Promise<Loaded<VisitRecord>> {
    const rows = await this.db.visits.where('dayTag').equals(await blindTag(this.keyring, date)).toArray();
    return settle(
      rows.map(async (row) => {
        const { id, events } = await this.open('visits', row, VisitEvents);
        return { id: id ?? row.id, date, events };
      }),
    );
  }

  /**
   * After upload a device keeps only what its job needs. Rows of today (the last of `recent`)
   * stay for the day's screens; a row of the other recent days stays when `keepRecent` says so
   * from its first event; any other row goes once every one of its events has left the outbox.
   * Unreadable rows stay for an admin to look at.
   */
  async pruneDayRows(
    recent: readonly string[],
    keepRecent: (firstEvent: FootfallEvent['type'] | undefined) => boolean,
    waitingAmong: (eventIds: string[]) => Promise<Set<string>>,
  ): Promise<number> {
    const tags = await Promise.all(recent.map((date) => blindTag(this.keyring, date)));
    const recentTags = new Set(tags);
    const rows = await this.db.visits.where('dayTag').notEqual(tags.at(-1)!).toArray();
    if (!rows.length) return 0;
    const candidates: { key: string; eventIds: string[] }[] = [];
    for (const row of rows) {
      const opened = await this.open('visits', row, VisitEvents).catch(() => null);
      if (!opened || (recentTags.has(row.dayTag) && keepRecent(opened.events[0]?.type))) continue;
      candidates.push({ key: row.id, eventIds: opened.events.map((e) => e.id) });
    }
    const waiting = await waitingAmong(candidates.flatMap((c) => c.eventIds));
    const done = candidates.filter((c) => c.eventIds.every((id) => !waiting.has(id))).map((c) => c.key);
    await this.db.visits.bulkDelete(done);
    return done.length;
  }

  /** The areas a staff member recorded contacts in lately, latest first; a convenience, so a damaged list starts again empty. */
  async loadRecentAreas(staffId: string): Promise<string[]> {
    const row = await this.db.settings.get(await this.rowKey(RECENT_AREAS, staffId));
    return row ? this.open('settings', row, RecentAreas).then((r) => r.areas, () => []) : [];
  }

  async saveRecentAreas(staffId: string, areas: string[]): Promise<void> {
    await this.db.settings.put(await this.seal('settings', await this.rowKey(RECENT_AREAS, staffId), RecentAreas.parse({ areas })));
  }

  /**
   * Rows stored before row keys were tags are keyed again, once, at the first unlock after the
   * update (an upgrade cannot: it runs before anyone unlocks). A row that cannot be opened stays
   * as it is, for an admin to look at.
   */
  async retagRows(): Promise<void> {
    await this.retagEvents();
    await this.sealClearMarks();
    const { db } = this;
    const women = (await db.women.toCollection().primaryKeys()).filter(isPlainId);
    const visits = (await db.visits.toCollection().primaryKeys()).filter(isPlainId);
    const areas = (await db.settings.toCollection().primaryKeys()).filter((key) => key.startsWith(`${RECENT_AREAS}:`));
    if (!women.length && !visits.length && !areas.length) return;
    const womanRows = await this.rekey('women', await db.women.bulkGet(women), Woman, async (_, w) => this.seal('women', await this.rowKey('women', w.id), w));
    const visitRows = await this.rekey('visits', await db.visits.bulkGet(visits), VisitEvents, async (row, v) => ({
      ...(await this.seal('visits', await this.rowKey('visits', row.id), { id: row.id, events: v.events })),
      dayTag: (row as VisitRow).dayTag,
    }));
    const areaRows = await this.rekey('settings', await db.settings.bulkGet(areas), RecentAreas, async (row, a) =>
      this.seal('settings', await this.rowKey(RECENT_AREAS, row.id.slice(RECENT_AREAS.length + 1)), a),
    );
    await db.transaction('rw', [db.women, db.visits, db.settings], async () => {
      await db.women.bulkDelete(womanRows.map((r) => r.from));
      await db.women.bulkPut(womanRows.map((r) => r.row));
      await db.visits.bulkDelete(visitRows.map((r) => r.from));
      await db.visits.bulkPut(visitRows.map((r) => r.row as VisitRow));
      await db.settings.bulkDelete(areaRows.map((r) => r.from));
      await db.settings.bulkPut(areaRows.map((r) => r.row));
    });
  }

  /**
   * Outbox rows an earlier build keyed by their ids, keyed again, and the batch that carries each
   * made to list its new key, in one transaction: a row acknowledged (deleted) or keyed by another
   * tab meanwhile is left as it now is.
   */
  private async retagEvents(): Promise<void> {
    const { db, keyring } = this;
    const plain = (await db.outbox.toCollection().primaryKeys()).filter(isPlainId);
    if (!plain.length) return;
    const rows = await db.outbox.bulkGet(plain);
    const retagged = (
      await Promise.all(
        rows.map(async (row) => {
          const event = row && (await openEventRow(keyring, row).catch(() => null));
          return event ? { from: row.id, row: await sealEventRow(keyring, event) } : null;
        }),
      )
    ).flatMap((r) => (r ? [r] : []));
    const renamed = new Map(retagged.map((r) => [r.from, r.row.id]));
    await db.transaction('rw', [db.outbox, db.batches, db.device], async () => {
      const still = new Set(await db.outbox.where(':id').anyOf([...renamed.keys()]).primaryKeys());
      const moving = retagged.filter((r) => still.has(r.from));
      await db.outbox.bulkDelete(moving.map((r) => r.from));
      await db.outbox.bulkPut(moving.map((r) => r.row));
      // Once per device, after an update from before version 5: the batches are read whole.
      const carrying = await db.batches.filter((b) => b.rows.some((key) => renamed.has(key))).toArray();
      await db.batches.bulkPut(carrying.map((b) => ({ ...b, rows: b.rows.map((key) => renamed.get(key) ?? key).sort() })));
    });
  }

  /**
   * What builds before version 6 kept in the clear is sealed at the first unlock after the update
   * (an upgrade cannot: it runs before anyone unlocks): the enrolment's marks (next batch number,
   * certificate, when signing began, and the organisation key records are sealed to, which later
   * builds kept in the clear too), each batch's number and the last-synced time.
   */
  private async sealClearMarks(): Promise<void> {
    const { db, keyring } = this;
    const enrolment = (await db.device.get('enrolment')) as EnrolmentOfEarlierBuilds | undefined;
    if (enrolment && keptInTheClear(enrolment)) await updateMarks(db, keyring, (m) => m);
    const upload = uploadSealer(keyring);
    const clearBatches = (await db.batches.toArray()).filter((b) => b.seq !== undefined);
    if (clearBatches.length) {
      const sealed = await Promise.all(
        clearBatches.map(async (b): Promise<BatchRow> => {
          const { seq, ...rest } = b;
          return { ...rest, marks: await sealBatchMarks(upload, b.batchId, { seq: seq! }) };
        }),
      );
      await db.transaction('rw', db.batches, async () => {
        for (const b of sealed) if ((await db.batches.get(b.batchId))?.seq !== undefined) await db.batches.put(b);
      });
    }
    const sync = await db.device.get('sync');
    if (sync?.key === 'sync' && sync.lastSyncedAt) await writeLastSync(db, upload, sync.lastSyncedAt);
  }

  /** Each readable row opened and sealed again under its new key, with the key it had. */
  private async rekey<T>(
    table: 'women' | 'visits' | 'settings',
    rows: (SealedRow | undefined)[],
    schema: z.ZodType<T>,
    next: (row: SealedRow, value: T) => Promise<SealedRow>,
  ): Promise<{ from: string; row: SealedRow }[]> {
    const done = await Promise.all(
      rows.map(async (row) => {
        if (!row) return null;
        const value = await this.open(table, row, schema).catch(() => null);
        return value === null ? null : { from: row.id, row: await next(row, value) };
      }),
    );
    return done.flatMap((d) => (d ? [d] : []));
  }

  /** A row's key for a record id (rowKeyOf). */
  rowKey(table: string, id: string): Promise<string> {
    return rowKeyOf(this.keyring, table, id);
  }

  private async seal(table: string, id: string, value: unknown): Promise<SealedRow> {
    return { id, ...(await sealJson(this.keyring, `${table}:${id}`, value, table === 'women' ? WOMAN_BUCKET : undefined)) };
  }

  private async open<T>(table: string, row: SealedRow, schema: z.ZodType<T>): Promise<T> {
    let plain: unknown;
    try {
      plain = await openJson(this.keyring, `${table}:${row.id}`, row);
    } catch {
      throw new ClientError('row_unreadable', { table });
    }
    const parsed = schema.safeParse(plain);
    if (!parsed.success) throw new ClientError('row_unknown_form', { table });
    return parsed.data;
  }
}

/**
 * One damaged row must not lock everyone out of the rest: it is skipped, counted and shown, and
 * stays on disk as it is for an admin to look at.
 */
async function settle<T>(reads: Promise<T>[]): Promise<Loaded<T>> {
  const results = await Promise.allSettled(reads);
  const items: T[] = [];
  for (const r of results) if (r.status === 'fulfilled') items.push(r.value);
  return { items, unreadable: results.length - items.length };
}
