/**
 * Rotating the organisation key against the real endpoint (docs/security.md#rotating-the-organisation-key):
 * after the admin rotates from Settings, a tablet seals to the new key; a batch another tablet
 * sealed to the old key before it heard of the rotation, uploaded late, still counts once; the
 * admin's report opens both keys and counts everything exactly once; a second admin device gets
 * both keys; and a "new key" the organisation did not sign is set aside and never sealed to.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveKeys, readArchive } from '../../src/app/admin/archive/archiveReader.ts';
import { forgetOrgKey, unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { rotateOrgKey } from '../../src/app/admin/rotateOrgKey.ts';
import { recordDirectoryEvents } from '../../src/app/directory/directoryActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { announceOrgKey } from '../../src/crypto/authority.ts';
import { generateOrgKeyPair, sealedKeyId } from '../../src/crypto/envelope.ts';
import { keyId } from '../../src/crypto/orgKeyring.ts';
import { countRecords, resolveRecords } from '../../src/domain/counting.ts';
import type { EventOf } from '../../src/domain/events.ts';
import { updateMarks } from '../../src/app/core/marks.ts';
import type { EnrolmentOfEarlierBuilds } from '../../src/app/core/database.ts';
import { core, currentSession, enrolmentOf } from './helpers.ts';
import {
  PASSPHRASE,
  credentialsOf,
  isCurrent,
  joinDevice,
  newDevice,
  setUpOrganisationHere,
  startServer,
  storedCopies,
  syncUntilDone,
  use,
  type Device,
  type RunningServer,
} from './syncHarness.ts';

const WHOLE_TIME = { from: '2000-01-01', to: '2100-12-31' };

let server: RunningServer;
let client: SyncClient;
let recoveryCode: string;
let admin: Device;
let tablet: Device;
let lateTablet: Device;
let firstKid: string;
/** Every visit a device checked in, by id. */
const visits = new Set<string>();

const offline = () =>
  new SyncClient(server.url, async () => {
    throw new TypeError('offline');
  });

async function visitHere(): Promise<string> {
  const visit = await checkIn(core(), null, ['meal']);
  visits.add(visit);
  return visit;
}

/**
 * The organisation key a device seals to, from its sealed marks (as its unlocked core reads them);
 * the device is the current one after. Its enrolment row, readable on a locked copy, never holds it.
 */
async function sealingKeyOf(device: Device) {
  if (!isCurrent(device)) await use(device);
  const enrolment = await enrolmentOf(device.db);
  expect(enrolment && 'sealingKey' in enrolment, 'the key in the clear on the enrolment row').toBe(false);
  return (await core().enrolment())?.sealingKey;
}

/** The key id each stored batch's activity part names, as the server holds them. */
async function storedKids(): Promise<string[]> {
  const kids: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await client.archive(await credentialsOf(admin), after);
    if (page.kind !== 'ok') throw new Error(page.message);
    for (const item of page.value.items) kids.push(sealedKeyId(item.activity) ?? 'none');
    if (!page.value.next) return kids;
    after = page.value.next;
  }
}

/** The admin's archive as Reports read it: with the keys the passphrase unlocks on her device. */
async function adminArchive() {
  await use(admin);
  await syncUntilDone(admin, client);
  await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
  const keys = archiveKeys(core(), (await core().enrolment())!, core().orgKeys!);
  return { keys, archive: await readArchive(client, await credentialsOf(admin), keys) };
}

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
  admin = await newDevice('admin');
  recoveryCode = await setUpOrganisationHere(client);
  await syncUntilDone(admin, client);
  firstKid = await keyId((await enrolmentOf(admin.db))!.orgPublicKey);
  tablet = await joinDevice(admin, client, 'tablet');
  await syncUntilDone(tablet, client);
  lateTablet = await joinDevice(admin, client, 'late-tablet');
  await syncUntilDone(lateTablet, client);
});

afterAll(() => server?.dispose());

describe('rotating the organisation key', () => {
  it('before any rotation, records are sealed to the first key, named in their header', async () => {
    await use(tablet);
    await visitHere();
    await syncUntilDone(tablet, client);
    expect(new Set(await storedKids())).toEqual(new Set([firstKid]));
  });

  it('a tablet that has not heard of a rotation seals to the key it knows, and cannot upload yet', async () => {
    await use(lateTablet);
    await visitHere();
    const round = await syncRound(offline(), core());
    expect(round.stopped?.kind).toBe('unreachable');
    const [batch] = await lateTablet.db.batches.toArray();
    expect(sealedKeyId(batch!.activity)).toBe(firstKid);
  });

  it('needs the passphrase and the printed kit; a wrong code changes nothing', async () => {
    await use(admin);
    await expect(rotateOrgKey(core(), client, PASSPHRASE, 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF')).rejects.toMatchObject({ code: 'recovery_wrong' });
    await expect(rotateOrgKey(core(), client, 'not the passphrase at all', recoveryCode)).rejects.toMatchObject({ code: 'passphrase_wrong' });
    expect(await sealingKeyOf(admin)).toBeUndefined();
  });

  it('the admin rotates: her device seals to the new key at once, and a tablet does after its next sync', async () => {
    await use(admin);
    expect(await rotateOrgKey(core(), client, PASSPHRASE, recoveryCode.toLowerCase())).toBe(2);
    const rotated = (await sealingKeyOf(admin))!;
    expect(rotated).toMatchObject({ version: 2 });
    expect(rotated.kid).not.toBe(firstKid);
    // Her device holds both keys now, and the next batch it seals names the new one.
    expect([...core().orgKeys!.keys.keys()].sort()).toEqual([firstKid, rotated.kid].sort());

    await use(tablet);
    await syncUntilDone(tablet, client);
    expect(await sealingKeyOf(tablet)).toMatchObject({ version: 2, kid: rotated.kid });
    // Nothing of the announcement (it says when the key was rotated) is in the clear on a copy of the device.
    for (const table of tablet.db.tables) expect(JSON.stringify(await table.toArray()), table.name).not.toContain(rotated.announcement);
    await visitHere();
    await core().sealWaiting((await enrolmentOf(tablet.db))!);
    const [batch] = await tablet.db.batches.toArray();
    expect(sealedKeyId(batch!.activity)).toBe(rotated.kid);
    await syncUntilDone(tablet, client);
  });

  it('a device of an earlier build, its key in the clear, seals to it still, and has it sealed at the next unlock', async () => {
    await use(tablet);
    const held = (await sealingKeyOf(tablet))!;
    // As builds before the key was sealed left it: in the clear on the enrolment row, not in the marks.
    await updateMarks(tablet.db, core().keyring, ({ sealingKey: _s, ...marks }) => marks);
    const row = (await enrolmentOf(tablet.db))!;
    await tablet.db.device.put({ ...row, sealingKey: held } as EnrolmentOfEarlierBuilds);
    expect((await core().enrolment())?.sealingKey).toEqual(held);
    await use(tablet); // locked and unlocked again
    expect(await sealingKeyOf(tablet)).toEqual(held);
    await visitHere();
    await core().sealWaiting((await enrolmentOf(tablet.db))!);
    const [batch] = await tablet.db.batches.where('state').equals('pending').toArray();
    expect(sealedKeyId(batch!.activity)).toBe(held.kid);
    await syncUntilDone(tablet, client);
  });

  it('the late tablet’s old-key batch goes up when it is back online; what it records next is sealed to the new key', async () => {
    await use(lateTablet);
    await syncUntilDone(lateTablet, client);
    const newKid = (await sealingKeyOf(lateTablet))?.kid;
    expect(newKid).toBeDefined();
    await visitHere();
    await syncUntilDone(lateTablet, client);
    const kids = await storedKids();
    expect(kids.filter((k) => k === firstKid).length).toBeGreaterThanOrEqual(3); // set-up, the tablet's first, the late batch
    expect(kids).toContain(newKid);
  });

  it('the admin’s report opens both keys and counts every visit exactly once', async () => {
    const { keys, archive } = await adminArchive();
    expect(archive.unreadable).toEqual([]);
    const counted = resolveRecords(archive.events, currentSession().config).filter((r) => r.kind === 'visit');
    expect(counted.map((r) => r.id).sort()).toEqual([...visits].sort());
    expect(countRecords(counted, WHOLE_TIME).visits).toBe(visits.size);
    const copies = await storedCopies(client, await credentialsOf(admin), keys);
    for (const id of visits) expect(copies.get(id), `visit ${id} is stored once`).toBe(1);
  });

  it('a second admin device gets both keys with the passphrase, and seals to the new one from the start', async () => {
    const laptop = await joinDevice(admin, client, 'second-admin', { role: 'admin' });
    const admins = (await sealingKeyOf(admin))!;
    expect(await sealingKeyOf(laptop)).toMatchObject({ version: 2, kid: admins.kid });
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
    expect([...core().orgKeys!.keys.keys()].sort()).toEqual([firstKid, admins.kid].sort());
    forgetOrgKey(core());
  });

  it('a "new key" the organisation did not sign is set aside and shown, and no device seals to it', async () => {
    const roguePair = await generateOrgKeyPair();
    const rogueKid = await keyId(roguePair.publicJwk);
    const orgId = (await enrolmentOf(admin.db))!.orgId;
    // Signed by a key of its own, not the organisation's: once from the front desk, once even from the certified admin device.
    const forged = await announceOrgKey(roguePair.privateKey, { orgId, version: 99, publicKey: roguePair.publicJwk, issuedAt: new Date().toISOString() });
    const announce = async (): Promise<EventOf<'org.keyRotated'>> => {
      const event: EventOf<'org.keyRotated'> = { ...core().stamp(), type: 'org.keyRotated', announcement: forged };
      await recordDirectoryEvents(core(), [event]);
      return event;
    };
    await use(tablet);
    await announce();
    await syncUntilDone(tablet, client);
    await use(admin);
    await announce();
    await syncUntilDone(admin, client);

    for (const device of [tablet, lateTablet]) {
      await use(device);
      await syncUntilDone(device, client);
      const held = await sealingKeyOf(device);
      expect(held?.version).toBe(2);
      expect(held?.kid).not.toBe(rogueKid);
    }
    expect((await sealingKeyOf(admin))?.kid).not.toBe(rogueKid);
    const { archive } = await adminArchive();
    expect(archive.setAside).toContainEqual({ batchId: expect.any(String), deviceId: tablet.deviceId, reason: 'not_admin', events: 1 });
    expect(archive.setAside).toContainEqual({ batchId: expect.any(String), deviceId: admin.deviceId, reason: 'unsigned_key', events: 1 });
  });
});
