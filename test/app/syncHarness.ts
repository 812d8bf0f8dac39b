/**
 * What the sync tests share: the real endpoint (Fastify + SQLite) on a real port, devices as the
 * app runs them (fake-indexeddb + the app's own actions), a ledger of every event any device
 * saved, and the admin's reading of the archive that the invariant of docs/sync.md#the-invariant is checked on.
 *
 * The app keeps one store per page, so one device at a time is "the app" in this process:
 * `use(device)` locks the current one and unlocks another, as switching tablets would.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { ArchiveKeys } from '../../src/app/admin/archive/archiveReader.ts';
import { applyDirectory, registerWoman } from '../../src/app/directory/directoryActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { finishJoin, lock, unlock } from '../../src/app/lock/access.ts';
import { addPerson } from '../../src/app/people/peopleActions.ts';
import type { FootfallDb } from '../../src/app/core/database.ts';
import { uploadKeys } from '../../src/app/core/uploadSigner.ts';
import { SyncClient, type DeviceCredentials } from '../../src/app/sync/client.ts';
import { claimJoin, createEnrolmentCode, createOrganisation, prepareOrganisation, type DevicePlan } from '../../src/app/sync/organisation.ts';
import { syncRound, type RoundResult } from '../../src/app/sync/engine.ts';
import { useFootfall } from '../../src/app/store.ts';
import { bytesJson, openWithTeamKey } from '../../src/crypto/envelope.ts';
import { keyId, openOnly, openWithOrgKeys, unwrapEach, type OrgKeyring } from '../../src/crypto/orgKeyring.ts';
import { readPart } from '../../src/crypto/authority.ts';
import { FootfallEvent } from '../../src/domain/events.ts';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import type { Storage } from '../../src/server/storage/types.ts';
import { ADMIN_PIN, DESK_PIN, bootFresh, enrolmentOf, readEvents, setUpFresh, core } from './helpers.ts';

export const PASSPHRASE = 'correct horse battery staple';

/** The endpoint as a process: it can be closed politely, or killed. */
export interface RunningServer {
  app: FastifyInstance;
  /** The storage the server owns, open on `dataDir`: spy on it to fail or kill at an exact point. */
  storage: Storage;
  url: string;
  port: number;
  dataDir: string;
  /**
   * The process dies: every connection is cut where it stands (a request being handled gets no
   * answer) and nothing more is accepted. Its SQLite file is left as a crash leaves it.
   */
  kill(): void;
  close(): Promise<void>;
  /** Closes it and removes its data folder: the end of a test file. */
  dispose(): Promise<void>;
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'footfall-sync-'));
}

/** Starts the endpoint on `dataDir` (a fresh folder by default), on `port` (any free one by default). */
export async function startServer(dataDir = newDataDir(), port = 0): Promise<RunningServer> {
  const storage = await openSqliteStorage(dataDir);
  const app = await buildServer(
    { port, host: '127.0.0.1', staticDir: resolve('dist'), dataDir },
    { storage, limits: { perDevicePerMinute: 100_000, enrolPerMinute: 1_000 } },
  );
  // The port a killed server held is free at once, but give the kernel a moment if it is not.
  for (let attempt = 0; ; attempt++) {
    try {
      await app.listen({ port, host: '127.0.0.1' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const bound = (app.server.address() as { port: number }).port;
  let killed = false;
  const close = async () => {
    if (killed) await storage.close();
    else await app.close();
  };
  return {
    app,
    storage,
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    dataDir,
    kill() {
      killed = true;
      app.server.close();
      app.server.closeAllConnections();
    },
    close,
    async dispose() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Who unlocks a device in these tests. */
export interface Unlocker {
  name: string;
  pin: string;
}

/** A device as the app runs it: its database, its id, who unlocks it, and what its unlocked session lends a round. */
export interface Device {
  db: FootfallDb;
  deviceId: string;
  person: Unlocker;
  saved: FootfallEvent[];
}

/** Switches the (single) app in this process to a device, unlocked by its person. */
export async function use(device: Device): Promise<void> {
  const { boot } = await import('../../src/app/core/device.ts');
  if (useFootfall.getState().phase.kind === 'unlocked') await lock();
  await boot(device.db);
  const staff = useFootfall.getState().staff.find((s) => s.name === device.person.name);
  expect(staff, `${device.person.name} is on this device’s lock screen`).toBeDefined();
  expect(await unlock(staff!.id, device.person.pin)).toMatchObject({ ok: true });
}

/**
 * Sets the organisation up on the current device, which becomes its admin device, as the admin
 * does in Settings (the kit's code typed back at once). Returns the recovery code.
 */
export async function setUpOrganisationHere(client: SyncClient): Promise<string> {
  const pending = await prepareOrganisation(core(), PASSPHRASE, PASSPHRASE);
  await createOrganisation(core(), client, pending, pending.recoveryCode);
  return pending.recoveryCode;
}

/** Whether `device` is the one the app is running now (unlocked). */
export function isCurrent(device: Device): boolean {
  return useFootfall.getState().phase.kind === 'unlocked' && useFootfall.getState().identity?.deviceId === device.deviceId;
}

/** The admin's laptop before it sets the organisation up: set up through the real first-run action, the current device, unlocked by Grace. */
export async function newDevice(prefix: string): Promise<Device> {
  const db = await setUpFresh(prefix);
  return { db, deviceId: useFootfall.getState().identity!.deviceId, person: { name: 'Grace', pin: ADMIN_PIN }, saved: [] };
}

/** A person the admin added, with the personal code she was given on paper. */
export interface Member {
  personId: string;
  name: string;
  code: string;
}

let members = 0;

/** On the admin's device (the current one): adds a person who works in `role` at any site. */
export async function addMember(role: DevicePlan['role'], name = `Volunteer ${++members}`): Promise<Member> {
  const { personId, code } = await addPerson(core(), { name, roles: [role], sites: null });
  return { personId, name, code };
}

/**
 * A new device joining with the admin's `code` (docs/security.md#joining), as a newcomer does:
 * `member` sets her PIN with her personal code. It is the current device after, unlocked by her.
 */
export async function joinWith(client: SyncClient, code: string, member: Member, prefix: string): Promise<Device> {
  const db = await bootFresh(prefix);
  const offer = await claimJoin(client, code);
  await finishJoin(offer, { personId: member.personId, code: member.code, pin: DESK_PIN });
  return { db, deviceId: offer.deviceId, person: { name: member.name, pin: DESK_PIN }, saved: [] };
}

/**
 * The whole of joining a device: on `admin`, a person for it (synced, and kept in `ledger` when
 * given) and a code for the device as planned (front desk at any site unless told), with its
 * signed invitation; then the new device joins and she sets her PIN.
 */
export async function joinDevice(admin: Device, client: SyncClient, prefix: string, plan: Partial<DevicePlan> & { ledger?: Ledger } = {}): Promise<Device> {
  if (!isCurrent(admin)) await use(admin);
  const role = plan.role ?? 'frontDesk';
  const member = await addMember(role);
  const { code } = await createEnrolmentCode(core(), client, { name: plan.name ?? 'New device', role, siteKey: plan.siteKey ?? null });
  // The person, and the signed invitation the code carries, reach the server before the device joins.
  await plan.ledger?.collect(admin);
  await syncUntilDone(admin, client);
  return joinWith(client, code, member, prefix);
}

/**
 * Every event any device has saved, synced or not, keyed by id. Events leave a device once the
 * server acknowledges them, so the ledger is read (collect) before the outbox lets them go.
 */
export class Ledger extends Map<string, FootfallEvent> {
  /** Reads every event on `device` (the current one) into the ledger; returns all of its events so far. */
  async collect(device: Device): Promise<FootfallEvent[]> {
    for (const e of await readEvents(device.db, core().keyring)) this.set(e.id, e);
    return [...this.values()].filter((e) => e.deviceId === device.deviceId);
  }
}

/** Records a morning at the desk on the current device, remembering every event it saved. */
export async function recordSome(ledger: Ledger, device: Device, names: string[]): Promise<void> {
  for (const name of names) {
    const w = await registerWoman(core(), name, {});
    await checkIn(core(), w.id, ['meal']);
    await checkIn(core(), w.id, ['shower']); // the same visit: adds a service
  }
  await checkIn(core(), null, ['laundry']);
  device.saved = await ledger.collect(device);
}

/** Nothing of this device's is waiting: no event kept, no batch pending or set aside. */
export async function waiting(device: Device): Promise<{ events: number; batches: number }> {
  return { events: await device.db.outbox.count(), batches: await device.db.batches.count() };
}

/** Sync rounds until nothing is waiting (or a round limit, so a bug cannot hang the test). */
export async function syncUntilDone(device: Device, client: SyncClient, rounds = 30): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  for (let i = 0; i < rounds; i++) {
    results.push(await syncRound(client, core()));
    const left = await waiting(device);
    if (left.events === 0 && left.batches === 0) return results;
  }
  throw new Error(`still waiting after ${rounds} rounds: ${JSON.stringify(await waiting(device))}`);
}

/** The signing credentials of a device, as its rounds use them (its key as opened when it was last unlocked). */
export async function credentialsOf(device: Device): Promise<DeviceCredentials> {
  const enrolment = await enrolmentOf(device.db);
  const signingKey = uploadKeys(device.deviceId)?.signing ?? enrolment?.signingKey;
  if (!enrolment || !signingKey) throw new Error('not enrolled');
  return { orgId: enrolment.orgId, deviceId: device.deviceId, signingKey };
}


/** What opens the archive on `admin` (the current device) once its organisation key is unwrapped. */
export async function archiveKeysOf(admin: Device, orgKeys: OrgKeyring): Promise<ArchiveKeys> {
  const enrolment = await core().enrolment();
  if (!enrolment) throw new Error('not enrolled');
  return { orgKeys, teamKeys: core().teamKeys, orgId: enrolment.orgId, orgPublicKey: enrolment.orgPublicKey, authoritySince: enrolment.authoritySince ?? null };
}

/**
 * What the admin does to open the archive: fetch the organisation keys' wrapped copies from the
 * server and unwrap the passphrase ones (the first key and any made by a rotation). The admin's
 * device must be the current one.
 */
export async function organisationKey(client: SyncClient, admin: Device, passphrase = PASSPHRASE): Promise<OrgKeyring> {
  const creds = await credentialsOf(admin);
  const outcome = await client.adminKeys(creds);
  if (outcome.kind !== 'ok') throw new Error(`admin keys: ${outcome.message}`);
  const enrolment = await enrolmentOf(admin.db);
  const wrapped = outcome.value.keys.filter((k) => k.kind === 'passphrase').map((k) => k.wrapped);
  const ring = enrolment && (await openOnly(await unwrapEach(wrapped, passphrase), await keyId(enrolment.orgPublicKey)));
  if (!ring) throw new Error('the passphrase did not unwrap the organisation key');
  return ring;
}

/**
 * How many times each event is held by the batches the server stored, counting every copy (the
 * archive reader keeps one of each; this shows whether the server holds any event twice).
 * Batches that cannot be opened are skipped; readArchive reports them.
 */
export async function storedCopies(client: SyncClient, creds: DeviceCredentials, keys: ArchiveKeys): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  const count = async (opened: Promise<Uint8Array>) => {
    const bytes = await opened.catch(() => null);
    if (!bytes) return;
    const { plaintext } = await readPart(keys.orgPublicKey, keys.orgId, bytes);
    const parsed = FootfallEvent.array().safeParse(bytesJson(plaintext));
    if (parsed.success) for (const e of parsed.data) copies.set(e.id, (copies.get(e.id) ?? 0) + 1);
  };
  for (let after: string | null = null; ; ) {
    const page = await client.archive(creds, after);
    if (page.kind !== 'ok') throw new Error(page.message);
    for (const item of page.value.items) await count(openWithOrgKeys(keys.orgKeys, item.activity));
    if (!page.value.next) break;
    after = page.value.next;
  }
  for (let after: string | null = null; ; ) {
    const page = await client.directory(creds, after);
    if (page.kind !== 'ok') throw new Error(page.message);
    for (const item of page.value.items) await count(openWithTeamKey(keys.teamKeys, item.directory));
    if (!page.value.next) break;
    after = page.value.next;
  }
  return copies;
}
