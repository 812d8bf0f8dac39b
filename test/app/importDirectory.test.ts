/**
 * An import matches the file's names against the whole shared directory, including a woman another
 * device registered moments before and the admin's laptop has not read yet (docs/counting.md#import):
 * in Node, the admin's device and a tablet (fake-indexeddb + the app's own actions) talking to the
 * real endpoint (Fastify + SQLite) over HTTP.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImport } from '../../src/app/admin/import/importRecords.ts';
import { unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { core, currentSession } from './helpers.ts';
import { PASSPHRASE, joinDevice, newDevice, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;
let admin: Device;
let tablet: Device;
let reneeId = '';

const FILE = ['kind,date,time,site,person,services', 'visit,2024-05-02,10:15,Drop-in centre,Renée,meal'].join('\n');

beforeAll(async () => {
  server = await startServer();
  admin = await newDevice('admin');
  await setUpOrganisationHere(new SyncClient(server.url));
  tablet = await joinDevice(admin, new SyncClient(server.url), 'tablet');
  // At the desk: Renée is registered and synced, and the admin's laptop has not read the directory since.
  reneeId = (await registerWoman(core(), 'Renée', {})).id;
  await syncUntilDone(tablet, new SyncClient(server.url));
  await use(admin);
  await unlockOrgKey(core(), PASSPHRASE, 'passphrase', new SyncClient(server.url));
}, 60_000);

afterAll(() => server?.dispose());

describe('checking an import against the shared directory', () => {
  it('cannot be checked without the server, and says so', async () => {
    const offline = new SyncClient(server.url, async () => {
      throw new TypeError('network down');
    });
    await expect(checkImport(core(), FILE, {}, { client: offline })).rejects.toThrow(/could not be checked against the organisation’s records/);
  });

  it('finds a woman another device registered moments before: no second woman of the same name', async () => {
    expect([...currentSession().women.values()].map((w) => w.knownAs)).not.toContain('Renée');
    const check = await checkImport(core(), FILE, {}, { client: new SyncClient(server.url) });
    if (!check.ok) throw new Error(JSON.stringify(check.errors));
    expect(check.preview).toMatchObject({ records: 1, visits: 1, newWomen: 0 });
    expect(check.preview.events.map((e) => e.type)).toEqual(['visit.checkedIn']);
    expect(check.preview.events[0]).toMatchObject({ womanId: reneeId });
  });
});
