/**
 * Parts signed by the device that sealed them, against the real endpoint
 * (docs/security.md#device-signed-parts): anyone who knows the organisation's public key (the
 * server included) can seal a part and store it as a device's upload, but the admin's device
 * counts a record only when its part was signed by the key an admin signed for that device. What
 * fails is set aside as `unsigned_part`, shown by device, never counted, and blocks nothing after it.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHistory, refreshArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { eraseWoman } from '../../src/app/admin/care/careActions.ts';
import { unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { signDevicePart, type DeviceSigner } from '../../src/crypto/authority.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { EventOf } from '../../src/domain/events.ts';
import { core, currentSession, enrolmentOf, readEvents } from './helpers.ts';
import { PASSPHRASE, credentialsOf, joinDevice, newDevice, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
let client: SyncClient;
let admin: Device;
let tablet: Device;
let other: Device;
let dropIn: string;
let nextSeq = 50_000;

/** What the admin's reports count now, and how many records they set aside per reason for `deviceId`. */
async function counted(deviceId: string) {
  await use(admin);
  await syncUntilDone(admin, client);
  if (!core().orgKeys) await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
  await refreshArchive(core(), undefined, { client });
  const { events, summary } = await loadHistory(core());
  const setAside = new Map<string, number>();
  for (const s of summary.setAside) if (s.deviceId === deviceId) setAside.set(s.reason, (setAside.get(s.reason) ?? 0) + s.events);
  return { ids: events.map((e) => e.id), setAside };
}

/** A visit at the drop-in as the current device would save it, by whoever is signed in; not saved. */
function visit(): EventOf<'visit.checkedIn'> {
  const stamp = core().stamp();
  return { ...stamp, type: 'visit.checkedIn', occurredAt: stamp.at, womanId: null, siteId: dropIn, services: ['meal'] };
}

/** Uploads, as `device` (its own signed request: what the server could store in its name), a batch whose activity part is `plain` sealed to the organisation. */
async function uploadAs(device: Device, plain: Uint8Array): Promise<void> {
  const { orgPublicKey } = (await enrolmentOf(device.db))!;
  const upload = { seq: nextSeq++, activity: await sealTo(orgPublicKey, plain), directory: await sealWithTeamKey(core().newestTeamKey(), jsonBytes([])) };
  expect((await client.putBatch(await credentialsOf(device), crypto.randomUUID(), upload)).kind).toBe('ok');
}

/** The current device's own part signer, as its outbox signs. */
async function ownSigner(device: Device): Promise<DeviceSigner> {
  const enrolment = (await enrolmentOf(device.db))!;
  return { key: core().deviceKeys().signing, publicKey: enrolment.signingPublicKey!, orgId: enrolment.orgId, deviceId: device.deviceId };
}

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
  admin = await newDevice('admin');
  await setUpOrganisationHere(client);
  dropIn = currentSession().config.sites[0]!.key;
  await syncUntilDone(admin, client);
  other = await joinDevice(admin, client, 'other-desk', { role: 'frontDesk', siteKey: dropIn });
  tablet = await joinDevice(admin, client, 'desk', { role: 'frontDesk', siteKey: dropIn });
}, 120_000);

afterAll(() => server?.dispose());

describe('parts signed by their device', () => {
  it('sets aside records in the name of a signed device that it did not sign, counts its own once, and reads on past them', async () => {
    // Honest records of both tablets, sealed and signed by their outboxes.
    await use(other);
    const otherOwn = visit();
    await core().save([otherOwn], {});
    const otherSigner = await ownSigner(other);
    await syncUntilDone(other, client);

    await use(tablet);
    const before = visit();
    await core().save([before], {});
    await syncUntilDone(tablet, client);

    // (a) Sealed to the organisation's key with no device signature, stored as the tablet's upload.
    const unsigned = visit();
    await uploadAs(tablet, jsonBytes([unsigned]));
    // (a) Signed by a key of the forger's own, naming itself: a valid signature, by a key no admin signed for.
    const stranger = await generateDeviceKeys();
    const byStranger = visit();
    const strangerSigner = { key: stranger.signing.privateKey, publicKey: await publicJwk(stranger.signing.publicKey), orgId: otherSigner.orgId, deviceId: tablet.deviceId };
    await uploadAs(tablet, await signDevicePart(strangerSigner, jsonBytes([byStranger])));
    // (a) Naming the tablet's own key, signed by another: the signature does not hold.
    const misnamed = visit();
    await uploadAs(tablet, await signDevicePart({ ...strangerSigner, publicKey: (await ownSigner(tablet)).publicKey }, jsonBytes([misnamed])));
    // (b) Signed by the other tablet's real key, in this tablet's name and in its own.
    const byOther = visit();
    await uploadAs(tablet, await signDevicePart({ ...otherSigner, deviceId: tablet.deviceId }, jsonBytes([byOther])));
    const otherPart = visit();
    await uploadAs(tablet, await signDevicePart(otherSigner, jsonBytes([otherPart])));
    // (d) The tablet's genuine signature, copied onto another part.
    const genuine = utf8.decode(await signDevicePart(await ownSigner(tablet), jsonBytes([visit()])));
    const moved = visit();
    const [header, , signature] = genuine.split('.');
    await uploadAs(tablet, utf8.encode([header, Buffer.from(jsonBytes([moved])).toString('base64url'), signature].join('.')));

    // (c) What it records after all of them still counts.
    const after = visit();
    await core().save([after], {});
    await syncUntilDone(tablet, client);

    const forged = [unsigned, byStranger, misnamed, byOther, otherPart, moved];
    const { ids, setAside } = await counted(tablet.deviceId);
    for (const e of forged) expect(ids.includes(e.id), `${forged.indexOf(e)} is not counted`).toBe(false);
    for (const e of [before, after, otherOwn]) expect(ids.filter((id) => id === e.id), 'counted exactly once').toHaveLength(1);
    expect(setAside.get('unsigned_part')).toBe(forged.length);
    expect([...setAside.keys()]).toEqual(['unsigned_part']);
  }, 180_000);

  it('keeps counting the honest records, and only them, when the archive is read again from the start', async () => {
    await use(admin);
    if (!core().orgKeys) await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
    await refreshArchive(core(), undefined, { client, fromStart: true });
    const { events, summary } = await loadHistory(core());
    const fromTablet = events.filter((e) => e.deviceId === tablet.deviceId && e.type === 'visit.checkedIn');
    expect(fromTablet).toHaveLength(2);
    expect(summary.setAside.filter((s) => s.reason === 'unsigned_part').reduce((n, s) => n + s.events, 0)).toBe(6);
  }, 120_000);

  it('an erasure’s compaction never re-signs, as the admin’s, records from a part their device did not sign', async () => {
    // A woman registered on the tablet, and a batch in its name pairing a copy of her registration
    // (which makes a compaction replace the batch) with a visit the tablet never made.
    await use(tablet);
    const woman = await registerWoman(core(), 'Erin Erased', {});
    const registered = (await readEvents(tablet.db, core().keyring)).find((e) => e.type === 'woman.registered' && e.womanId === woman.id)!;
    await syncUntilDone(tablet, client);
    const forged = visit();
    const { orgPublicKey } = (await enrolmentOf(tablet.db))!;
    const upload = { seq: nextSeq++, activity: await sealTo(orgPublicKey, jsonBytes([forged])), directory: await sealWithTeamKey(core().newestTeamKey(), jsonBytes([registered])) };
    expect((await client.putBatch(await credentialsOf(tablet), crypto.randomUUID(), upload)).kind).toBe('ok');

    expect((await counted(tablet.deviceId)).ids).not.toContain(forged.id);
    await eraseWoman(core(), client, woman.id, 'Erin Erased');
    const after = await counted(tablet.deviceId);
    expect(after.ids).not.toContain(forged.id);
    await refreshArchive(core(), undefined, { client, fromStart: true });
    expect((await loadHistory(core())).events.map((e) => e.id)).not.toContain(forged.id);
  }, 180_000);
});
