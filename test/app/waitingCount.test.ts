/**
 * The kept count of waiting records (src/app/core/waiting.ts, docs/sync.md#the-outbox) never
 * drifts from the real count: saves, sealing, acknowledgements (lost, repeated, from two rounds
 * at once), refusals and quarantine, sending set-aside batches again, locking, and an erasure's
 * compaction, each checked step by step against the events themselves, on a real device (the
 * app's own code on fake-indexeddb) against the real endpoint.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseWoman } from '../../src/app/admin/care/careActions.ts';
import { unlockOrgKey } from '../../src/app/admin/orgKey.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { REFUSALS_BEFORE_QUARANTINE, retryQuarantined, sweepAcknowledged } from '../../src/app/core/outbox.ts';
import { waitingKeys } from '../../src/app/core/waiting.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { sealEventRow } from '../../src/app/core/vault.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { useFootfall } from '../../src/app/store.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { core, currentSession, saveAnonymousVisits } from './helpers.ts';
import { PASSPHRASE, newDevice, setUpOrganisationHere, startServer, syncUntilDone, use, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(() => server?.dispose());

/**
 * The kept count equals the events waiting on the device (outbox rows no acknowledged batch lists),
 * and the status line shows that number.
 */
async function expectKeptCount(device: Device, step: string): Promise<number> {
  const real = (await waitingKeys(device.db)).length;
  const row = await device.db.device.get('waiting');
  expect(row?.key === 'waiting' ? row.count : 0, `kept count after ${step}`).toBe(real);
  await refreshStatus();
  expect(useFootfall.getState().unsynced, `status after ${step}`).toBe(real);
  return real;
}

/** The admin's device of a new organisation on the test server, unlocked. */
async function newAdmin(prefix: string): Promise<{ device: Device; client: SyncClient }> {
  const device = await newDevice(prefix);
  const client = new SyncClient(server.url);
  await setUpOrganisationHere(client);
  // Set-up signs a statement for the laptop itself (docs/security.md#devices): sent, so counts start at none.
  await syncUntilDone(device, client);
  return { device, client };
}

type Network = 'honest' | 'unreachable' | 'answer lost' | 'refused';

/** A client whose network behaves as `network` for every request. */
function clientOn(network: Network): SyncClient {
  return new SyncClient(server.url, async (input, init) => {
    if (network === 'unreachable') throw new TypeError('fetch failed');
    if (network === 'refused' && init?.method === 'PUT') {
      // Altered in transit: the signature no longer matches, and the server refuses the batch.
      const body = JSON.parse(await new Response(init.body).text()) as { seq: number };
      return fetch(input, { ...init, body: JSON.stringify({ ...body, seq: body.seq + 100 }) });
    }
    const response = await fetch(input, init);
    if (network !== 'answer lost' || init?.method !== 'PUT') return response;
    // Stored, but the answer never arrives: the batch is sent again and recognised.
    await response.arrayBuffer();
    throw new TypeError('fetch failed', { cause: new Error('other side closed') });
  });
}

type Step =
  | { kind: 'check in' }
  | { kind: 'register' }
  | { kind: 'save many'; n: number }
  | { kind: 'round'; network: Network }
  | { kind: 'round as the app runs it' }
  | { kind: 'sweep' }
  | { kind: 'refused until set aside' }
  | { kind: 'two rounds at once' }
  | { kind: 'save during a round' }
  | { kind: 'send set-aside batches again' }
  | { kind: 'lock and unlock' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'check in' as const }),
  fc.constant({ kind: 'register' as const }),
  fc.integer({ min: 1, max: 40 }).map((n) => ({ kind: 'save many' as const, n })),
  fc.constantFrom<Network>('honest', 'unreachable', 'answer lost', 'refused').map((network) => ({ kind: 'round' as const, network })),
  fc.constant({ kind: 'round as the app runs it' as const }),
  fc.constant({ kind: 'sweep' as const }),
  fc.constant({ kind: 'refused until set aside' as const }),
  fc.constant({ kind: 'two rounds at once' as const }),
  fc.constant({ kind: 'save during a round' as const }),
  fc.constant({ kind: 'send set-aside batches again' as const }),
  fc.constant({ kind: 'lock and unlock' as const }),
);

async function run(s: Step, device: Device): Promise<void> {
  switch (s.kind) {
    case 'check in':
      await checkIn(core(), null, ['meal']);
      return;
    case 'register':
      await registerWoman(core(), `Woman ${uuidv7().slice(-6)}`, {});
      return;
    case 'save many':
      await saveAnonymousVisits(s.n);
      return;
    case 'round':
      await syncRound(clientOn(s.network), core());
      return;
    case 'round as the app runs it':
      // The acknowledged rows are deleted after the round, while the next steps run.
      await syncRound(clientOn('honest'), core(), { awaitSweep: false });
      return;
    case 'sweep':
      await sweepAcknowledged();
      return;
    case 'refused until set aside':
      for (let i = 0; i < REFUSALS_BEFORE_QUARANTINE; i++) await syncRound(clientOn('refused'), core());
      expect(await device.db.batches.where('state').equals('pending').count()).toBe(0);
      return;
    case 'two rounds at once':
      // Sealed first, so both rounds (two tabs, without the keys, as while locked) find the same
      // batches and both acknowledge them; a record saved after stays waiting, unsealed.
      await syncRound(clientOn('unreachable'), core());
      await checkIn(core(), null, ['clothes']);
      await Promise.all([syncRound(clientOn('honest'), null), syncRound(clientOn('honest'), null)]);
      return;
    case 'save during a round':
      await Promise.all([syncRound(clientOn('honest'), core()), checkIn(core(), null, ['shower']), saveAnonymousVisits(3)]);
      return;
    case 'send set-aside batches again':
      await retryQuarantined(core().keyring);
      return;
    case 'lock and unlock':
      await use(device);
      return;
  }
}

describe('the kept count of waiting records', () => {
  it('equals the real count after every step of any schedule, and after the outbox empties', async () => {
    const { device, client } = await newAdmin('kept-count');
    await expectKeptCount(device, 'set-up');
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (schedule) => {
        for (const s of schedule) {
          await run(s, device);
          await expectKeptCount(device, JSON.stringify(s));
        }
        await retryQuarantined(core().keyring);
        await syncUntilDone(device, client, 10);
        expect(await expectKeptCount(device, 'everything sent')).toBe(0);
        // Once swept, nothing the server has is left on the device.
        await sweepAcknowledged();
        expect(await device.db.outbox.count()).toBe(0);
        expect(await device.db.batches.count()).toBe(0);
      }),
      { numRuns: 15, endOnFailure: true },
    );
  });

  it('is right again once the outbox empties, even after a record saved without it (a tab of the version before it)', async () => {
    const { device, client } = await newAdmin('kept-count-heal');
    await checkIn(core(), null, ['meal']);
    const identity = useFootfall.getState().identity!;
    const at = new Date().toISOString();
    const uncounted: FootfallEvent = { id: uuidv7(), at, deviceId: identity.deviceId, staffId: currentSession().staff.id, type: 'visit.checkedIn', occurredAt: at, womanId: null, siteId: identity.siteKey, services: [] };
    await device.db.outbox.add(await sealEventRow(core().keyring, uncounted)); // as that version saved it
    expect(await device.db.device.get('waiting')).toEqual({ key: 'waiting', count: 1 });
    expect(await device.db.outbox.count()).toBe(2);

    await syncUntilDone(device, client);
    expect(await expectKeptCount(device, 'the outbox emptied')).toBe(0);
  });

  it('follows an erasure: her erasure waits, then the compaction sends it, and nothing is counted twice', async () => {
    const { device, client } = await newAdmin('kept-count-erasure');
    const woman = await registerWoman(core(), 'Erin Vale', {});
    await checkIn(core(), woman.id, ['meal']);
    expect(await expectKeptCount(device, 'saves')).toBe(2);
    await syncUntilDone(device, client);
    expect(await expectKeptCount(device, 'sync')).toBe(0);

    await checkIn(core(), null, ['shower']); // waiting when the erasure starts: uploaded first
    await unlockOrgKey(core(), PASSPHRASE, 'passphrase', client);
    await eraseWoman(core(), client, woman.id, 'Erin Vale');
    expect(await expectKeptCount(device, 'erasure and compaction')).toBe(0);

    await checkIn(core(), null, ['laundry']);
    expect(await expectKeptCount(device, 'a save after')).toBe(1);
  });
});
