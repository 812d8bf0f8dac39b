/**
 * Shared helpers for the app tests: a fresh device database per test, the unlocked session, and
 * reading the event log back the way an auditor would (decrypt every row, parse it with the schema).
 */
import { v7 as uuidv7 } from 'uuid';
import type { Keyring } from '../../src/crypto/keyring.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { setUpDevice } from '../../src/app/lock/access.ts';
import { boot } from '../../src/app/core/device.ts';
import { FootfallDb } from '../../src/app/core/database.ts';
import { useFootfall, type Session } from '../../src/app/store.ts';
import type { DeviceCore } from '../../src/app/core/core.ts';
import type { BatchRow, Enrolment } from '../../src/app/core/database.ts';
import { openEventRow } from '../../src/app/core/vault.ts';
import { openedCore } from '../../src/app/lock/access.ts';

export const ADMIN_PIN = '482915';
export const DESK_PIN = '730241';

let counter = 0;
export function uniqueDbName(prefix: string): string {
  return `${prefix}-${++counter}-${crypto.randomUUID()}`;
}

/** Puts the store back as a fresh page load has it. */
export function resetStore(): void {
  useFootfall.setState(useFootfall.getInitialState(), true);
}

/** Boots a brand-new, empty device database. */
export async function bootFresh(prefix = 'test'): Promise<FootfallDb> {
  resetStore();
  const db = new FootfallDb(uniqueDbName(prefix));
  await boot(db);
  return db;
}

/** A new device, set up through the real first-run action and left unlocked by its admin. */
export async function setUpFresh(prefix = 'test'): Promise<FootfallDb> {
  const db = await bootFresh(prefix);
  await setUpDevice({ deviceName: 'Front desk tablet', siteName: 'Drop-in centre', staffName: 'Grace', pin: ADMIN_PIN });
  return db;
}

/** The device core the app opened at the last unlock, as the shell hands it to the screens. */
export function core(): DeviceCore {
  const opened = openedCore();
  if (!opened) throw new Error('expected an unlocked device core');
  return opened;
}

/** A device's enrolment row, read from its own database (whichever device the app is running). */
export async function enrolmentOf(db: FootfallDb): Promise<Enrolment | null> {
  const row = await db.device.get('enrolment');
  return row?.key === 'enrolment' ? row : null;
}

export function currentSession(): Session {
  const { phase } = useFootfall.getState();
  if (phase.kind !== 'unlocked') throw new Error(`expected an unlocked session, the phase is ${phase.kind}`);
  return phase.session;
}

/** `n` anonymous check-ins saved in one commit, as an import or a busy morning writes them; returns their ids. */
export async function saveAnonymousVisits(n: number): Promise<string[]> {
  const s = currentSession();
  const identity = useFootfall.getState().identity!;
  const events: FootfallEvent[] = Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.now() + i).toISOString();
    return { id: uuidv7(), at, deviceId: identity.deviceId, staffId: s.staff.id, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId: identity.siteKey, services: ['meal'] };
  });
  await core().save(events, {});
  return events.map((e) => e.id);
}

/**
 * Every event waiting on the device, each decrypted and checked by the schema, in the order they
 * were made (their ids are UUIDv7): the outbox itself keeps no order.
 */
export async function readEvents(db: FootfallDb, keyring: Keyring): Promise<FootfallEvent[]> {
  const rows = await db.outbox.toArray();
  const events = await Promise.all(rows.map((row) => openEventRow(keyring, row)));
  return events.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The ids of the events a batch carries: the outbox rows it lists, opened (rows are keyed by tags, not ids). */
export async function eventIdsOf(db: FootfallDb, keyring: Keyring, batch: BatchRow): Promise<string[]> {
  const rows = await db.outbox.bulkGet(batch.rows);
  return Promise.all(rows.map(async (row) => (await openEventRow(keyring, row!)).id));
}

export async function tableCounts(db: FootfallDb): Promise<Record<string, number>> {
  return {
    events: await db.outbox.count(),
    women: await db.women.count(),
    visits: await db.visits.count(),
    settings: await db.settings.count(),
    staff: await db.staff.count(),
  };
}

/** A copy of every sealed row's bytes, to prove later that nothing was changed or deleted. */
export async function snapshotRows(db: FootfallDb): Promise<string> {
  const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('hex');
  const out: Record<string, unknown> = {};
  for (const table of [db.outbox, db.women, db.visits, db.settings]) {
    const rows = await table.toArray();
    out[table.name] = rows
      .map((r) => ({ ...r, iv: hex(r.iv), ct: hex(r.ct) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  out.staff = await db.staff.toArray();
  return JSON.stringify(out);
}
