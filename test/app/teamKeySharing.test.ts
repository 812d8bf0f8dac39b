/**
 * A device that joins with a code made before a revocation gets the team key that revocation made
 * (docs/security.md#revocation-and-team-key-rotation): its package holds only the keys of the day
 * the code was made, so the admin device's rounds give it the rest. In Node, devices as the app
 * runs them (fake-indexeddb + the app's own actions) talking to the real endpoint over HTTP.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { createEnrolmentCode, revokeDevice } from '../../src/app/sync/organisation.ts';
import { core, currentSession } from './helpers.ts';
import { addMember, joinDevice, joinWith, newDevice, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
let client: SyncClient;
let admin: Device;
let leaving: Device;

beforeAll(async () => {
  server = await startServer();
  client = new SyncClient(server.url);
  admin = await newDevice('admin');
  await setUpOrganisationHere(client);
  leaving = await joinDevice(admin, client, 'leaving');
}, 60_000);

afterAll(() => server?.dispose());

describe('a device joining with a code made before a revocation', () => {
  it('gets the new team key from the admin device, and reads what was shared with it', async () => {
    // A code for the replacement tablet, made while the old one is still in use.
    await use(admin);
    const member = await addMember('frontDesk');
    const { code } = await createEnrolmentCode(core(), client, { name: 'Replacement tablet', role: 'frontDesk', siteKey: null });
    await syncUntilDone(admin, client);
    const oldVersion = Math.max(...core().teamKeys.keys());

    // The old tablet is revoked the same day: a new team key, sealed to the devices listed then.
    await revokeDevice(core(), client, leaving.deviceId, 'Old tablet');
    expect(Math.max(...core().teamKeys.keys())).toBe(oldVersion + 1);
    await registerWoman(core(), 'Zara', {});
    await syncUntilDone(admin, client);

    // The replacement joins with the code made before: its package holds the old key only.
    const replacement = await joinWith(client, code, member, 'replacement');
    expect(Math.max(...core().teamKeys.keys())).toBe(oldVersion);
    await syncRound(client, core());
    expect([...currentSession().women.values()].map((w) => w.knownAs)).not.toContain('Zara');

    // The admin device's next round gives it every key; its next round reads what it could not.
    await use(admin);
    await syncRound(client, core());
    await use(replacement);
    await syncRound(client, core());
    expect(Math.max(...core().teamKeys.keys())).toBe(oldVersion + 1);
    expect([...currentSession().women.values()].map((w) => w.knownAs)).toContain('Zara');
  });
});
