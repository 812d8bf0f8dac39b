/**
 * The device core: what an unlocked device holds, and the only way feature code reads or writes
 * the device's storage (docs/architecture.md#the-device-core). It is opened when someone unlocks
 * and closed when the app locks; feature actions are handed it and never reach a table. The store
 * (src/app/store.ts) is a read-only view of it, published by core/publish.ts after each write has
 * committed, so what a screen shows is on disk.
 */
import { v7 as uuidv7 } from 'uuid';
import { importTeamKey, exportTeamKey } from '../../crypto/envelope.ts';
import type { OrgKeyring } from '../../crypto/orgKeyring.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import { importDevicePrivateKeys, type DevicePrivateKeys } from '../../crypto/signing.ts';
import type { OrgConfig } from '../../domain/config.ts';
import type { FootfallEvent } from '../../domain/events.ts';
import { datesUpTo, localDateOf } from '../../domain/time.ts';
import { EMPTY_DIRECTORY_STATE, foldDirectory, type DirectoryChanges } from '../directory/directory.ts';
import { ClientError } from '../problems.ts';
import type { Session } from '../store.ts';
import { ArchiveTable } from './archiveTable.ts';
import type { DeviceIdentity, Enrolment, StaffRow } from './database.ts';
import { database, followRoster, readEnrolment, readIdentity, readSyncState, saveIdentity, saveNewDevice, waitingCount } from './device.ts';
import { OutboxReader, sealWaitingEvents, type SealingOptions } from './outbox.ts';
import type { TeamKey } from './batchSealing.ts';
import { patchSessionView, showSession, showUnsynced } from './publish.ts';
import { keepUploadKeys } from './uploadSigner.ts';
import { readMarks, updateMarks, uploadSealer } from './marks.ts';
import type { DeviceSecrets, EnrolmentMarks } from './rows.ts';
import { Vault, type Changes, type VisitRecord } from './vault.ts';

/** The fields every event carries: a fresh UUIDv7, device time, this device, this person. */
export interface Stamp {
  id: string;
  at: string;
  deviceId: string;
  staffId: string;
}

type OrgKeyListener = (keys: OrgKeyring | null) => void;

/** The enrolment as an unlocked device reads it, its sealed marks opened (DeviceCore.enrolment). */
export type UnlockedEnrolment = Enrolment & Pick<EnrolmentMarks, 'certificate' | 'authoritySince' | 'sealingKey'>;

/**
 * Outreach contacts and casework sessions stay on this device for this many days (today
 * included), synced or not, so a worker can see and void her own mistakes of the past days;
 * visits of other days go once synced (docs/security.md#holding-little).
 */
export const RECENT_RECORD_DAYS = 7;

export class DeviceCore {
  /** Today's view of the device, as the screens show it. */
  #session: Session;
  #identity: DeviceIdentity;
  #teamKeys: ReadonlyMap<number, CryptoKey>;
  #deviceKeys: DevicePrivateKeys | null;
  #orgKeys: OrgKeyring | null = null;
  readonly #orgKeyListeners = new Set<OrgKeyListener>();
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;
  #revoked: boolean;
  readonly vault: Vault;
  /** This device's own events not yet acknowledged, readable only while unlocked. */
  readonly outbox: OutboxReader;
  /** The admin's copy of the organisation's archive, for reports and data care. */
  readonly archive: ArchiveTable;

  private constructor(
    readonly keyring: Keyring,
    identity: DeviceIdentity,
    session: Session,
    teamKeys: ReadonlyMap<number, CryptoKey>,
    deviceKeys: DevicePrivateKeys | null,
    revoked: boolean,
  ) {
    this.#identity = identity;
    this.#deviceKeys = deviceKeys;
    this.#revoked = revoked;
    const db = database();
    this.vault = new Vault(db, keyring);
    this.outbox = new OutboxReader(db, keyring);
    this.archive = new ArchiveTable(db, keyring);
    this.#session = session;
    this.#teamKeys = teamKeys;
  }

  /**
   * Reads what the screens need for the person who unlocked. Nothing is shown yet: the caller
   * keeps the core first, then calls show(), so no screen renders before the core can be reached.
   */
  static async open(keyring: Keyring, staff: StaffRow): Promise<DeviceCore> {
    const identity = await readIdentity();
    if (!identity) throw new ClientError('not_set_up');
    const vault = new Vault(database(), keyring);
    await vault.retagRows();
    const config = await vault.loadConfig();
    const women = await vault.loadWomen();
    const today = localDateOf(Date.now(), config.timeZone);
    const day = await loadRecentDays(vault, today);
    const team = await vault.loadTeamKeys();
    const teamKeys = new Map(await Promise.all((team?.keys ?? []).map(async (k) => [k.version, await importTeamKey(k.raw)] as const)));
    const deviceKeys = await openDeviceKeys(vault);
    if (deviceKeys) keepUploadKeys(identity.deviceId, { signing: deviceKeys.signing, upload: uploadSealer(keyring) });
    const session: Session = {
      staff,
      config,
      women: new Map(women.items.map((w) => [w.id, w])),
      today,
      ...splitDay(day.items, today),
      unreadable: women.unreadable + day.unreadable,
    };
    return new DeviceCore(keyring, identity, session, teamKeys, deviceKeys, Boolean((await readSyncState()).revoked));
  }

  /** Publishes the unlocked view. */
  async show(): Promise<void> {
    showSession(this.#session, await waitingCount());
  }

  get session(): Session {
    if (this.#closed) throw new ClientError('locked');
    return this.#session;
  }

  get staff(): StaffRow {
    return this.session.staff;
  }

  /** This device: its id, name and the site its visits are at. */
  get identity(): DeviceIdentity {
    return this.#identity;
  }

  /** Moves this device to another site: its admin's choice in Settings, or an admin's signed move (docs/security.md#devices). */
  async moveToSite(siteKey: string): Promise<void> {
    const next = { ...this.#identity, siteKey };
    await saveIdentity(next);
    this.#identity = next;
  }

    get isAdmin(): boolean {
    return this.session.staff.role === 'admin';
  }

  /** Drops the keys: what was saved is sealed for upload first, so it can sync while locked. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.holdOrgKeys(null);
    try {
      const enrolment = await readEnrolment();
      if (enrolment && this.#teamKeys.size && this.#deviceKeys) {
        await sealWaitingEvents(database(), this.keyring, this.#identity.deviceId, this.newestTeamKey(), this.#deviceKeys.signing);
      }
    } catch {
      // sealed at the next unlock instead
    } finally {
      this.keyring.root.fill(0);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The server refused this device as revoked (sync/engine.ts): no new records from now on. */
  markRevoked(): void {
    this.#revoked = true;
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  /**
   * Saves run one at a time, each starting from the state the one before it left, so two quick
   * taps can never write a visit row that misses the other's events.
   */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#writes.then(work, work);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  stamp(): Stamp {
    return { id: uuidv7(), at: new Date().toISOString(), deviceId: this.#identity.deviceId, staffId: this.session.staff.id };
  }

  /**
   * Saves events and the rows they change in one transaction, then shows the result and the
   * waiting count that transaction left. A revoked device takes no new events: they could never
   * be sent.
   */
  async save(events: FootfallEvent[], changes: Changes, view: Partial<Session> = {}): Promise<void> {
    if (events.length && this.#revoked) throw new ClientError('device_revoked');
    const waiting = await this.vault.commit(events, changes);
    this.#show(view);
    showUnsynced(waiting);
  }

  /** Reloads today's records when the local date has changed since they were loaded. */
  async currentDay(): Promise<Session> {
    const s = this.session;
    const today = localDateOf(Date.now(), s.config.timeZone);
    if (today === s.today) return s;
    const day = await loadRecentDays(this.vault, today);
    this.#show({ today, ...splitDay(day.items, today), unreadable: s.unreadable + day.unreadable });
    return this.session;
  }

  /**
   * Saves a record's row with its new events in one transaction, then shows it: on today's list of
   * visits, or among the contacts and sessions of the recent days.
   */
  async saveDayRecord(list: 'visits' | 'contacts', record: VisitRecord, events: FootfallEvent[]): Promise<void> {
    const others = this.session[list].filter((v) => v.id !== record.id);
    const shown = list === 'visits' ? record.date === this.session.today : recentDates(this.session.today).includes(record.date);
    await this.save(events, { visits: [record] }, { [list]: shown ? [...others, record] : others });
  }

  /**
   * Folds directory events (this device's own, `own`, saved for upload too; or other devices',
   * pulled by sync) into the directory here, in one transaction. `check` may refuse the result
   * before anything is written.
   */
  async foldDirectory(events: readonly FootfallEvent[], own: FootfallEvent[], check?: (result: DirectoryChanges) => void): Promise<DirectoryChanges> {
    const state = (await this.vault.loadDirectoryState()) ?? EMPTY_DIRECTORY_STATE;
    const result = foldDirectory(this.session.women, state, events, this.#identity.deviceId);
    check?.(result);
    // Before the state that records the move: a fold cut short between the two applies it again.
    if (result.siteKey) await this.moveToSite(result.siteKey);
    if (!result.changed && !own.length) return result;
    await this.save(
      own,
      { women: result.put, removeWomen: result.removed, directory: result.state, ...(result.config && { config: result.config }) },
      { women: result.women, ...(result.config && { config: result.config }) },
    );
    if (result.people) await followRoster(result.people);
    return result;
  }

  /** This device's own configuration, kept here only (before enrolment, or a device's site). */
  async saveConfig(config: OrgConfig): Promise<void> {
    await this.save([], { config }, { config });
  }

  /**
   * Rows the server now holds and this device's job no longer needs go: visits of other days, and
   * contacts and sessions older than the recent days.
   */
  pruneSynced(): Promise<number> {
    const keepRecent = (firstEvent: FootfallEvent['type'] | undefined) => firstEvent !== 'visit.checkedIn';
    return this.serially(() => this.vault.pruneDayRows(recentDates(this.session.today), keepRecent, (ids) => this.outbox.waitingAmong(ids)));
  }

  // -------------------------------------------------------------------------------------------
  // Keys

  /** Team keys by version, once enrolled: they open the shared directory. */
  get teamKeys(): ReadonlyMap<number, CryptoKey> {
    return this.#teamKeys;
  }

  newestTeamKey(): TeamKey {
    const version = Math.max(...this.#teamKeys.keys());
    const key = this.#teamKeys.get(version);
    if (!key) throw new ClientError('no_team_key');
    return { version, key };
  }

  async saveTeamKeys(keys: ReadonlyMap<number, CryptoKey>): Promise<void> {
    const exported = await Promise.all([...keys].sort(([a], [b]) => a - b).map(async ([version, key]) => ({ version, raw: await exportTeamKey(key) })));
    await this.vault.commit([], { teamKeys: { keys: exported } });
    this.#teamKeys = keys;
  }

  /** Seals every saved event not yet in a batch, with the newest team key. */
  async sealWaiting(enrolment: Enrolment, options?: SealingOptions): Promise<number> {
    if (!this.#teamKeys.size) return 0;
    return sealWaitingEvents(database(), this.keyring, this.#identity.deviceId, this.newestTeamKey(), this.deviceKeys().signing, options);
  }

  /**
   * The enrolment with what is sealed of it (docs/security.md#what-a-copy-of-a-locked-device-shows):
   * the admin certificate and when the organisation began to sign. Null before enrolment.
   */
  async enrolment(): Promise<UnlockedEnrolment | null> {
    if (this.#closed) throw new ClientError('locked');
    const enrolment = await readEnrolment();
    if (!enrolment) return null;
    const { marks } = await readMarks(database(), this.keyring);
    return {
      ...enrolment,
      ...(marks.certificate && { certificate: marks.certificate }),
      ...(marks.authoritySince && { authoritySince: marks.authoritySince }),
      ...(marks.sealingKey && { sealingKey: marks.sealingKey }),
    };
  }

  /** Keeps what this device learnt of the organisation's authority, sealed: its certificate, when signing began. */
  async keepAuthority(patch: Pick<EnrolmentMarks, 'certificate' | 'authoritySince'>): Promise<void> {
    if (this.#closed) throw new ClientError('locked');
    await updateMarks(database(), this.keyring, (m) => ({ ...m, ...patch }));
  }

  /** On an admin device: the devices given every team key it holds since the key last changed (sync/organisation.ts shareTeamKeys). */
  async teamKeysSharedWith(): Promise<ReadonlySet<string>> {
    if (this.#closed) throw new ClientError('locked');
    return new Set((await readMarks(database(), this.keyring)).marks.teamKeysSharedWith ?? []);
  }

  /** Keeps, sealed, that these devices have every team key: beside those kept already, or instead of them once the key changes (`changed`). */
  async keepTeamKeysShared(deviceIds: readonly string[], { changed = false } = {}): Promise<void> {
    if (this.#closed) throw new ClientError('locked');
    await updateMarks(database(), this.keyring, (m) => ({ ...m, teamKeysSharedWith: [...new Set([...(changed ? [] : (m.teamKeysSharedWith ?? [])), ...deviceIds])] }));
  }

  /** This device's private keys, once enrolled: opened at unlock, usable only while unlocked. */
  deviceKeys(): DevicePrivateKeys {
    if (this.#closed) throw new ClientError('locked');
    if (!this.#deviceKeys) throw new ClientError('not_enrolled');
    return this.#deviceKeys;
  }

  /** Keeps the private keys of an enrolment just made: sealed first, then held while unlocked. */
  async saveDeviceKeys(secrets: DeviceSecrets): Promise<void> {
    await this.vault.commit([], { deviceSecrets: secrets });
    this.#deviceKeys = await importDevicePrivateKeys(secrets);
    keepUploadKeys(this.#identity.deviceId, { signing: this.#deviceKeys.signing, upload: uploadSealer(this.keyring) });
  }

  /** The organisation's private keys (every one since set-up) while an admin has unlocked them on this device (memory only). */
  get orgKeys(): OrgKeyring | null {
    return this.#orgKeys;
  }

  holdOrgKeys(keys: OrgKeyring | null): void {
    if (this.#orgKeys === keys || (keys && this.#closed)) return;
    this.#orgKeys = keys;
    for (const listener of this.#orgKeyListeners) listener(keys);
  }

  onOrgKeyChange(listener: OrgKeyListener): () => void {
    this.#orgKeyListeners.add(listener);
    return () => this.#orgKeyListeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------

  #show(patch: Partial<Session>): void {
    if (this.#closed) return;
    this.#session = { ...this.#session, ...patch };
    patchSessionView(this.#session);
  }
}

/**
 * A new device's first configuration, person and identity. The identity goes last: until it is
 * written the device counts as not set up, and set-up starts again.
 */
export async function writeNewDevice(keyring: Keyring, config: OrgConfig, staff: StaffRow, identity: DeviceIdentity): Promise<void> {
  await new Vault(database(), keyring).commit([], { config });
  await saveNewDevice(staff, identity);
}

/**
 * The device's private keys: opened from their sealed row, or, on a device enrolled by an earlier
 * build, the CryptoKeys its enrolment row still holds (docs/security.md#known-gaps).
 */
async function openDeviceKeys(vault: Vault): Promise<DevicePrivateKeys | null> {
  const secrets = await vault.loadDeviceSecrets();
  if (secrets) return importDevicePrivateKeys(secrets);
  const enrolment = await readEnrolment();
  return enrolment?.signingKey && enrolment.encryptionKey ? { signing: enrolment.signingKey, encryption: enrolment.encryptionKey } : null;
}

function recentDates(today: string): string[] {
  return datesUpTo(today, RECENT_RECORD_DAYS);
}

/** The rows of the recent days, today's last. */
async function loadRecentDays(vault: Vault, today: string) {
  const days = await Promise.all(recentDates(today).map((date) => vault.loadVisitsOn(date)));
  return { items: days.flatMap((d) => d.items), unreadable: days.reduce((n, d) => n + d.unreadable, 0) };
}

/**
 * A day's rows hold visits (at any site) and the outreach contacts and casework sessions this
 * device recorded; each row's first event says which it is. Visits are today's only.
 */
function splitDay(rows: VisitRecord[], today: string): Pick<Session, 'visits' | 'contacts'> {
  const visits: VisitRecord[] = [];
  const contacts: VisitRecord[] = [];
  for (const row of rows) {
    if (row.events[0]?.type !== 'visit.checkedIn') contacts.push(row);
    else if (row.date === today) visits.push(row);
  }
  return { visits, contacts };
}
