/**
 * Devices an admin signed for, against the real endpoint (docs/security.md#devices): the admin's
 * device counts a record only by what a certified admin device signed about the device that made
 * it (its role, its site, its revocation) and about the person who made it, as they were when it
 * was made. The endpoint's list of devices decides nothing.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHistory, refreshArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { confirmDevice, moveDevice } from '../../src/app/admin/deviceStatements.ts';
import { importRecordsFile } from '../../src/app/admin/import/recordsFileImport.ts';
import { unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { changePerson } from '../../src/app/people/peopleActions.ts';
import { saveConfig, setDeviceSite } from '../../src/app/settings/settingsActions.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { revokeDevice } from '../../src/app/sync/organisation.ts';
import { waitingRecordsFile } from '../../src/app/sync/recordsFile.ts';
import { enrolmentKeys, generateEnrolmentCode, sealPackage } from '../../src/crypto/enrolmentCode.ts';
import { jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { EventOf } from '../../src/domain/events.ts';
import { core, currentSession, enrolmentOf } from './helpers.ts';
import { PASSPHRASE, joinDevice, newDevice, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
let client: SyncClient;
let admin: Device;
let dropIn: string;
const ANNEXE = 'annexe';

/** What the admin's reports count now, and what they set aside, after fetching everything new. */
async function counted() {
  await use(admin);
  await syncUntilDone(admin, client);
  if (!core().orgKeys) await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
  await refreshArchive(core(), undefined, { client });
  const { events, summary } = await loadHistory(core());
  return { ids: new Set(events.map((e) => e.id)), setAside: summary.setAside };
}

/** A visit at `siteId` saved on the current device as it would be, by whoever is signed in. */
async function visitAt(siteId: string): Promise<EventOf<'visit.checkedIn'>> {
  const stamp = core().stamp();
  const visit: EventOf<'visit.checkedIn'> = { ...stamp, type: 'visit.checkedIn', occurredAt: stamp.at, womanId: null, siteId, services: ['meal'] };
  await core().save([visit], {});
  return visit;
}

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
  admin = await newDevice('admin');
  await setUpOrganisationHere(client);
  const config = structuredClone(currentSession().config);
  dropIn = config.sites[0]!.key;
  config.sites.push({ key: ANNEXE, name: 'Annexe', retired: false });
  await saveConfig(core(), config);
  await syncUntilDone(admin, client);
});

afterAll(() => server?.dispose());

describe('devices an admin signed for', () => {
  it('a device the server enrolled with no admin’s invitation is listed, but its visits are set aside, not counted', async () => {
    // The server (or whoever runs it) registers a code of its own and claims it: the endpoint
    // lists the device like any other, with the role it chose.
    const { orgId } = (await enrolmentOf(admin.db))!;
    const { lookup, packageKey } = await enrolmentKeys(generateEnrolmentCode());
    const now = new Date().toISOString();
    const pkg = await sealPackage(packageKey, {});
    await server.storage.createEnrolment({ orgId, lookup, role: 'frontDesk', package: pkg, createdBy: admin.deviceId, createdAt: now, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const keys = await generateDeviceKeys();
    const rogueId = crypto.randomUUID();
    const claimed = await client.claimEnrolment({
      lookup,
      device: { deviceId: rogueId, name: 'Front desk tablet', signingKey: await publicJwk(keys.signing.publicKey), encryptionKey: await publicJwk(keys.encryption.publicKey) },
    });
    expect(claimed.kind).toBe('ok');

    // A real person of the organisation, so only the device is wrong.
    const tablet = await joinDevice(admin, client, 'desk', { role: 'frontDesk', siteKey: dropIn });
    const staffId = currentSession().staff.id;
    await use(admin);
    const teamKey = { version: Math.max(...core().teamKeys.keys()), key: core().teamKeys.get(Math.max(...core().teamKeys.keys()))! };
    const stamp = core().stamp();
    const forged: EventOf<'visit.checkedIn'> = { ...stamp, deviceId: rogueId, staffId, type: 'visit.checkedIn', occurredAt: stamp.at, womanId: null, siteId: dropIn, services: ['meal'] };
    const { orgPublicKey } = (await enrolmentOf(admin.db))!;
    const upload = { seq: 1, activity: await sealTo(orgPublicKey, jsonBytes([forged])), directory: await sealWithTeamKey(teamKey, jsonBytes([])) };
    expect((await client.putBatch({ orgId, deviceId: rogueId, signingKey: keys.signing.privateKey }, crypto.randomUUID(), upload)).kind).toBe('ok');

    await use(tablet);
    const own = await visitAt(dropIn);
    await syncUntilDone(tablet, client);

    const { ids, setAside } = await counted();
    expect(ids.has(forged.id)).toBe(false);
    expect(ids.has(own.id)).toBe(true);
    expect(setAside).toContainEqual({ deviceId: rogueId, reason: 'unsigned_device', events: 1 });

    // Had it been one of hers (joined with an earlier version's code), the admin confirms it from
    // the notice, and its records count from then on.
    await confirmDevice(core(), rogueId, 'frontDesk', null, await publicJwk(keys.signing.publicKey));
    const after = await counted();
    expect(after.ids.has(forged.id)).toBe(true);
    expect(after.setAside.filter((s) => s.deviceId === rogueId)).toEqual([]);

    // The confirmation names the key the device signs with: a part in its name without that
    // signature, received after it, is set aside (docs/security.md#device-signed-parts).
    const late: EventOf<'visit.checkedIn'> = { ...forged, ...core().stamp(), deviceId: rogueId, staffId };
    const lateUpload = { seq: 2, activity: await sealTo(orgPublicKey, jsonBytes([late])), directory: await sealWithTeamKey(teamKey, jsonBytes([])) };
    expect((await client.putBatch({ orgId, deviceId: rogueId, signingKey: keys.signing.privateKey }, crypto.randomUUID(), lateUpload)).kind).toBe('ok');
    const later = await counted();
    expect(later.ids.has(forged.id)).toBe(true);
    expect(later.ids.has(late.id)).toBe(false);
    expect(later.setAside).toContainEqual({ deviceId: rogueId, reason: 'unsigned_part', events: 1 });
  }, 120_000);

  it('a tablet of one site recording visits at another has them set aside; its own site’s count', async () => {
    const tablet = await joinDevice(admin, client, 'annexe-desk', { role: 'frontDesk', siteKey: ANNEXE });
    expect(core().identity.siteKey).toBe(ANNEXE);
    const atAnnexe = await visitAt(ANNEXE);
    const atDropIn = await visitAt(dropIn);
    await syncUntilDone(tablet, client);

    const { ids, setAside } = await counted();
    expect(ids.has(atAnnexe.id)).toBe(true);
    expect(ids.has(atDropIn.id)).toBe(false);
    expect(setAside).toContainEqual({ deviceId: tablet.deviceId, reason: 'other_site', events: 1 });
  });

  it('a person whose role changed counts by the role of the record’s day', async () => {
    const tablet = await joinDevice(admin, client, 'role-desk', { role: 'frontDesk', siteKey: dropIn });
    const personId = currentSession().staff.id;
    const before = await visitAt(dropIn);
    await syncUntilDone(tablet, client);

    // The admin moves her to outreach; the tablet has not heard yet when she records again.
    await use(admin);
    await changePerson(core(), personId, { name: tablet.person.name, roles: ['outreach'], sites: null });
    await syncUntilDone(admin, client);
    await use(tablet);
    const after = await visitAt(dropIn);
    await syncUntilDone(tablet, client);

    const { ids, setAside } = await counted();
    expect(ids.has(before.id), 'made while she worked the front desk').toBe(true);
    expect(ids.has(after.id), 'made after she moved to outreach').toBe(false);
    expect(setAside).toContainEqual({ deviceId: tablet.deviceId, reason: 'not_her_device', events: 1 });
  });

  it('a revoked tablet’s records from before its revocation count once; those made after it are set aside', async () => {
    const tablet = await joinDevice(admin, client, 'revoked-desk', { role: 'frontDesk', siteKey: dropIn });
    const sent = await visitAt(dropIn);
    await syncUntilDone(tablet, client);
    const unsentBefore = await visitAt(dropIn); // saved before the revocation, never sent

    await use(admin);
    await revokeDevice(core(), client, tablet.deviceId, 'Revoked tablet');

    // Saved before the tablet hears of it; it never reaches the server, and comes in the file.
    await use(tablet);
    const after = await visitAt(dropIn);
    expect((await syncRound(client, core())).stopped?.kind).toBe('revoked');
    const file = await waitingRecordsFile(core());

    await use(admin);
    if (!core().orgKeys) await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
    await importRecordsFile(core(), file.text, { client });
    const { ids, setAside } = await counted();
    const all = (await loadHistory(core())).events.map((e) => e.id);
    for (const e of [sent.id, unsentBefore.id]) expect(all.filter((id) => id === e), 'counted once').toHaveLength(1);
    expect(ids.has(after.id)).toBe(false);
    expect(setAside).toContainEqual({ deviceId: tablet.deviceId, reason: 'revoked_device', events: 1 });
  });

  it('a tablet cannot move itself to another site; a move it makes anyway is set aside, and so are its visits there', async () => {
    const tablet = await joinDevice(admin, client, 'self-moved-desk', { role: 'frontDesk', siteKey: dropIn });
    // Settings refuses: its site is the admin's to set.
    await expect(setDeviceSite(core(), ANNEXE)).rejects.toMatchObject({ code: 'site_set_by_admin' });
    expect(core().identity.siteKey).toBe(dropIn);
    // An older app, or a copy of its storage, moves it anyway, and says so as an admin would.
    const forgedMove: EventOf<'device.moved'> = { ...core().stamp(), type: 'device.moved', subjectId: tablet.deviceId, siteKey: ANNEXE };
    await core().foldDirectory([forgedMove], [forgedMove]);
    expect(core().identity.siteKey, 'its own storage is its own').toBe(ANNEXE);
    const atAnnexe = await visitAt(ANNEXE);
    await syncUntilDone(tablet, client);

    const { ids, setAside } = await counted();
    expect(ids.has(forgedMove.id)).toBe(false);
    expect(ids.has(atAnnexe.id)).toBe(false);
    expect(setAside).toContainEqual(expect.objectContaining({ deviceId: tablet.deviceId, reason: 'not_admin', events: 1 }));
    expect(setAside).toContainEqual({ deviceId: tablet.deviceId, reason: 'other_site', events: 1 });
  });

  it('an admin’s signed move counts a tablet’s visits at its new site from the move on; the tablet takes the site at its next sync', async () => {
    const tablet = await joinDevice(admin, client, 'moved-desk', { role: 'frontDesk', siteKey: dropIn });
    const before = await visitAt(dropIn);
    await syncUntilDone(tablet, client);

    await use(admin);
    await expect(moveDevice(core(), tablet.deviceId, 'frontDesk', 'nowhere')).rejects.toMatchObject({ code: 'site_unknown' });
    await expect(moveDevice(core(), tablet.deviceId, 'outreach', ANNEXE)).rejects.toMatchObject({ code: 'device_has_no_site' });
    await moveDevice(core(), tablet.deviceId, 'frontDesk', ANNEXE);
    await syncUntilDone(admin, client);

    await use(tablet);
    // Recorded before it heard of the move: at its old site, after the move, so set aside.
    const late = await visitAt(dropIn);
    expect(core().identity.siteKey).toBe(dropIn);
    await syncUntilDone(tablet, client);
    expect(core().identity.siteKey, 'taken up at its next sync').toBe(ANNEXE);
    const after = await visitAt(ANNEXE);
    await syncUntilDone(tablet, client);

    const { ids, setAside } = await counted();
    expect(ids.has(before.id), 'at its old site before the move').toBe(true);
    expect(ids.has(after.id), 'at its new site after the move').toBe(true);
    expect(ids.has(late.id), 'at its old site after the move').toBe(false);
    expect(setAside).toContainEqual({ deviceId: tablet.deviceId, reason: 'other_site', events: 1 });
    expect(setAside.filter((s) => s.deviceId === tablet.deviceId && s.reason !== 'other_site')).toEqual([]);
  });
});
