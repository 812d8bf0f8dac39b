import { act, screen, within } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { applyDirectory } from '../../src/app/directory/directoryActions.ts';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { enrolAs } from './careFixtures.ts';
import { useFootfall } from '../../src/app/store.ts';
import { DESK_PIN, currentSession, readEvents, core } from './helpers.ts';
import { goTo, renderUnlocked, tiles, type User } from './ui.tsx';

const region = (name: string) => within(screen.getByRole('region', { name }));
const notice = () => screen.getAllByRole('status').find((s) => s.classList.contains('notice'))!;

async function anonymousTiles(user: User): Promise<Record<string, boolean>> {
  await goTo(user, 'Check in');
  await user.click(screen.getByRole('button', { name: 'Anonymous visit' }));
  const dialog = screen.getByRole('dialog', { name: 'Anonymous visit' });
  const result = tiles(dialog);
  await user.keyboard('{Escape}');
  return result;
}

// The unlocked app is loaded lazily; loaded once here, no test waits on it.
beforeAll(async () => {
  await import('../../src/app/Shell.tsx');
});

describe('Settings', () => {
  it('adds a service, which then appears as a tile on check-in', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const services = region('Services');
    await user.click(services.getByRole('button', { name: 'Add service' }));
    expect(services.getByRole('alert')).toHaveTextContent("Enter the new service's name.");
    await user.type(services.getByRole('textbox', { name: 'New service' }), 'meal');
    await user.click(services.getByRole('button', { name: 'Add service' }));
    expect(services.getByRole('alert')).toHaveTextContent('There is already a service called “meal”.');

    await user.clear(services.getByRole('textbox', { name: 'New service' }));
    await user.type(services.getByRole('textbox', { name: 'New service' }), 'Hot drink');
    await user.click(services.getByRole('button', { name: 'Add service' }));
    expect(await screen.findByText('Hot drink added.')).toBe(notice());
    expect(services.queryByRole('alert')).not.toBeInTheDocument();
    expect(services.getByRole('textbox', { name: 'New service' })).toHaveValue('');
    expect(services.getByRole('button', { name: 'Retire Hot drink' })).toBeInTheDocument();
    expect(currentSession().config.services.at(-1)).toEqual({ key: 'hot-drink', label: 'Hot drink', retired: false });

    expect(Object.keys(await anonymousTiles(user))).toEqual(['Meal', 'Shower', 'Laundry', 'Clean clothes', 'Advice', 'Hot drink']);
    await user.click(screen.getByRole('button', { name: 'Anonymous visit' }));
    const dialog = screen.getByRole('dialog', { name: 'Anonymous visit' });
    await user.click(within(dialog).getByRole('button', { name: 'Hot drink' }));
    await user.click(within(dialog).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Anonymous visit saved.');
    await goTo(user, 'Today');
    expect(within(screen.getByLabelText('Today’s figures')).getByText('Hot drink')).toBeInTheDocument();
  });

  it('retires a service: it leaves new check-ins but stays on visits that had it', async () => {
    const { user } = await renderUnlocked();
    // A visit with laundry first.
    await user.click(screen.getByRole('button', { name: 'Anonymous visit' }));
    let dialog = screen.getByRole('dialog', { name: 'Anonymous visit' });
    await user.click(within(dialog).getByRole('button', { name: 'Laundry' }));
    await user.click(within(dialog).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Anonymous visit saved.');

    await goTo(user, 'Settings');
    await user.click(region('Services').getByRole('button', { name: 'Retire Laundry' }));
    expect(await screen.findByText('Laundry retired.')).toBe(notice());
    expect(region('Services').getByText('Laundry (retired)')).toBeInTheDocument();
    expect(region('Services').getByRole('button', { name: 'Bring back Laundry' })).toBeInTheDocument();

    expect(Object.keys(await anonymousTiles(user))).not.toContain('Laundry');

    // The visit that had it still shows it, and can still take it off.
    await goTo(user, 'Today');
    await user.click(screen.getByRole('button', { name: /^Services for Anonymous at / }));
    dialog = screen.getByRole('dialog', { name: 'Services for Anonymous' });
    expect(tiles(dialog)).toMatchObject({ Laundry: true });
    await user.keyboard('{Escape}');

    await goTo(user, 'Settings');
    await user.click(region('Services').getByRole('button', { name: 'Bring back Laundry' }));
    expect(await screen.findByText('Laundry brought back.')).toBe(notice());
    expect(Object.keys(await anonymousTiles(user))).toContain('Laundry');
  });

  it('changes the idle lock time, refusing numbers out of range', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const idle = region('Automatic lock');
    const field = idle.getByRole('spinbutton', { name: 'Lock after this many minutes without use' });
    expect(field).toHaveValue(5);
    for (const bad of ['0', '241', '2.5']) {
      await user.clear(field);
      await user.type(field, bad);
      await user.click(idle.getByRole('button', { name: 'Save lock time' }));
      expect(idle.getByRole('alert')).toHaveTextContent('Enter a whole number of minutes from 1 to 240.');
    }
    await user.clear(field);
    await user.click(idle.getByRole('button', { name: 'Save lock time' }));
    expect(idle.getByRole('alert')).toHaveTextContent('Enter a whole number of minutes from 1 to 240.');
    expect(currentSession().config.idleLockMinutes).toBe(5);

    await user.type(field, '15');
    await user.click(idle.getByRole('button', { name: 'Save lock time' }));
    expect(await screen.findByText('The app now locks after 15 minutes idle.')).toBe(notice());
    expect(idle.queryByRole('alert')).not.toBeInTheDocument();
    expect(currentSession().config.idleLockMinutes).toBe(15);
  });

  it('adds a staff member, refusing a missing name or a weak PIN', async () => {
    const { user, db } = await renderUnlocked();
    await goTo(user, 'Settings');
    const staff = region('Staff on this device');
    const add = () => user.click(staff.getByRole('button', { name: 'Add staff member' }));
    // No one can remove herself.
    expect(staff.getByText('Grace')).toBeInTheDocument();
    expect(staff.queryByRole('button', { name: 'Remove Grace' })).not.toBeInTheDocument();

    await add();
    expect(staff.getByRole('alert')).toHaveTextContent('Enter her name.');
    await user.type(staff.getByRole('textbox', { name: 'Name' }), 'Mary');
    await add();
    expect(staff.getByRole('alert')).toHaveTextContent('Enter a PIN of 6 to 12 digits.');
    await user.type(staff.getByLabelText('Her PIN (6 to 12 digits)'), '654321');
    await add();
    expect(staff.getByRole('alert')).toHaveTextContent('That PIN is too easy to guess. Avoid repeated or consecutive digits.');
    expect(await db.staff.count()).toBe(1);

    await user.clear(staff.getByLabelText('Her PIN (6 to 12 digits)'));
    await user.type(staff.getByLabelText('Her PIN (6 to 12 digits)'), DESK_PIN);
    expect(staff.getByRole('combobox', { name: 'Role' })).toHaveValue('frontDesk');
    await add();
    expect(await staff.findByText('Mary can now unlock this device with her PIN.')).toBeInTheDocument();
    expect(staff.queryByRole('alert')).not.toBeInTheDocument();
    expect(staff.getByRole('textbox', { name: 'Name' })).toHaveValue('');
    expect(staff.getByLabelText('Her PIN (6 to 12 digits)')).toHaveValue('');
    expect(staff.getByRole('button', { name: 'Remove Mary' })).toBeInTheDocument();
    expect(useFootfall.getState().staff.map((s) => [s.name, s.role])).toEqual([
      ['Grace', 'admin'],
      ['Mary', 'frontDesk'],
    ]);

    // Removing asks once more, and can be taken back.
    await user.click(staff.getByRole('button', { name: 'Remove Mary' }));
    await user.click(staff.getByRole('button', { name: 'Keep Mary' }));
    expect((await db.staff.toArray()).find((s) => s.name === 'Mary')).not.toHaveProperty('removed');
    await user.click(staff.getByRole('button', { name: 'Remove Mary' }));
    await user.click(staff.getByRole('button', { name: 'Yes, remove Mary' }));
    expect(await staff.findByText('Mary can no longer unlock this device.')).toBeInTheDocument();
    expect(staff.queryByRole('button', { name: /Remove Mary/ })).not.toBeInTheDocument();
    expect((await db.staff.toArray()).find((s) => s.name === 'Mary')).toMatchObject({ removed: true });
  });

  it('saves the organisation’s name, printed at the top of every report', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const card = region('Organisation name');
    await user.type(card.getByRole('textbox', { name: 'Printed at the top of every report' }), '  Beyond the Streets ');
    await user.click(card.getByRole('button', { name: 'Save name' }));
    expect(await screen.findByText('Organisation name saved.')).toBe(notice());
    expect(currentSession().config.name).toBe('Beyond the Streets');
  });

  it('shows settings saved elsewhere while it is open (the name given at set-up, a shared change), so Save never writes back a stale value', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const config = currentSession().config;
    await act(() => core().saveConfig({ ...config, name: 'Beyond the Streets', idleLockMinutes: 7, safeguardingNote: 'Tell the duty lead.' }));
    expect(region('Organisation name').getByRole('textbox', { name: 'Printed at the top of every report' })).toHaveValue('Beyond the Streets');
    expect(region('Automatic lock').getByRole('spinbutton')).toHaveValue(7);
    expect(region('Safeguarding note').getByRole('textbox')).toHaveValue('Tell the duty lead.');
  });

  it('saves the safeguarding note shown for under-18s', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const note = region('Safeguarding note');
    const field = note.getByRole('textbox', { name: 'Shown when a woman’s age is recorded as under 18' });
    await user.clear(field);
    await user.type(field, 'Call the duty safeguarding lead now.');
    await user.click(note.getByRole('button', { name: 'Save note' }));
    expect(await screen.findByText('Safeguarding note saved.')).toBe(notice());

    await goTo(user, 'Check in');
    await user.click(screen.getByRole('button', { name: 'Register a new woman' }));
    const dialog = within(screen.getByRole('dialog', { name: 'Register a new woman' }));
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Age' }), 'Under 18');
    expect(dialog.getByRole('alert')).toHaveTextContent('Call the duty safeguarding lead now.');
  });

  it('adds a site, which the device can then be moved to', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    await user.type(region('Sites').getByRole('textbox', { name: 'New site' }), 'Outreach van');
    await user.click(region('Sites').getByRole('button', { name: 'Add site' }));
    expect(await screen.findByText('Outreach van added.')).toBe(notice());
    const select = region('This device').getByRole('combobox', { name: 'Site this device is used at' });
    await user.selectOptions(select, 'Outreach van');
    expect(await screen.findByText('Site changed for this device.')).toBe(notice());
    expect(useFootfall.getState().identity?.siteKey).toBe('outreach-van');
    expect(screen.getByText(/Outreach van · Grace/)).toBeInTheDocument();
  });

  it('warns when the shared settings no longer list the device’s site, until one is chosen', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const device = region('This device');
    expect(device.queryByRole('alert')).not.toBeInTheDocument();
    const config = currentSession().config;
    const id = uuidv7();
    const shared = { ...config, sites: [{ key: 'hub', name: 'Hub', retired: false }, { key: 'van', name: 'Van', retired: false }] };
    await act(() => applyDirectory(core(), [{ id, at: new Date().toISOString(), deviceId: 'admin', staffId: 'admin', type: 'org.configured', config: shared }]));
    expect(device.getByRole('alert')).toHaveTextContent('The organisation’s settings no longer list this device’s site.');
    const select = device.getByRole('combobox', { name: 'Site this device is used at' });
    expect(select).toHaveValue('');
    await user.selectOptions(select, 'Van');
    expect(await screen.findByText('Site changed for this device.')).toBe(notice());
    expect(device.queryByRole('alert')).not.toBeInTheDocument();
    expect(useFootfall.getState().identity?.siteKey).toBe('van');
  });

  it('resets a staff member’s PIN: the new one unlocks, the old one no longer does', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const staff = region('Staff on this device');
    await user.type(staff.getByRole('textbox', { name: 'Name' }), 'Mary');
    await user.type(staff.getByLabelText('Her PIN (6 to 12 digits)'), DESK_PIN);
    await user.click(staff.getByRole('button', { name: 'Add staff member' }));
    await staff.findByText('Mary can now unlock this device with her PIN.');

    await user.click(staff.getByRole('button', { name: 'Reset PIN for Mary' }));
    const field = staff.getByLabelText('New PIN for Mary (6 to 12 digits)');
    expect(field).toHaveFocus();
    await user.type(field, '1234');
    await user.click(staff.getByRole('button', { name: 'Save new PIN' }));
    expect(staff.getByRole('alert')).toHaveTextContent('A PIN needs at least 6 digits.');
    await user.clear(field);
    await user.type(field, '591738');
    await user.click(staff.getByRole('button', { name: 'Save new PIN' }));
    expect(await staff.findByText('Mary’s PIN is changed. Her old PIN no longer unlocks this device.')).toBeInTheDocument();
    expect(staff.queryByLabelText('New PIN for Mary (6 to 12 digits)')).not.toBeInTheDocument();

    const mary = useFootfall.getState().staff.find((x) => x.name === 'Mary')!;
    await act(() => lock());
    expect(await unlock(mary.id, DESK_PIN)).toMatchObject({ ok: false });
    expect(await act(() => unlock(mary.id, '591738'))).toMatchObject({ ok: true });
  });

  it('edits the other lists: a casework topic added, an age band retired keeping its under-18 flag', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const lists = region('Other lists');
    const which = lists.getByRole('combobox', { name: 'List to edit' });
    expect(lists.getByRole('heading', { name: 'Age bands' })).toBeInTheDocument();
    await user.click(lists.getByRole('button', { name: 'Retire Under 18' }));
    expect(await screen.findByText('Age bands: Under 18 retired.')).toBe(notice());
    expect(currentSession().config.terms.ageBand[0]).toEqual({ key: 'under-18', label: 'Under 18', under18: true, retired: true });
    await user.type(lists.getByRole('textbox', { name: 'New age band' }), '75 and over');
    await user.click(lists.getByRole('button', { name: 'Add age band' }));
    await screen.findByText('Age bands: 75 and over added.');
    expect(currentSession().config.terms.ageBand.at(-1)).toEqual({ key: '75-and-over', label: '75 and over', under18: false, retired: false });

    await user.selectOptions(which, 'Casework topics');
    expect(lists.getByRole('heading', { name: 'Casework topics' })).toBeInTheDocument();
    expect(lists.getByRole('textbox', { name: 'New topic' })).toHaveValue('');
    await user.type(lists.getByRole('textbox', { name: 'New topic' }), 'Debt');
    await user.click(lists.getByRole('button', { name: 'Add topic' }));
    expect(await screen.findByText('Casework topics: Debt added.')).toBe(notice());
    expect(currentSession().config.caseworkTopics.at(-1)).toEqual({ key: 'debt', label: 'Debt', retired: false });

    await user.selectOptions(which, 'Referral destinations');
    await user.click(lists.getByRole('button', { name: 'Retire Police' }));
    await screen.findByText('Referral destinations: Police retired.');
    expect(currentSession().config.referralDestinations.find((t) => t.key === 'police')?.retired).toBe(true);
    await user.selectOptions(which, 'Forms of exploitation');
    await user.type(lists.getByRole('textbox', { name: 'New form of exploitation' }), 'Online');
    await user.click(lists.getByRole('button', { name: 'Add form of exploitation' }));
    await screen.findByText('Forms of exploitation: Online added.');
    expect(currentSession().config.terms.exploitation.at(-1)).toMatchObject({ key: 'online', label: 'Online' });
  });

  it('on the enrolled admin device, shares each change with every device as an event', async () => {
    const { user, db } = await renderUnlocked();
    await enrolAs(db, 'admin');
    await act(() => refreshStatus());
    await goTo(user, 'Settings');
    // Until it shares its settings, the other devices keep their own: it offers to.
    await user.click(await screen.findByRole('button', { name: 'Share these settings with every device' }));
    expect(await screen.findByText('These settings are shared: every device gets them when it next syncs.')).toBe(notice());
    expect(screen.queryByRole('region', { name: 'Share these settings' })).not.toBeInTheDocument();
    await user.type(region('Services').getByRole('textbox', { name: 'New service' }), 'Haircut');
    await user.click(region('Services').getByRole('button', { name: 'Add service' }));
    expect(await screen.findByText('Haircut added. Every device gets the change when it next syncs.')).toBe(notice());
    const events = await readEvents(db, core().keyring);
    expect(events.map((e) => e.type)).toEqual(['org.configured', 'org.configured']);
    expect(events[1]).toMatchObject({ config: { services: expect.arrayContaining([{ key: 'haircut', label: 'Haircut', retired: false }]) } });
  });

  it('on another enrolled device, leaves the organisation’s lists to the admin’s device', async () => {
    const { user, db } = await renderUnlocked();
    await enrolAs(db, 'frontDesk');
    await act(() => refreshStatus());
    await goTo(user, 'Settings');
    expect(screen.getByRole('region', { name: 'The organisation’s settings' })).toHaveTextContent('This device takes the organisation’s settings from the admin’s device.');
    expect(screen.queryByRole('region', { name: 'Services' })).not.toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Other lists' })).not.toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'This device' })).toBeInTheDocument();
    // Its people come from the organisation's, managed on the admin's device only.
    expect(screen.queryByRole('region', { name: 'Staff on this device' })).not.toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'People' })).not.toBeInTheDocument();
  });

  it('offers to hold this device’s uploads once it is enrolled: off on a front-desk tablet until chosen, and kept', async () => {
    const { user, db } = await renderUnlocked();
    await goTo(user, 'Settings');
    const device = region('This device');
    const label = 'Hold records for a random time before sending';
    expect(device.queryByRole('checkbox', { name: label })).not.toBeInTheDocument(); // nothing to send yet

    await enrolAs(db, 'frontDesk');
    await act(() => refreshStatus());
    const holdSwitch = await device.findByRole('checkbox', { name: label });
    expect(holdSwitch).not.toBeChecked();
    expect(holdSwitch).toHaveAccessibleDescription(/^Records wait a random 5 to 30 minutes after they are saved, so the server cannot tell when they were made\./);
    await user.click(holdSwitch);
    expect(await screen.findByText('Records from this device now wait a random 5 to 30 minutes before they are sent.')).toBe(notice());
    expect(holdSwitch).toBeChecked();
    expect(await db.device.get('uploadHold')).toEqual({ key: 'uploadHold', chosen: true });
  });
});
