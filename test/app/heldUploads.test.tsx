/**
 * Held uploads on an outreach phone, as the person holding it sees them (docs/sync.md#held-uploads):
 * the app as it runs, with its own sync runtime and scheduler; the endpoint's answers are given as
 * the client hands them to a round (the real endpoint is in test/app/sync.test.ts). A save is held
 * and the status line says so in plain words; a round meanwhile reads the directory but sends
 * nothing; "Send now", unlocked or on the lock screen, sends at once; the phone's admin can switch
 * the hold off in Settings, and saves then go soon after, as on other devices.
 */
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/app/App.tsx';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { readUploadHold } from '../../src/app/core/uploadHold.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { unlock } from '../../src/app/lock/access.ts';
import { useFootfall } from '../../src/app/store.ts';
import { heldSentence } from '../../src/app/sync/SyncStatus.tsx';
import { generateTeamKey } from '../../src/crypto/envelope.ts';
import { enrolAs } from './careFixtures.ts';
import { ADMIN_PIN, core, setUpFresh } from './helpers.ts';
import { goTo } from './ui.tsx';

const HELD = /^Sending within (\d+) minutes, at a random time, so the server cannot tell when they were made\.$/;
const NOTHING_WAITING = /^Nothing waiting to sync; last synced \d\d:\d\d$/;

const runtime = await import('../../src/app/sync/runtime.ts');
const { syncClient } = runtime;
const serverTime = () => new Date().toISOString();
const putBatch = vi
  .spyOn(syncClient, 'putBatch')
  .mockImplementation(async () => ({ kind: 'ok', value: { status: 'stored', receivedAt: serverTime(), serverTime: serverTime() }, serverTime: serverTime() }));
const directory = vi
  .spyOn(syncClient, 'directory')
  .mockImplementation(async () => ({ kind: 'ok', value: { items: [], next: null, serverTime: serverTime() }, serverTime: serverTime() }));
vi.spyOn(syncClient, 'teamKeys').mockImplementation(async () => ({ kind: 'ok', value: { envelopes: [] }, serverTime: serverTime() }));

beforeAll(async () => {
  // The unlocked app is loaded lazily; loaded once here, no step waits on it.
  await import('../../src/app/Shell.tsx');
});

afterAll(() => {
  runtime.startSync().stop();
});

const banner = () => within(screen.getByRole('banner'));
const lockScreen = () => within(screen.getByRole('main'));

describe('held uploads on an outreach phone', () => {
  it('holds a save, says so, reads the directory meanwhile, and sends at once on "Send now"', async () => {
    const db = await setUpFresh('held');
    await enrolAs(db, 'outreach');
    await core().saveTeamKeys(new Map([[1, await generateTeamKey()]]));
    await refreshStatus();
    const waiting = async () => ({ events: await db.outbox.count(), batches: await db.batches.count() });
    const user = userEvent.setup();
    render(<App />);
    await screen.findByRole('heading', { name: 'Check in' });
    const scheduler = runtime.startSync();
    await waitFor(() => expect(banner().getByRole('status')).toHaveTextContent(NOTHING_WAITING));

    await act(async () => void (await registerWoman(core(), 'Rosa', {})));
    await waitFor(() => expect(banner().getByRole('status')).toHaveTextContent(/^1 record waiting to sync since \d\d:\d\d; last synced \d\d:\d\d$/));
    const held = await banner().findByText(HELD);
    const minutes = Number(HELD.exec(held.textContent!)![1]);
    expect(minutes).toBeGreaterThanOrEqual(5);
    expect(minutes).toBeLessThanOrEqual(30);

    // A round meanwhile (as every minute, or on reconnect) reads the directory but sends nothing
    // and seals nothing: what is held goes later, in as few batches as it fills.
    const reads = directory.mock.calls.length;
    scheduler.request();
    await waitFor(() => expect(directory.mock.calls.length).toBeGreaterThan(reads));
    await waitFor(() => expect(useFootfall.getState().sync.running).toBe(false));
    expect(putBatch).not.toHaveBeenCalled();
    expect(await waiting()).toEqual({ events: 1, batches: 0 });
    expect(banner().getByText(HELD)).toBeInTheDocument();

    await user.click(banner().getByRole('button', { name: 'Send now' }));
    await waitFor(() => expect(banner().getByRole('status')).toHaveTextContent(NOTHING_WAITING));
    expect(banner().queryByText(HELD)).not.toBeInTheDocument();
    expect(putBatch).toHaveBeenCalledTimes(1);
    expect(await waiting()).toEqual({ events: 0, batches: 0 });
    expect((await readUploadHold()).sendAfter).toBeNull();
    // Locked, the lock screen says the same, and "Send now" there sends what locking sealed.
    await act(async () => void (await registerWoman(core(), 'Blessing', {})));
    await banner().findByText(HELD);
    await user.click(banner().getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Footfall is locked' });
    await lockScreen().findByText(HELD);
    await waitFor(async () => expect(await waiting()).toEqual({ events: 1, batches: 1 })); // sealed on locking
    expect(putBatch).toHaveBeenCalledTimes(1);
    await user.click(lockScreen().getByRole('button', { name: 'Send now' }));
    await waitFor(() => expect(lockScreen().getByRole('status')).toHaveTextContent(/^Nothing waiting to sync; last synced \d\d:\d\d$/));
    expect(putBatch).toHaveBeenCalledTimes(2);
    expect(await waiting()).toEqual({ events: 0, batches: 0 });

    // The phone's admin switches the hold off: a save then goes soon after, by itself.
    const grace = useFootfall.getState().staff.find((s) => s.name === 'Grace')!;
    await act(async () => void expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true }));
    await screen.findByRole('heading', { name: 'Check in' });
    await goTo(user, 'Settings');
    const device = within(screen.getByRole('region', { name: 'This device' }));
    const holdSwitch = device.getByRole('checkbox', { name: 'Hold records for a random time before sending' });
    expect(holdSwitch).toBeChecked(); // on by default on an outreach phone
    await user.click(holdSwitch);
    await screen.findByText('Records from this device are now sent soon after they are saved.');
    expect(holdSwitch).not.toBeChecked();
    expect(await readUploadHold()).toMatchObject({ on: false, chosen: false });

    await act(async () => void (await registerWoman(core(), 'Amira', {})));
    await waitFor(() => expect(banner().getByRole('status')).toHaveTextContent(NOTHING_WAITING));
    expect(banner().queryByText(HELD)).not.toBeInTheDocument();
    expect(putBatch).toHaveBeenCalledTimes(3);
  });

  it('says how long in words a volunteer understands, online and offline', () => {
    const now = Date.parse('2026-03-02T10:00:00Z');
    expect(heldSentence(now + 24 * 60_000 + 1, now, true)).toBe('Sending within 25 minutes, at a random time, so the server cannot tell when they were made.');
    expect(heldSentence(now + 30_000, now, true)).toBe('Sending within 1 minute, at a random time, so the server cannot tell when they were made.');
    expect(heldSentence(now + 10 * 60_000, now, false)).toBe(
      'Held for up to 10 minutes more, at a random time, so the server cannot tell when they were made; then sent once there is signal.',
    );
    // The time has come: the status line says only what waits, as on any device.
    expect(heldSentence(now, now, true)).toBeNull();
  });
});
