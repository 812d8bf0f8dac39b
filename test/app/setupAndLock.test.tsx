import { act, cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addStaff } from '../../src/app/settings/settingsActions.ts';
import { lock } from '../../src/app/lock/access.ts';
import { boot } from '../../src/app/core/device.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { App } from '../../src/app/App.tsx';
import { FootfallDb, type DeviceRow } from '../../src/app/core/database.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { useFootfall } from '../../src/app/store.ts';
import { ADMIN_PIN, DESK_PIN, resetStore, uniqueDbName, core } from './helpers.ts';
import { goTo, nav, renderNewDevice, renderUnlocked } from './ui.tsx';

afterEach(() => {
  vi.useRealTimers();
});

describe('setting up a new device', () => {
  it('explains each missing or wrong field, then opens the check-in screen', async () => {
    const { user, db } = await renderNewDevice();
    const submit = screen.getByRole('button', { name: 'Set up this device' });
    const alert = () => screen.getByRole('alert');

    await user.click(submit);
    expect(alert()).toHaveTextContent('Give this device a name, such as "Front desk tablet".');

    await user.type(screen.getByRole('textbox', { name: 'Device name' }), 'Front desk tablet');
    await user.click(submit);
    expect(alert()).toHaveTextContent('Name the site this device is used at.');

    await user.type(screen.getByRole('textbox', { name: 'Site' }), 'Drop-in centre');
    await user.click(submit);
    expect(alert()).toHaveTextContent('Enter your name.');

    await user.type(screen.getByRole('textbox', { name: 'Your name' }), 'Grace');
    await user.type(screen.getByLabelText('Your PIN (6 to 12 digits)'), '123');
    await user.click(submit);
    expect(alert()).toHaveTextContent('A PIN needs at least 6 digits.');

    await user.clear(screen.getByLabelText('Your PIN (6 to 12 digits)'));
    await user.type(screen.getByLabelText('Your PIN (6 to 12 digits)'), '123456');
    await user.click(submit);
    expect(alert()).toHaveTextContent('That PIN is too easy to guess. Avoid repeated or consecutive digits.');

    await user.clear(screen.getByLabelText('Your PIN (6 to 12 digits)'));
    await user.type(screen.getByLabelText('Your PIN (6 to 12 digits)'), ADMIN_PIN);
    await user.type(screen.getByLabelText('Your PIN again'), '482916');
    await user.click(submit);
    expect(alert()).toHaveTextContent('The two PINs are not the same. Enter them again.');
    // Nothing is stored until the form is right.
    expect(await db.device.count()).toBe(0);

    await user.clear(screen.getByLabelText('Your PIN again'));
    await user.type(screen.getByLabelText('Your PIN again'), ADMIN_PIN);
    await user.click(submit);

    expect(await screen.findByRole('heading', { name: 'Check in' }, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByText(/Drop-in centre · Grace/)).toBeInTheDocument();
    expect(nav().getAllByRole('button').map((b) => b.textContent)).toEqual(['Check in', 'Today', 'Outreach', 'Casework', 'Reports', 'Settings']);
    expect(screen.getByRole('searchbox', { name: 'Find a woman by the name she goes by' })).toHaveFocus();
    expect(await db.device.get('identity')).toMatchObject({ deviceName: 'Front desk tablet' });
  });

  it('shows a clear message when storage cannot be opened', async () => {
    resetStore();
    const name = uniqueDbName('ui-newer');
    // A database a newer Footfall has upgraded.
    const request = indexedDB.open(name, 990);
    await new Promise((resolve) => (request.onsuccess = () => resolve(request.result.close())));
    await boot(new FootfallDb(name));
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Footfall cannot open' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('This device holds data from a newer version of Footfall. Reload to get the update.');
  });
});

describe('a cold start', () => {
  it('shows the lock screen before the waiting count is read, says it is checking, then shows the count', async () => {
    const { db: first } = await renderUnlocked();
    await act(() => checkIn(core(), null, ['meal']));
    await act(() => checkIn(core(), null, ['shower']));
    await act(() => lock());
    cleanup();

    // A page load whose read of the waiting count has not come back yet.
    resetStore();
    const db = new FootfallDb(first.name);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const get = db.device.get.bind(db.device) as (key: string) => Promise<DeviceRow | undefined>;
    vi.spyOn(db.device, 'get').mockImplementation((async (key: string) => {
      if (key === 'waiting') await held;
      return get(key);
    }) as unknown as typeof db.device.get);
    await boot(db);
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Footfall is locked' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Unlock' })).toBeInTheDocument();
    expect(screen.getByText(/^Checking for records waiting to sync$/)).toBeInTheDocument();

    release();
    // The count comes before the rest of the status: until that is read, enrolment is not guessed
    // (an enrolled tablet was called "not enrolled yet" for a moment).
    expect(await screen.findByText(/^2 records waiting to sync$/)).toBeInTheDocument();
    await act(() => refreshStatus());
    expect(await screen.findByText(/^2 records waiting to sync; not enrolled yet$/)).toBeInTheDocument();
  });
});

describe('locking', () => {
  it('locks at once with the Lock button and unlocks with her PIN', async () => {
    const { user } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    expect(screen.getByRole('heading', { name: 'Footfall is locked' })).toBeInTheDocument();
    expect(screen.queryByRole('navigation', { name: 'Screens' })).not.toBeInTheDocument();
    expect(screen.getByText('Front desk tablet')).toBeInTheDocument();

    // The only staff member is already chosen.
    const group = screen.getByRole('group', { name: 'Who are you?' });
    expect(within(group).getByRole('radio', { name: 'Grace' })).toBeChecked();

    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Enter your PIN.');

    await user.type(screen.getByLabelText('PIN'), '999111');
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByText('That PIN is not right. 3 more tries before a wait.')).toHaveAttribute('role', 'alert');
    expect(screen.getByLabelText('PIN')).toHaveValue('');

    await user.type(screen.getByLabelText('PIN'), ADMIN_PIN);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByRole('heading', { name: 'Check in' })).toBeInTheDocument();
    expect(useFootfall.getState().lock.failures).toBe(0);
  });

  it('asks her to choose her name when several people use the device', async () => {
    const { user } = await renderUnlocked();
    await act(() => addStaff(core(), 'Mary', 'frontDesk', DESK_PIN));
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    await user.type(screen.getByLabelText('PIN'), DESK_PIN);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Choose your name first.');
    // The PIN she typed is kept while she picks her name.
    expect(screen.getByLabelText('PIN')).toHaveValue(DESK_PIN);
    await user.click(screen.getByRole('radio', { name: 'Mary' }));
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByRole('heading', { name: 'Check in' })).toBeInTheDocument();
    expect(screen.getByText(/· Mary/)).toBeInTheDocument();
  });

  it('shows only admins, and says why, on a held device', async () => {
    const { db } = await renderUnlocked();
    await act(() => addStaff(core(), 'Mary', 'frontDesk', DESK_PIN));
    await db.device.put({ key: 'lock', failures: 10, held: true });
    useFootfall.setState({ lock: { key: 'lock', failures: 10, held: true } });
    await act(() => lock());
    expect(screen.getByRole('alert')).toHaveTextContent('Only an admin can unlock this device now. Nothing on it has been deleted.');
    expect(screen.getAllByRole('radio').map((r) => r.closest('label')!.textContent)).toEqual(['Grace']);
  });

  it('disables the PIN field and counts down while she must wait', async () => {
    const { user } = await renderUnlocked();
    useFootfall.setState({ lock: { key: 'lock', failures: 6, held: false } }); // six wrong PINs: a minute's wait
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    expect(screen.getByLabelText('PIN')).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Unlock' })).toBeDisabled();
    expect(screen.getByText(/^Wait (60 seconds|1 minute) before trying again\.$/)).toBeInTheDocument();
  });

  it('shows the right wait after a wrong PIN, however long the lock screen has been open', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { user, db } = await renderUnlocked();
    const fourth = { key: 'lock' as const, failures: 4, held: false };
    await db.device.put(fourth);
    useFootfall.setState({ lock: fourth });
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Footfall is locked' });
    vi.setSystemTime(Date.now() + 10 * 60_000);

    await user.type(screen.getByLabelText('PIN'), '999111');
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That PIN is not right. Wait 30 seconds before trying again.');
    expect(screen.getByText(/^Wait .* before trying again\.$/)).toHaveTextContent('Wait 30 seconds before trying again.');
    expect(screen.getByLabelText('PIN')).toBeDisabled();
  });

  it('locks by itself after the idle time', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { user } = await renderUnlocked();
    const minutes = (useFootfall.getState().phase as { session: { config: { idleLockMinutes: number } } }).session.config.idleLockMinutes;
    act(() => vi.advanceTimersByTime((minutes - 1) * 60_000));
    expect(screen.getByRole('heading', { name: 'Check in' })).toBeInTheDocument();
    // Activity starts the count again.
    await user.keyboard('a');
    act(() => vi.advanceTimersByTime(2 * 60_000));
    expect(screen.getByRole('heading', { name: 'Check in' })).toBeInTheDocument();
    act(() => vi.advanceTimersByTime(minutes * 60_000));
    expect(screen.getByRole('heading', { name: 'Footfall is locked' })).toBeInTheDocument();
  });
});

describe('front-desk staff', () => {
  it('do not see Settings', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const staff = screen.getByRole('region', { name: 'Staff on this device' });
    await user.type(within(staff).getByRole('textbox', { name: 'Name' }), 'Mary');
    await user.type(within(staff).getByLabelText('Her PIN (6 to 12 digits)'), DESK_PIN);
    await user.click(within(staff).getByRole('button', { name: 'Add staff member' }));
    expect(await within(staff).findByText('Mary can now unlock this device with her PIN.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Lock' }));
    await user.click(screen.getByRole('radio', { name: 'Mary' }));
    await user.type(screen.getByLabelText('PIN'), DESK_PIN);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    await screen.findByRole('heading', { name: 'Check in' });
    expect(nav().getAllByRole('button').map((b) => b.textContent)).toEqual(['Check in', 'Today']);
    expect(screen.queryByRole('button', { name: 'Settings' })).not.toBeInTheDocument();
  });
});
