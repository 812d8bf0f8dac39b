/**
 * The organisation's people against the real endpoint (docs/security.md#people): the admin adds a
 * person once; a device joins with the admin's code and its first person sets her PIN with her
 * personal code; colleagues add themselves the same way; a removal reaches every device; and a
 * device that is not a certified admin's can neither add people nor count records by people the
 * organisation has removed.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { loadHistoryEvents, loadReportHistory, refreshArchive } from '../../src/app/admin/archive/archiveStore.ts';
import { boot } from '../../src/app/core/device.ts';
import { recordDirectoryEvents } from '../../src/app/directory/directoryActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { finishJoin, lock, unlock } from '../../src/app/lock/access.ts';
import { modesFor } from '../../src/app/modes.ts';
import { addMeToThisDevice, addPerson, changeMyPin, removePerson, roster } from '../../src/app/people/peopleActions.ts';
import { useFootfall } from '../../src/app/store.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { claimJoin, createEnrolmentCode } from '../../src/app/sync/organisation.ts';
import { generatePersonalCode, personalCodeCheck } from '../../src/crypto/personalCode.ts';
import type { EventOf } from '../../src/domain/events.ts';
import { resolveHistory } from '../../src/domain/report.ts';
import { bootFresh, core, currentSession, enrolmentOf } from './helpers.ts';
import { newDevice, organisationKey, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

const ANNA_PIN = '731904';
const BEA_PIN = '604729';
let server: RunningServer;
let client: SyncClient;
let admin: Device;
let tablet: Device;
let site: string;
let anna: { personId: string; code: string };
let olu: { personId: string; code: string };
let beaId: string;

/** An anonymous visit at the site, stamped by this device, in the name of `staffId` (whoever is unlocked). */
function visitInNameOf(staffId: string, services: string[]): EventOf<'visit.checkedIn'> {
  return { ...core().stamp(), staffId, type: 'visit.checkedIn', occurredAt: new Date().toISOString(), womanId: null, siteId: site, services };
}

/** Switches the app to `device`, unlocked by the named person. */
async function useAs(device: Device, name: string, pin: string): Promise<void> {
  if (useFootfall.getState().phase.kind === 'unlocked') await lock();
  await boot(device.db);
  const person = useFootfall.getState().staff.find((s) => s.name === name);
  expect(person, `${name} is on this device’s lock screen`).toBeDefined();
  expect(await unlock(person!.id, pin)).toMatchObject({ ok: true });
}

const lockScreenNames = () => useFootfall.getState().staff.map((s) => s.name);

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
  admin = await newDevice('admin');
  await setUpOrganisationHere(client);
  site = currentSession().config.sites[0]!.key;
  anna = await addPerson(core(), { name: 'Anna', roles: ['frontDesk'], sites: [site] });
  olu = await addPerson(core(), { name: 'Olu', roles: ['outreach'], sites: null });
  await syncUntilDone(admin, client);
});

afterAll(() => server?.dispose());

describe('the organisation’s people', () => {
  it('begin with the admin laptop’s own, and each person added once', async () => {
    await use(admin);
    const people = Object.values((await roster(core())).people);
    expect(people.map((p) => [p.name, p.roles])).toEqual([
      ['Grace', ['admin']],
      ['Anna', ['frontDesk']],
      ['Olu', ['outreach']],
    ]);
    expect(people.find((p) => p.name === 'Anna')?.code?.check).toMatch(/^[\w-]{43}$/);
  });

  it('a tablet joins with the admin’s code as she planned it, and its first person sets her own PIN with her personal code', async () => {
    await use(admin);
    const { code, link } = await createEnrolmentCode(core(), client, { name: 'Front desk tablet', role: 'frontDesk', siteKey: site });
    expect(new URL(link).hash).toBe(`#enrol=${encodeURIComponent(code)}`);

    const db = await bootFresh('tablet');
    expect(useFootfall.getState().phase.kind).toBe('setup');
    const offer = await claimJoin(client, code);
    expect(offer.pkg.device).toMatchObject({ name: 'Front desk tablet', siteKey: site });
    expect(offer.pkg.device.people.map((p) => p.name)).toEqual(['Anna', 'Grace']);
    await expect(finishJoin(offer, { personId: anna.personId, code: olu.code, pin: ANNA_PIN })).rejects.toThrow('That is not your personal code.');
    await expect(finishJoin(offer, { personId: anna.personId, code: anna.code, pin: '123456' })).rejects.toThrow('too easy to guess');
    await finishJoin(offer, { personId: anna.personId, code: anna.code, pin: ANNA_PIN });

    tablet = { db, deviceId: useFootfall.getState().identity!.deviceId, person: { name: 'Anna', pin: ANNA_PIN }, saved: [] };
    expect(useFootfall.getState().identity).toMatchObject({ deviceName: 'Front desk tablet', siteKey: site });
    expect(await enrolmentOf(db)).toMatchObject({ role: 'frontDesk' });
    expect(currentSession().staff).toMatchObject({ id: anna.personId, name: 'Anna', role: 'frontDesk' });
    expect(core().isAdmin).toBe(false);
    expect(modesFor(currentSession().staff.role)).toEqual(['checkIn', 'today']);
    expect(lockScreenNames()).toEqual(['Anna']);
    await syncUntilDone(tablet, client);
    expect(Object.keys((await roster(core())).people)).toHaveLength(3);
  });

  it('a colleague sets her PIN on the tablet with her code, once; the admin’s removal takes her off it', async () => {
    await use(admin);
    const bea = await addPerson(core(), { name: 'Bea', roles: ['frontDesk'], sites: null });
    beaId = bea.personId;
    await syncUntilDone(admin, client);

    await useAs(tablet, 'Anna', ANNA_PIN);
    await syncUntilDone(tablet, client);
    await expect(addMeToThisDevice(core(), olu.personId, olu.code, BEA_PIN)).rejects.toThrow('Choose your name first.');
    await expect(addMeToThisDevice(core(), bea.personId, anna.code, BEA_PIN)).rejects.toThrow('That is not your personal code.');
    expect(await addMeToThisDevice(core(), bea.personId, bea.code, BEA_PIN)).toBe('Bea');
    await expect(addMeToThisDevice(core(), bea.personId, bea.code, '907352')).rejects.toThrow('already set your PIN on this device');
    expect(lockScreenNames()).toEqual(['Anna', 'Bea']);
    await useAs(tablet, 'Bea', BEA_PIN);
    expect(currentSession().staff).toMatchObject({ name: 'Bea', role: 'frontDesk' });

    await use(admin);
    await removePerson(core(), bea.personId);
    await syncUntilDone(admin, client);
    await useAs(tablet, 'Anna', ANNA_PIN);
    await syncUntilDone(tablet, client);
    expect(lockScreenNames()).toEqual(['Anna']);
  });

  it('a person changes her own PIN: the old one stops working', async () => {
    await useAs(tablet, 'Anna', ANNA_PIN);
    await expect(changeMyPin(core(), '999999', '846201')).rejects.toThrow('That is not your current PIN.');
    await changeMyPin(core(), ANNA_PIN, '846201');
    await lock();
    expect(await unlock(anna.personId, ANNA_PIN)).toMatchObject({ ok: false });
    expect(await unlock(anna.personId, '846201')).toMatchObject({ ok: true });
    await changeMyPin(core(), '846201', ANNA_PIN);
  });

  it('a front-desk tablet cannot add people, and records made in a removed person’s name are set aside, not counted', async () => {
    await useAs(tablet, 'Anna', ANNA_PIN);
    const mallory = uuidv7();
    const code = generatePersonalCode();
    const forgedPerson: EventOf<'staff.saved'> = {
      ...core().stamp(),
      type: 'staff.saved',
      personId: mallory,
      name: 'Mallory',
      roles: ['admin'],
      sites: null,
      code: { codeId: crypto.randomUUID(), check: await personalCodeCheck(code, mallory), expiresAt: '2099-01-01T00:00:00.000Z' },
    };
    await recordDirectoryEvents(core(), [forgedPerson]);
    const ownVisit = await checkIn(core(), null, ['meal']);
    const byNobody = visitInNameOf(beaId, ['meal']);
    await core().save([byNobody], {});
    await syncUntilDone(tablet, client);

    await use(admin);
    await syncUntilDone(admin, client);
    expect(Object.values((await roster(core())).people).map((p) => p.name)).not.toContain('Mallory');
    core().holdOrgKeys(await organisationKey(client, admin));
    await refreshArchive(core(), undefined, { client });
    const ids = new Set((await loadHistoryEvents(core())).map((e) => e.id));
    expect(ids.has(ownVisit)).toBe(true);
    expect(ids.has(byNobody.id)).toBe(false);
    expect(ids.has(forgedPerson.id)).toBe(false);
    const { summary } = await loadReportHistory(core(), currentSession().config);
    expect(summary.setAside).toContainEqual({ batchId: expect.any(String), deviceId: tablet.deviceId, reason: 'not_admin', events: 1 });
    expect(summary.setAside).toContainEqual({ deviceId: tablet.deviceId, reason: 'removed_person', events: 1 });
  });

  it('a record waiting on the admin’s laptop in a removed person’s name is set aside there too, the reports still opening from the kept resolution', async () => {
    await use(admin);
    const config = currentSession().config;
    const before = await loadReportHistory(core(), config);
    expect(before.resolvedNow).toBe(false);
    // Saved here and not yet uploaded: one in her own name, one in the name of Bea, removed.
    const ownVisit = await checkIn(core(), null, ['meal']);
    const inBeasName = visitInNameOf(beaId, ['shower']);
    await core().save([inBeasName], {});
    expect(await admin.db.outbox.count()).toBeGreaterThanOrEqual(2);

    const opened = await loadReportHistory(core(), config);
    expect(opened.resolvedNow).toBe(false);
    // Exactly what gathering and resolving every event together gives.
    const events = await loadHistoryEvents(core());
    expect(events.map((e) => e.id)).toContain(ownVisit);
    expect(events.map((e) => e.id)).not.toContain(inBeasName.id);
    expect(opened.history).toEqual(resolveHistory(events, config));
    expect(opened.events).toBe(events.length);
    expect(opened.history.records.map((r) => r.id)).toContain(ownVisit);
    expect(opened.history.records.map((r) => r.id)).not.toContain(inBeasName.id);
    expect(opened.summary.setAside).toContainEqual({ deviceId: admin.deviceId, reason: 'removed_person', events: 1 });
    await syncUntilDone(admin, client);
  });
});
