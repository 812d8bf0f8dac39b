/**
 * Everything a person can do, as functions the screens call. Each one writes to IndexedDB first
 * and updates the store only once the write has committed, so what the screen shows is saved.
 */
import { v7 as uuidv7 } from 'uuid';
import { createKeyring, unwrapRoot, wrapRoot } from '../crypto/keyring.ts';
import { defaultConfig, keyFromLabel, type OrgConfig } from '../domain/config.ts';
import { compareEvents, type EventOf, type FootfallEvent, type WomanDetails } from '../domain/events.ts';
import { localDateOf } from '../domain/time.ts';
import './zodConfig.ts';
import type { DeviceIdentity, Role, StaffRow } from './core/database.ts';
import { activeStaff, countUnsynced, currentLock, database } from './core/device.ts';
import type { Woman } from './core/rows.ts';
import { OPEN_LOCK, afterWrongPin, formatWait, pinProblem, waitRemaining, wrongPinMessage } from './lock/lockPolicy.ts';
import { patchSession as updateSession, requireSession as session, useFootfall, type Session } from './store.ts';
import { Vault, type VisitRecord } from './core/vault.ts';
import { visitView, type VisitView } from './frontDesk/visitView.ts';
import { importTeamKey } from '../crypto/envelope.ts';
import { canonicalId, directorySearchIndex, EMPTY_DIRECTORY_STATE, foldDirectory, type DirectoryChanges } from './directory/directory.ts';
import { newestTeamKey, readEnrolment } from './sync/engine.ts';
import { sealWaitingEvents } from './core/outbox.ts';

export interface SetupInput {
  deviceName: string;
  siteName: string;
  staffName: string;
  pin: string;
}

/**
 * First run on a new device. Everything set up here is kept when the device is later enrolled
 * with the organisation's server: the device id, the staff and every record made before.
 */
export async function setUpDevice(input: SetupInput): Promise<void> {
  const problem = pinProblem(input.pin);
  if (problem) throw new Error(problem);
  const keyring = await createKeyring();
  const staff: StaffRow = {
    id: uuidv7(),
    name: input.staffName.trim(),
    role: 'admin',
    wrappedRoot: { kdf: 'PBKDF2-SHA256', iterations: 0, salt: '', iv: '', ciphertext: '' },
  };
  staff.wrappedRoot = await wrapRoot(keyring, input.pin, staff.id);
  const site = { key: keyFromLabel(input.siteName), name: input.siteName.trim() };
  const identity: DeviceIdentity = {
    key: 'identity',
    deviceId: uuidv7(),
    deviceName: input.deviceName.trim(),
    siteKey: site.key,
  };
  const db = database();
  const vault = new Vault(db, keyring);
  await vault.commit([], { config: defaultConfig(site) });
  // The identity row is written last: until it exists, the device counts as not set up.
  await db.transaction('rw', [db.staff, db.device], async () => {
    await db.staff.put(staff);
    await db.device.put(OPEN_LOCK);
    await db.device.put(identity);
  });
  useFootfall.setState({ identity, staff: [staff], lock: OPEN_LOCK });
  await openSession(vault, staff);
}

export type UnlockResult = { ok: true } | { ok: false; message: string };

export async function unlock(staffId: string, pin: string): Promise<UnlockResult> {
  const lock = await currentLock();
  const now = Date.now();
  const wait = waitRemaining(lock, now);
  if (wait > 0) return { ok: false, message: `Too many wrong PINs. Wait ${formatWait(wait)} before trying again.` };
  const staff = (await activeStaff()).find((s) => s.id === staffId);
  if (!staff) return { ok: false, message: 'Choose your name first.' };
  if (lock.held && staff.role !== 'admin') {
    return { ok: false, message: 'This device is locked after too many wrong PINs. An admin must unlock it with her PIN.' };
  }
  const keyring = await unwrapRoot(staff.wrappedRoot, pin, staff.id);
  if (!keyring) {
    const next = afterWrongPin(lock, Date.now());
    await database().device.put(next);
    useFootfall.setState({ lock: next });
    return { ok: false, message: wrongPinMessage(next, Date.now()) };
  }
  await database().device.put(OPEN_LOCK);
  useFootfall.setState({ lock: OPEN_LOCK });
  await openSession(new Vault(database(), keyring), staff);
  return { ok: true };
}

/** Drops every key and decrypted record from memory and shows the lock screen. */
/** Locks at once; the promise settles when the keys have been dropped. */
export function lock(): Promise<void> {
  const { phase } = useFootfall.getState();
  if (phase.kind !== 'unlocked') return Promise.resolve();
  const { vault, teamKeys } = phase.session;
  useFootfall.setState({ phase: { kind: 'locked' } });
  // The screen is locked at once. What was saved is sealed for upload first, so it can sync
  // while the device stays locked; then the last reference to the keys goes.
  return sealForUpload(vault, teamKeys)
    .catch(() => undefined) // it is sealed at the next unlock instead
    .finally(() => vault.keyring.root.fill(0));
}

async function sealForUpload(vault: Vault, teamKeys: ReadonlyMap<number, CryptoKey>): Promise<void> {
  const enrolment = await readEnrolment(vault.db);
  if (enrolment && teamKeys.size) await sealWaitingEvents(vault.db, vault.keyring, enrolment, newestTeamKey(teamKeys));
}

async function openSession(vault: Vault, staff: StaffRow): Promise<void> {
  const config = await vault.loadConfig();
  const women = await vault.loadWomen();
  const byId = new Map(women.items.map((w) => [w.id, w]));
  const today = localDateOf(Date.now(), config.timeZone);
  const day = await vault.loadVisitsOn(today);
  const team = await vault.loadTeamKeys();
  const session: Session = {
    vault,
    staff,
    config,
    women: byId,
    searchIndex: directorySearchIndex(byId),
    today,
    ...splitDay(day.items),
    teamKeys: new Map(await Promise.all((team?.keys ?? []).map(async (k) => [k.version, await importTeamKey(k.raw)] as const))),
    unreadable: women.unreadable + day.unreadable,
  };
  useFootfall.setState({ phase: { kind: 'unlocked', session }, unsynced: await countUnsynced() });
}

let writes: Promise<unknown> = Promise.resolve();

/**
 * Saves run one at a time, each starting from the state the one before it left, so two quick
 * taps can never write a visit row that misses the other's events.
 */
export function serially<T>(work: () => Promise<T>): Promise<T> {
  const next = writes.then(work, work);
  writes = next.catch(() => undefined);
  return next;
}


/** The fields every event carries: a fresh UUIDv7, device time, this device, this person. */
export function stamp(s: Session): { id: string; at: string; deviceId: string; staffId: string } {
  const identity = useFootfall.getState().identity;
  if (!identity) throw new Error('This device is not set up.');
  return { id: uuidv7(), at: new Date().toISOString(), deviceId: identity.deviceId, staffId: s.staff.id };
}

/**
 * A day's rows hold visits (at any site) and the outreach contacts and casework sessions this
 * device recorded; each row's first event says which it is.
 */
function splitDay(rows: VisitRecord[]): Pick<Session, 'visits' | 'contacts'> {
  const visits: VisitRecord[] = [];
  const contacts: VisitRecord[] = [];
  for (const row of rows) (row.events[0]?.type === 'visit.checkedIn' ? visits : contacts).push(row);
  return { visits, contacts };
}

/** Reloads today's records when the local date has changed since they were loaded. */
export async function currentDay(): Promise<Session> {
  const s = session();
  const today = localDateOf(Date.now(), s.config.timeZone);
  if (today === s.today) return s;
  const day = await s.vault.loadVisitsOn(today);
  updateSession({ today, ...splitDay(day.items), unreadable: s.unreadable + day.unreadable });
  return session();
}

export function registerWoman(knownAs: string, details: WomanDetails): Promise<Woman> {
  return serially(() => registerNow(knownAs, details));
}

async function registerNow(knownAs: string, details: WomanDetails): Promise<Woman> {
  const base = stamp(session());
  const event: EventOf<'woman.registered'> = { ...base, type: 'woman.registered', womanId: base.id, knownAs: knownAs.trim(), details };
  // Folded like every directory event, so her entry says what the reports will say.
  await foldIntoDirectory([event], [event]);
  await refreshUnsynced();
  return session().women.get(event.womanId)!;
}

/**
 * Directory events other devices recorded, pulled by sync. They change the entries this device
 * shows (and its configuration, when a newer one is shared); they are not this device's events,
 * so they are not added to its outbox.
 */
export function applyDirectory(events: FootfallEvent[]): Promise<void> {
  return serially(() => foldIntoDirectory(events, []));
}

/**
 * This device's own directory events (a merge, an erasure, a shared configuration): saved for
 * upload and applied to the directory here in one transaction.
 */
export function recordDirectoryEvents(events: FootfallEvent[]): Promise<void> {
  return serially(async () => {
    await foldIntoDirectory(events, events);
    await refreshUnsynced();
  });
}

async function foldIntoDirectory(events: FootfallEvent[], own: FootfallEvent[], check?: (result: DirectoryChanges) => void): Promise<void> {
  const s = session();
  const state = (await s.vault.loadDirectoryState()) ?? EMPTY_DIRECTORY_STATE;
  const result = foldDirectory(s.women, state, events);
  check?.(result);
  if (!result.changed && !own.length) return;
  await s.vault.commit(own, {
    women: result.put,
    removeWomen: result.removed,
    directory: result.state,
    ...(result.config && { config: result.config }),
  });
  updateSession({ women: result.women, searchIndex: directorySearchIndex(result.women), ...(result.config && { config: result.config }) });
}

/** Visit rows of other days whose events the server now holds are no longer kept here. */
export function pruneSynced(): Promise<void> {
  return serially(async () => {
    const s = session();
    await s.vault.pruneVisitsExcept(s.today);
  });
}

// Today's visits resolved once per change of the list, not once per search result per keystroke.
const resolvedVisits = new WeakMap<VisitRecord[], VisitView[]>();

/** Today's visit of this woman (or an entry merged with hers) at this device's site, if she already has one. */
export function todaysVisitOf(s: Session, womanId: string): VisitView | undefined {
  let views = resolvedVisits.get(s.visits);
  if (!views) resolvedVisits.set(s.visits, (views = s.visits.map((v) => visitView(v, s.config))));
  const siteKey = useFootfall.getState().identity?.siteKey;
  // Any entry of her merged group counts as her: a merge must not let the desk open a second visit.
  const woman = canonicalId(s.women, womanId);
  return views.find((v) => !v.voided && v.womanId !== null && canonicalId(s.women, v.womanId) === woman && v.siteId === siteKey);
}

/**
 * Checks a woman in (womanId null for an anonymous visit). A woman already checked in today at
 * this site gets the services added to that visit instead: one woman, one site, one day, one visit.
 */
export function checkIn(womanId: string | null, services: string[]): Promise<string> {
  return serially(() => checkInNow(womanId, services));
}

async function checkInNow(womanId: string | null, services: string[]): Promise<string> {
  const s = await currentDay();
  const existing = womanId ? todaysVisitOf(s, womanId) : undefined;
  if (existing) {
    await setServicesNow(existing.id, [...new Set([...existing.services, ...services])]);
    return existing.id;
  }
  const base = stamp(s);
  const siteId = useFootfall.getState().identity!.siteKey;
  const event: EventOf<'visit.checkedIn'> = { ...base, type: 'visit.checkedIn', occurredAt: base.at, womanId, siteId, services };
  await saveVisit({ id: event.id, date: s.today, events: [event] }, [event]);
  return event.id;
}

/** Changes a visit's services to exactly `services`, as added and removed events. */
export function setServices(visitId: string, services: string[]): Promise<void> {
  return serially(() => setServicesNow(visitId, services));
}

async function setServicesNow(visitId: string, services: string[]): Promise<void> {
  const s = session();
  const { record, view } = findVisit(s, visitId);
  const wanted = new Set(services);
  const events: FootfallEvent[] = [];
  for (const service of wanted) {
    if (!view.services.includes(service)) events.push({ ...stamp(s), type: 'visit.serviceAdded', visitId, service });
  }
  for (const service of view.services) {
    if (!wanted.has(service)) events.push({ ...stamp(s), type: 'visit.serviceRemoved', visitId, service });
  }
  if (events.length) await saveVisit({ ...record, events: [...record.events, ...events] }, events);
}

export interface VisitCorrection {
  womanId?: string | null;
  siteId?: string;
  occurredAt?: string;
}

export function correctVisit(visitId: string, changes: VisitCorrection, reason: string): Promise<void> {
  return serially(async () => {
    const s = session();
    const { record } = findVisit(s, visitId);
    const event: EventOf<'record.corrected'> = { ...stamp(s), type: 'record.corrected', targetId: visitId, changes, reason };
    const events = [...record.events, event];
    const date = visitView({ ...record, events }, s.config).date;
    await saveVisit({ id: visitId, date, events }, [event]);
  });
}

export function voidVisit(visitId: string, reason: string): Promise<void> {
  return serially(async () => {
    const s = session();
    const { record } = findVisit(s, visitId);
    const event: EventOf<'record.voided'> = { ...stamp(s), type: 'record.voided', targetId: visitId, reason };
    await saveVisit({ ...record, events: [...record.events, event] }, [event]);
  });
}

function findVisit(s: Session, visitId: string): { record: VisitRecord; view: VisitView } {
  const record = s.visits.find((v) => v.id === visitId);
  if (!record) throw new Error('That visit is no longer on today’s list. Reopen Today and try again.');
  return { record, view: visitView(record, s.config) };
}

function saveVisit(record: VisitRecord, events: FootfallEvent[]): Promise<void> {
  return saveDayRecord('visits', record, events);
}

/**
 * Saves a record's row with its new events in one transaction, then shows it on today's list
 * (`visits`, or `contacts` for outreach contacts and casework sessions) if it belongs to today.
 */
export async function saveDayRecord(list: 'visits' | 'contacts', record: VisitRecord, events: FootfallEvent[]): Promise<void> {
  const s = session();
  await s.vault.commit(events, { visits: [record] });
  const others = s[list].filter((v) => v.id !== record.id);
  updateSession({ [list]: record.date === s.today ? [...others, record] : others });
  await refreshUnsynced();
}

/**
 * Saves the organisation's configuration. On the organisation's admin device it is also shared:
 * an org.configured event reaches every enrolled device, where the newest one wins. Another
 * enrolled device takes its lists from the organisation, so they are not changed there.
 */
export function saveConfig(config: OrgConfig): Promise<void> {
  return serially(async () => {
    requireAdmin();
    const s = session();
    const enrolment = await readEnrolment(s.vault.db);
    if (!enrolment) {
      await s.vault.commit([], { config });
      updateSession({ config });
      return;
    }
    if (enrolment.role !== 'admin') throw new Error(NOT_THE_ADMIN_DEVICE);
    const event: EventOf<'org.configured'> = { ...stamp(s), type: 'org.configured', config };
    await foldIntoDirectory([event], [event], (result) => {
      // Latest wins everywhere: a save stamped before the settings already shared would be ignored.
      if (result.state.configChange?.id !== event.id) throw new Error(CLOCK_BEHIND);
    });
    await refreshUnsynced();
  });
}

export const NOT_THE_ADMIN_DEVICE =
  'This device takes the organisation’s settings from the admin’s device. Change them there; they reach this device when it syncs.';
const CLOCK_BEHIND =
  'This device’s clock is behind the settings last shared with the organisation, so the change would be ignored. Set the clock right, then save again.';

export async function addStaff(name: string, role: Role, pin: string): Promise<void> {
  requireAdmin();
  const problem = pinProblem(pin);
  if (problem) throw new Error(problem);
  const s = session();
  const id = uuidv7();
  const staff: StaffRow = { id, name: name.trim(), role, wrappedRoot: await wrapRoot(s.vault.keyring, pin, id) };
  await database().staff.put(staff);
  useFootfall.setState({ staff: await activeStaff() });
}

/** Her PIN stops working on this device at once; what she recorded stays. */
export async function removeStaff(staffId: string): Promise<void> {
  requireAdmin();
  const s = session();
  if (staffId === s.staff.id) throw new Error('You cannot remove yourself. Ask another admin.');
  const staff = await database().staff.get(staffId);
  if (!staff) return;
  await database().staff.put({ ...staff, removed: true, wrappedRoot: { ...staff.wrappedRoot, ciphertext: '' } });
  useFootfall.setState({ staff: await activeStaff() });
}

/**
 * An admin sets a new PIN for a staff member who forgot hers: the device's keys are wrapped
 * again under the new PIN, replacing the old wrap, so the old PIN stops working at once.
 */
export async function resetPin(staffId: string, pin: string): Promise<void> {
  requireAdmin();
  const problem = pinProblem(pin);
  if (problem) throw new Error(problem);
  const staff = await database().staff.get(staffId);
  if (!staff || staff.removed) throw new Error('That staff member is no longer on this device. Reopen Settings and try again.');
  await database().staff.put({ ...staff, wrappedRoot: await wrapRoot(session().vault.keyring, pin, staff.id) });
  useFootfall.setState({ staff: await activeStaff() });
}

export async function setDeviceSite(siteKey: string): Promise<void> {
  requireAdmin();
  const identity = useFootfall.getState().identity;
  if (!identity) return;
  const next = { ...identity, siteKey };
  await database().device.put(next);
  useFootfall.setState({ identity: next });
}

function requireAdmin(): void {
  if (session().staff.role !== 'admin') throw new Error('Only an admin can change settings.');
}

async function refreshUnsynced(): Promise<void> {
  useFootfall.setState({ unsynced: await countUnsynced() });
}
