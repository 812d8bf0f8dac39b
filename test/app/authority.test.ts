/**
 * Signed authority against the real endpoint (docs/security.md#authority): an enrolled device
 * that is not a certified admin's cannot change what everyone sees, whatever it uploads. Each
 * attack is made the way a rogue device (or a copy of one, running altered code) would make it:
 * its own outbox, its own signed uploads, accepted by the endpoint; then every other device and
 * the admin's archive are checked.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { readArchive } from '../../src/app/admin/archive/archiveReader.ts';
import { mergeWomen } from '../../src/app/admin/care/careActions.ts';
import { unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { recordDirectoryEvents, registerWoman } from '../../src/app/directory/directoryActions.ts';
import { saveConfig } from '../../src/app/settings/settingsActions.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { createEnrolmentCode, revokeDevice, rotateTeamKey, rotationDue } from '../../src/app/sync/organisation.ts';
import { waitingRecordsFile } from '../../src/app/sync/recordsFile.ts';
import { importRecordsFile } from '../../src/app/admin/import/recordsFileImport.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { recordsFileClaims, signRecordsFile } from '../../src/crypto/authority.ts';
import { enrolmentKeys } from '../../src/crypto/enrolmentCode.ts';
import { generateTeamKey, jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';
import { core, currentSession, enrolmentOf, readEvents } from './helpers.ts';
import { updateMarks } from '../../src/app/core/marks.ts';
import { PASSPHRASE, addMember, archiveKeysOf, credentialsOf, joinDevice, joinWith, newDevice, organisationKey, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
let client: SyncClient;
let admin: Device;
let tablet: Device;
let phone: Device;

/** A woman's entry as the current device shows it, by known-as name. */
function entry(knownAs: string) {
  return [...currentSession().women.values()].find((w) => w.knownAs === knownAs);
}

async function enrol(role: 'frontDesk' | 'outreach', prefix: string): Promise<Device> {
  const device = await joinDevice(admin, client, prefix, { role });
  await syncUntilDone(device, client);
  return device;
}

/** What the admin reads from the whole archive now. */
async function adminArchive() {
  await use(admin);
  await syncUntilDone(admin, client);
  return readArchive(client, await credentialsOf(admin), await archiveKeysOf(admin, await organisationKey(client, admin)));
}

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
  admin = await newDevice('admin');
  await setUpOrganisationHere(client);
  await registerWoman(core(), 'Rosa', {});
  await registerWoman(core(), 'Amira', {});
  await syncUntilDone(admin, client);
  tablet = await enrol('frontDesk', 'tablet');
  phone = await enrol('outreach', 'phone');
});

afterAll(() => server?.dispose());

describe('signed authority', () => {
  it('gives the admin’s laptop a certificate at set-up, and every joined device the time signing began', async () => {
    // Sealed under each device's keyring: read on each, unlocked.
    const unlocked = async (device: Device) => (await use(device), core().enrolment());
    const a = await unlocked(admin);
    const t = await unlocked(tablet);
    const p = await unlocked(phone);
    expect(a?.certificate).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a?.authoritySince).toBeTruthy();
    expect(t).toMatchObject({ authoritySince: a!.authoritySince });
    expect(t?.certificate).toBeUndefined();
    expect(p).toMatchObject({ authoritySince: a!.authoritySince });
  });

  it('a front-desk tablet publishing settings, an erasure and a merge changes nothing on any device, and the admin sees what and from which device', async () => {
    await use(tablet);
    const rosa = entry('Rosa')!;
    const amira = entry('Amira')!;
    const config = structuredClone(currentSession().config);
    config.services.push({ key: 'rogue', label: 'Rogue service', retired: false });
    config.idleLockMinutes = 240;
    const stamp = () => ({ ...core().stamp(), at: '2099-01-01T00:00:00.000Z' }); // dated in the future, to win for ever
    const forged: FootfallEvent[] = [
      { ...stamp(), type: 'org.configured', config } satisfies EventOf<'org.configured'>,
      { ...stamp(), type: 'woman.erased', womanId: rosa.id } satisfies EventOf<'woman.erased'>,
      { ...stamp(), type: 'woman.merged', womanId: amira.id, intoId: rosa.id } satisfies EventOf<'woman.merged'>,
    ];
    await recordDirectoryEvents(core(), forged);
    await registerWoman(core(), 'Tamsin', {}); // an ordinary registration in the same batch still counts
    await syncUntilDone(tablet, client);

    for (const device of [phone, admin]) {
      await use(device);
      await syncUntilDone(device, client);
      expect(entry('Rosa'), 'Rosa is not erased').toMatchObject({ knownAs: 'Rosa' });
      expect(entry('Amira')?.mergedInto ?? null, 'Amira is not merged').toBeNull();
      expect(entry('Tamsin'), 'the tablet’s registration arrives').toBeDefined();
      expect(currentSession().config.services.map((s) => s.key)).not.toContain('rogue');
      expect(currentSession().config.idleLockMinutes).not.toBe(240);
    }

    const archive = await adminArchive();
    const ids = new Set(archive.events.map((e) => e.id));
    for (const e of forged) expect(ids.has(e.id), `${e.type} is not counted`).toBe(false);
    expect(archive.setAside).toEqual([{ batchId: expect.any(String), deviceId: tablet.deviceId, reason: 'not_admin', events: 3 }]);
  });

  it('visits a tablet uploads in another device’s name are set aside and never counted; its own count', async () => {
    await use(tablet);
    const forged = [0, 1, 2].map(
      (): EventOf<'visit.checkedIn'> => ({
        ...core().stamp(),
        deviceId: phone.deviceId,
        type: 'visit.checkedIn',
        occurredAt: new Date().toISOString(),
        womanId: null,
        siteId: currentSession().config.sites[0]!.key,
        services: ['meal'],
      }),
    );
    const own: EventOf<'visit.checkedIn'> = { ...forged[0]!, ...core().stamp(), deviceId: tablet.deviceId };
    await core().save([...forged, own], {});
    await syncUntilDone(tablet, client);

    const archive = await adminArchive();
    const ids = new Set(archive.events.map((e) => e.id));
    expect(forged.filter((e) => ids.has(e.id))).toEqual([]);
    expect(ids.has(own.id)).toBe(true);
    expect(archive.setAside).toContainEqual({ batchId: expect.any(String), deviceId: tablet.deviceId, reason: 'other_device', events: 3 });
  });

  it('the admin’s own settings and merges reach every device', async () => {
    await use(admin);
    const config = structuredClone(currentSession().config);
    config.services.push({ key: 'haircut', label: 'Haircut', retired: false });
    await saveConfig(core(), config);
    const [amira, rosa] = [entry('Amira')!.id, entry('Rosa')!.id];
    await mergeWomen(core(), client, amira, rosa);
    await syncUntilDone(admin, client);
    // The phone: the rogue tablet's own copy took its forged settings, dated 2099, as its own.
    await use(phone);
    await syncUntilDone(phone, client);
    expect(currentSession().config.services.map((s) => s.key)).toContain('haircut');
    expect(currentSession().women.get(amira)?.mergedInto).toBe(rosa);
  });

  it('a directory part naming a team key nobody holds is passed over: entries after it still arrive everywhere', async () => {
    await use(tablet);
    const creds = await credentialsOf(tablet);
    const orgPublicKey = (await enrolmentOf(tablet.db))!.orgPublicKey;
    const poison = {
      seq: 10_000,
      activity: await sealTo(orgPublicKey, jsonBytes([])),
      directory: await sealWithTeamKey({ version: 999, key: await generateTeamKey() }, jsonBytes([])),
    };
    expect((await client.putBatch(creds, crypto.randomUUID(), poison)).kind).toBe('ok');
    await registerWoman(core(), 'Zainab', {});
    await syncUntilDone(tablet, client);

    await use(phone);
    const round = await syncRound(client, core());
    expect(round.stopped).toBeNull();
    expect(entry('Zainab')).toBeDefined();
  });

  it('a device enrolled before signing existed reads as before until a signed part tells it when signing began', async () => {
    await use(phone);
    const { authoritySince } = (await core().enrolment())!;
    await updateMarks(phone.db, core().keyring, ({ authoritySince: _, ...marks }) => marks);
    // Read the directory again from the start, as a device updated from that version does.
    const sync = (await phone.db.device.get('sync'))!;
    await phone.db.device.put({ ...sync, directoryForm: 1 } as typeof sync);
    await syncRound(client, core());
    expect((await core().enrolment())?.authoritySince).toBe(authoritySince);
    // Having learnt it, the forged changes stay refused, now and on every later reading.
    expect(entry('Rosa')).toMatchObject({ knownAs: 'Rosa' });
    expect(currentSession().config.services.map((s) => s.key)).not.toContain('rogue');
  });

  it('an admin laptop set up before signing existed certifies itself when its admin first opens the organisation key', async () => {
    await use(admin);
    const { signingPublicKey, ...before } = (await enrolmentOf(admin.db))!;
    await admin.db.device.put(before);
    const { authoritySince, certificate } = (await core().enrolment())!;
    await updateMarks(admin.db, core().keyring, ({ certificate: _c, authoritySince: _a, ...marks }) => marks);
    const config = structuredClone(currentSession().config);
    config.services.push({ key: 'sewing', label: 'Sewing', retired: false });
    await expect(saveConfig(core(), config)).rejects.toMatchObject({ code: 'admin_uncertified' });
    // Nor a code for a new device: its invitation would be set aside, and the device's records with it.
    await expect(createEnrolmentCode(core(), client, { name: 'New tablet', role: 'frontDesk', siteKey: null })).rejects.toMatchObject({ code: 'admin_uncertified' });

    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
    const after = (await core().enrolment())!;
    expect(after.certificate).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(after.signingPublicKey).toEqual(signingPublicKey);
    expect(after.authoritySince! > authoritySince!).toBe(true);
    await saveConfig(core(), config);
    await syncUntilDone(admin, client);

    await use(phone);
    await syncUntilDone(phone, client);
    expect(currentSession().config.services.map((s) => s.key)).toContain('sewing');
    expect(certificate).toBeTruthy();
  });
});

describe('enrolment keys', () => {
  it('refuses a key that is not a point on P-256 with a clear 400, and the code still works after', async () => {
    await use(admin);
    const member = await addMember('frontDesk');
    const { code } = await createEnrolmentCode(core(), client, { name: 'New device', role: 'frontDesk', siteKey: null });
    const { lookup } = await enrolmentKeys(code);
    const keys = await generateDeviceKeys();
    const good = await publicJwk(keys.signing.publicKey);
    // Another y for the same x: not on the curve (the curve has only y and -y for each x).
    const offCurve = { ...good, y: good.y.slice(0, -2) + (good.y.endsWith('AA') ? 'AQ' : 'AA') };
    const device = { deviceId: uuidv7(), name: 'Odd tablet', signingKey: offCurve, encryptionKey: await publicJwk(keys.encryption.publicKey) };
    const refused = await client.claimEnrolment({ lookup, device });
    expect(refused).toMatchObject({ kind: 'refused', error: 'invalid_request' });
    expect(refused.kind === 'refused' && refused.message).toMatch(/device\.signingKey is not a point on the P-256 curve/);

    const late = await joinWith(client, code, member, 'late-tablet');
    expect(await enrolmentOf(late.db)).toMatchObject({ role: 'frontDesk' });
  });
});

describe('revocation that holds', () => {
  it('says plainly when the team key was not changed, and changes it on the next try', async () => {
    const spare = await enrol('frontDesk', 'spare');
    await use(admin);
    const failing = new SyncClient(server.url, (input, init) =>
      String(input).endsWith('/team-keys') && init?.method === 'PUT' ? Promise.resolve(new Response('{"error":"x","message":"down"}', { status: 503 })) : fetch(input, init),
    );
    const before = Math.max(...core().teamKeys.keys());
    await expect(revokeDevice(core(), failing, spare.deviceId, 'Spare tablet')).rejects.toMatchObject({
      code: 'rotation_due',
      message: expect.stringMatching(/^Spare tablet is revoked: .* the team key was not changed/),
    });
    expect(await rotationDue()).toBe(true);
    await rotateTeamKey(core(), client);
    expect(await rotationDue()).toBe(false);
    expect(Math.max(...core().teamKeys.keys())).toBe(before + 1);
    // The other devices get the new key at their next round; the revoked one never does.
    await use(phone);
    await syncRound(client, core());
    expect(Math.max(...core().teamKeys.keys())).toBe(before + 1);
  });

  it('a revoked tablet takes no new records, stops asking, and hands its waiting records over as a file the admin imports once', async () => {
    // Recorded while the admin revokes it, offline: these never reached the server.
    await use(tablet);
    const w = await registerWoman(core(), 'Nadia', {});
    await checkIn(core(), w.id, ['meal']);
    await checkIn(core(), null, ['laundry']);
    const unsent = await readEvents(tablet.db, core().keyring);
    expect(unsent.length).toBeGreaterThanOrEqual(3);

    await use(admin);
    await revokeDevice(core(), client, tablet.deviceId, 'Front desk tablet');

    await use(tablet);
    const round = await syncRound(client, core());
    expect(round.stopped?.kind).toBe('revoked');
    // Kept as a fact, not a time: a copy of the device does not say when it was refused.
    expect(await tablet.db.device.get('sync')).toMatchObject({ revoked: true });
    expect(await tablet.db.device.get('sync')).not.toHaveProperty('revokedAt');
    await expect(checkIn(core(), null, ['meal'])).rejects.toMatchObject({ code: 'device_revoked' });
    // Unlocking again keeps it so.
    await use(tablet);
    await expect(checkIn(core(), null, ['meal'])).rejects.toMatchObject({ code: 'device_revoked' });

    const file = await waitingRecordsFile(core());
    expect(file.fileName).toMatch(/^footfall-records-[0-9a-f]{8}-\d{4}-\d{2}-\d{2}\.json$/);
    expect(file.text).not.toContain('Nadia'); // sealed
    expect(await readEvents(tablet.db, core().keyring)).toHaveLength(unsent.length); // and still here

    // The phone, still enrolled, makes a file in its own name and one claiming to be the tablet's:
    // neither is a revoked device's own file.
    await use(phone);
    const phoneFile = await waitingRecordsFile(core());
    const claimed = { ...JSON.parse(new TextDecoder().decode(recordsFileClaims(JSON.parse(phoneFile.text).signed)!)), deviceId: tablet.deviceId };
    const forgedFile = JSON.stringify({ format: 'footfall-records', v: 1, signed: await signRecordsFile(core().deviceKeys().signing, jsonBytes(claimed)) });

    await use(admin);
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
    await expect(importRecordsFile(core(), '{"format":"footfall-records","v":2}', { client })).rejects.toMatchObject({ code: 'records_file_unreadable' });
    await expect(importRecordsFile(core(), phoneFile.text, { client })).rejects.toMatchObject({ code: 'records_file_unverified' });
    await expect(importRecordsFile(core(), forgedFile, { client })).rejects.toMatchObject({ code: 'records_file_unverified' });
    const first = await importRecordsFile(core(), file.text, { client });
    expect(first).toMatchObject({ added: unsent.length, setAside: 0, unreadable: 0 });
    expect(await importRecordsFile(core(), file.text, { client })).toMatchObject({ added: 0, alreadyHeld: unsent.length });
    expect(entry('Nadia')).toBeDefined();

    const archive = await adminArchive();
    const counted = archive.events.map((e) => e.id);
    for (const e of unsent) expect(counted.filter((id) => id === e.id), `${e.type} counted once`).toHaveLength(1);
  });
});
