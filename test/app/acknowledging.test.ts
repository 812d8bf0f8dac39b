/**
 * Acknowledging (src/app/core/outbox.ts, docs/sync.md#acknowledging): the server's answer makes a
 * batch's events stop waiting at once, in one small transaction; their rows are deleted after the
 * round, a slice at a time. In between, nothing of that batch is sent, sealed again, shown as
 * waiting or counted, and a sweep cut short is finished by the next one. On a real device (the
 * app's own code on fake-indexeddb) against the real endpoint.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { readEnrolment } from '../../src/app/core/device.ts';
import { acknowledge, allBatches, allSent, pendingBatches, recordRefusal, sweepAcknowledged } from '../../src/app/core/outbox.ts';
import { keptWaiting, waitingKeys } from '../../src/app/core/waiting.ts';
import { SyncClient } from '../../src/app/sync/client.ts';
import { syncRound } from '../../src/app/sync/engine.ts';
import { core, saveAnonymousVisits } from './helpers.ts';
import { newDevice, setUpOrganisationHere, startServer, syncUntilDone, type Device, type RunningServer } from './syncHarness.ts';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(() => server?.dispose());

/** The admin's device of a new organisation, with nothing waiting. */
async function newAdmin(prefix: string): Promise<{ device: Device; client: SyncClient }> {
  const device = await newDevice(prefix);
  const client = new SyncClient(server.url);
  await setUpOrganisationHere(client);
  await syncUntilDone(device, client);
  await sweepAcknowledged();
  return { device, client };
}

/** Seals what waits into batches, as a round does before it uploads; returns them. */
async function sealed() {
  await core().sealWaiting((await readEnrolment())!);
  return allBatches();
}

describe('acknowledging a batch', () => {
  it('stops its events waiting at once; until its rows are swept, nothing of it is sent, sealed again, shown or counted', async () => {
    const { device } = await newAdmin('ack-between');
    const ids = await saveAnonymousVisits(600);
    const [batch, ...others] = await sealed();
    expect(others).toEqual([]);
    expect(batch!.rows).toHaveLength(600);

    await acknowledge(batch!);
    // The rows are still there, listed by a batch that carries nothing to send.
    expect(await device.db.outbox.count()).toBe(600);
    const stored = await device.db.batches.get(batch!.batchId);
    expect(stored).toMatchObject({ state: 'acknowledged', activity: '', directory: '', rows: batch!.rows });
    expect(stored?.marks).toBeUndefined();
    // None of them waits, by every reader of the outbox.
    expect(await keptWaiting(device.db)).toBe(0);
    expect(await waitingKeys(device.db)).toEqual([]);
    expect((await core().outbox.waitingEvents()).events).toEqual([]);
    expect(await core().outbox.waitingAmong(ids)).toEqual(new Set());
    expect(await core().outbox.oldestWaitingAt()).toBeNull();
    expect(await allBatches()).toEqual([]);
    expect(await pendingBatches(null)).toEqual([]);
    expect(await allSent()).toBe(true);
    // Sealing again finds nothing to seal, and a second acknowledgement (another tab) takes nothing twice.
    expect(await core().sealWaiting((await readEnrolment())!)).toBe(0);
    await acknowledge(batch!);
    expect(await keptWaiting(device.db)).toBe(0);
    // A refusal another tab's round got for it meanwhile leaves it acknowledged, not waiting again.
    await recordRefusal(batch!, 'The request is too old.', false);
    expect(await device.db.batches.get(batch!.batchId)).toMatchObject({ state: 'acknowledged', activity: '' });
    expect(await pendingBatches(null)).toEqual([]);

    // A record saved meanwhile waits, and stays once the sweep has gone by.
    const [later] = await saveAnonymousVisits(1);
    expect(await keptWaiting(device.db)).toBe(1);
    expect(await core().outbox.waitingAmong([later!, ...ids])).toEqual(new Set([later]));
    await sweepAcknowledged();
    expect(await device.db.outbox.count()).toBe(1);
    expect(await device.db.batches.count()).toBe(0);
    expect(await waitingKeys(device.db)).toHaveLength(1);
    expect(await keptWaiting(device.db)).toBe(1);
  });

  it('a sweep cut short is finished by the next, and two at once delete each row once', async () => {
    const { device } = await newAdmin('ack-cut-short');
    await saveAnonymousVisits(700);
    const [batch] = await sealed();
    await acknowledge(batch!);
    // As a sweep leaves the rows when the page closes after its first slices.
    await device.db.outbox.bulkDelete(batch!.rows.slice(0, 300));
    expect(await device.db.batches.get(batch!.batchId)).toMatchObject({ state: 'acknowledged' });

    await Promise.all([sweepAcknowledged(), sweepAcknowledged()]);
    expect(await device.db.outbox.count()).toBe(0);
    expect(await device.db.batches.count()).toBe(0);
    expect(await device.db.device.get('waiting')).toEqual({ key: 'waiting', count: 0 });
  });

  it('a round as the app runs it is over once the server has everything; the rows go after it', async () => {
    const { device, client } = await newAdmin('ack-round');
    await saveAnonymousVisits(900);
    await checkIn(core(), null, ['shower']);

    const round = await syncRound(client, core(), { awaitSweep: false });
    expect(round).toMatchObject({ acknowledged: 901, stopped: null });
    // Whatever the sweep has done by now, nothing waits and nothing is left to send.
    expect(await keptWaiting(device.db)).toBe(0);
    expect(await waitingKeys(device.db)).toEqual([]);
    expect(await allSent()).toBe(true);

    await sweepAcknowledged();
    expect(await device.db.outbox.count()).toBe(0);
    expect(await device.db.batches.count()).toBe(0);
    // The next round sends nothing again.
    expect(await syncRound(client, core())).toMatchObject({ acknowledged: 0, stopped: null });
  });
});
