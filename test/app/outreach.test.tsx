import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { addStaff } from '../../src/app/settings/settingsActions.ts';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { App } from '../../src/app/App.tsx';
import { useFootfall } from '../../src/app/store.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { instantOf, localDateOf, localTimeOf } from '../../src/domain/time.ts';
import { ADMIN_PIN, DESK_PIN, currentSession, readEvents, setUpFresh, core } from './helpers.ts';
import { nav, renderUnlocked, type User } from './ui.tsx';
import { useDrafts } from '../../src/app/shared/useDraftWhile.ts';

const TZ = 'Europe/London';
const group = (name: string) => within(screen.getByRole('group', { name }));
const notice = () => screen.getAllByRole('status').find((s) => s.classList.contains('notice'))!;
const contactsList = () => within(screen.getByRole('list', { name: 'Today’s contacts' }));

/** Grace's device with Precious registered, on the Outreach tab. */
async function outreach() {
  const rendered = await renderUnlocked();
  const precious = await act(() => registerWoman(core(), 'Precious', {}));
  await rendered.user.click(nav().getByRole('button', { name: 'Outreach' }));
  await screen.findByRole('heading', { level: 1, name: 'Outreach' });
  return { ...rendered, precious };
}

async function chooseArea(user: User, query: string, area: string) {
  await user.type(group('Area').getByRole('searchbox', { name: 'Find an area' }), query);
  await user.click(group('Area').getByRole('button', { name: area }));
}

async function findWoman(user: User, query: string, name: string) {
  await user.type(group('The woman').getByRole('searchbox', { name: 'Find a woman by the name she goes by' }), query);
  await user.click(within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name }));
}

describe('the Outreach screen', () => {
  it('records a contact with a known woman, confirms it, resets for the next and lists it', async () => {
    const { user, db, precious } = await outreach();
    // When: now, shown in the fields so she can change it.
    const now = Date.now();
    expect(screen.getByLabelText('Date')).toHaveValue(localDateOf(now, TZ));
    expect((screen.getByLabelText('Time') as HTMLInputElement).value).toMatch(/^\d\d:\d\d$/);
    expect(screen.getByText('Now. Change the date or time if it was earlier.')).toBeInTheDocument();
    // No free text anywhere: the only typing is searching.
    expect(screen.queryAllByRole('textbox')).toEqual([]);

    await chooseArea(user, 'hack', 'Hackney');
    expect(group('Area').getByRole('button', { name: 'Hackney' })).toHaveAttribute('aria-pressed', 'true');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Street' }));
    await findWoman(user, 'prec', 'Precious');
    expect(group('The woman').getByText('Precious')).toBeInTheDocument();
    expect(group('The woman').getByRole('button', { name: 'Change woman' })).toHaveFocus();
    await user.click(group('Needs raised').getByRole('button', { name: 'Food' }));
    await user.click(group('Needs raised').getByRole('button', { name: 'Housing' }));
    await user.click(group('Support given').getByRole('button', { name: 'Hygiene kit' }));
    await user.click(group('Referrals made').getByRole('button', { name: 'GP' }));
    expect(group('Needs raised').getByRole('button', { name: 'Food' })).toHaveAttribute('aria-pressed', 'true');
    expect(group('Support given').getByRole('button', { name: 'Food' })).toHaveAttribute('aria-pressed', 'false');
    expect(useDrafts.getState().open).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Save contact' }));

    await waitFor(() => expect(notice()).toHaveTextContent(/^Contact saved: Precious, Hackney, \d\d:\d\d\. Ready for the next one\.$/));
    // Reset for the next contact, in the same area.
    expect(group('Kind of place').getByRole('radio', { name: 'Street' })).not.toBeChecked();
    expect(group('The woman').getByRole('searchbox', { name: 'Find a woman by the name she goes by' })).toHaveValue('');
    expect(group('Needs raised').getByRole('button', { name: 'Food' })).toHaveAttribute('aria-pressed', 'false');
    expect(group('Area').getByRole('button', { name: 'Hackney' })).toHaveAttribute('aria-pressed', 'true');
    // The form's effects run after the render that emptied it.
    await waitFor(() => expect(useDrafts.getState().open).toBe(false));

    const [row] = contactsList().getAllByRole('listitem');
    expect(row).toHaveTextContent(/^Precious \d\d:\d\dHackney · StreetVoid$/);
    const s = currentSession();
    const events = await readEvents(db, core().keyring);
    const contact = events.at(-1)!;
    expect(contact).toMatchObject({
      type: 'outreach.contacted',
      womanId: precious.id,
      area: 'hackney',
      place: 'street',
      needs: ['food', 'housing'],
      support: ['hygiene-kit'],
      referrals: ['gp'],
      staffId: s.staff.id,
    });
    if (contact.type !== 'outreach.contacted') throw new Error('not a contact');
    expect(contact.occurredAt).toBe(contact.at);
    expect(s.contacts.map((r) => r.id)).toEqual([contact.id]);
  });

  it('records a contact with an unknown woman, and says what is missing first', async () => {
    const { user, db } = await outreach();
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Choose the woman: find her, register her as new, or choose Unknown.');
    await user.click(group('The woman').getByRole('button', { name: 'Unknown / did not give a name' }));
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose the area where you met her.');
    await chooseArea(user, 'city', 'City of London');
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose the kind of place.');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Police station' }));
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    await waitFor(() => expect(notice()).toHaveTextContent(/^Contact saved: Unknown, City of London, \d\d:\d\d\./));
    expect(contactsList().getAllByRole('listitem')[0]).toHaveTextContent(/^Unknown \d\d:\d\dCity of London · Police station/);
    const events = await readEvents(db, core().keyring);
    expect(events.at(-1)).toMatchObject({ type: 'outreach.contacted', womanId: null, area: 'city-of-london', place: 'police-station', needs: [], support: [], referrals: [] });
  });

  it('registers a new woman with the front desk’s form, safeguarding note included', async () => {
    const { user, db } = await outreach();
    await user.type(group('The woman').getByRole('searchbox', { name: 'Find a woman by the name she goes by' }), 'Blessing');
    expect(screen.getByText('No one known as “Blessing” yet.')).toBeInTheDocument();
    await user.click(group('The woman').getByRole('button', { name: 'New woman: “Blessing”' }));
    const dialog = within(screen.getByRole('dialog', { name: 'Register a new woman' }));
    expect(dialog.getByRole('textbox', { name: 'Known as' })).toHaveValue('Blessing');
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Age' }), 'Under 18');
    expect(dialog.getByRole('alert')).toHaveTextContent(/^She may be under 18\. Follow the safeguarding procedure/);
    await user.click(dialog.getByRole('button', { name: 'Register' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    // She is the chosen woman now; the note stays in view while the contact is recorded.
    expect(group('The woman').getByText('Blessing')).toBeInTheDocument();
    expect(group('The woman').getByRole('alert')).toHaveTextContent(/^She may be under 18\./);
    // The form still holds an unsaved contact: no app update is offered over it.
    expect(useDrafts.getState().open).toBe(true);
    await chooseArea(user, 'lamb', 'Lambeth');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Hostel' }));
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    await waitFor(() => expect(notice()).toHaveTextContent(/^Contact saved: Blessing, Lambeth/));

    const events = await readEvents(db, core().keyring);
    const registered = events.find((e) => e.type === 'woman.registered' && e.knownAs === 'Blessing');
    expect(registered).toMatchObject({ details: { ageBand: 'under-18' } });
    expect(events.at(-1)).toMatchObject({ type: 'outreach.contacted', womanId: registered!.id });
  });

  it('saves an earlier date and time she typed, and refuses one still to come', async () => {
    const { user, db } = await outreach();
    const yesterday = localDateOf(Date.now() - 24 * 3600_000, TZ);
    await chooseArea(user, 'sout', 'Southwark');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Hospital' }));
    await user.click(group('The woman').getByRole('button', { name: 'Unknown / did not give a name' }));

    // Tomorrow is refused, with what to do.
    const tomorrow = localDateOf(Date.now() + 36 * 3600_000, TZ);
    await user.clear(screen.getByLabelText('Date'));
    await user.type(screen.getByLabelText('Date'), tomorrow);
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That date and time is still to come. Check the date and the time, then save again.');

    await user.clear(screen.getByLabelText('Date'));
    await user.type(screen.getByLabelText('Date'), yesterday);
    await user.clear(screen.getByLabelText('Time'));
    await user.type(screen.getByLabelText('Time'), '21:40');
    expect(screen.getByRole('button', { name: 'Back to now' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    await waitFor(() => expect(notice()).toHaveTextContent('Contact saved: Unknown, Southwark, 21:40.'));
    // Back to now for the next contact.
    expect(screen.getByLabelText('Date')).toHaveValue(localDateOf(Date.now(), TZ));

    const contact = (await readEvents(db, core().keyring)).at(-1)!;
    expect(contact).toMatchObject({ type: 'outreach.contacted', occurredAt: instantOf(yesterday, '21:40', TZ) });
    // It belongs to yesterday, so today's list does not show it; the past days' list does, and a
    // mistake found a day later can still be voided.
    expect(screen.getByText('No contacts recorded today yet.')).toBeInTheDocument();
    const earlier = within(screen.getByRole('list', { name: 'Earlier contacts' }));
    const day = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${yesterday}T12:00:00Z`));
    await user.click(earlier.getByRole('button', { name: `Void the contact with Unknown on ${day} 21:40` }));
    const dialog = within(screen.getByRole('dialog', { name: `Void the contact with Unknown on ${day} 21:40` }));
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Reason' }), 'Recorded twice');
    await user.click(dialog.getByRole('button', { name: 'Void it' }));
    await waitFor(() => expect(notice()).toHaveTextContent(`Voided the contact with Unknown on ${day} 21:40. It no longer counts anywhere.`));
    expect(screen.queryByRole('list', { name: 'Earlier contacts' })).not.toBeInTheDocument();
    expect((await readEvents(db, core().keyring)).at(-1)).toMatchObject({ type: 'record.voided', targetId: contact.id, reason: 'Recorded twice' });
  });

  it('voids a mistaken contact with a chosen reason', async () => {
    const { user, db } = await outreach();
    await chooseArea(user, 'brent', 'Brent');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Phone' }));
    await findWoman(user, 'Pre', 'Precious');
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    await waitFor(() => expect(notice()).toHaveTextContent(/^Contact saved/));
    const time = localTimeOf(currentSession().contacts[0]!.events[0]!.at, TZ);

    await user.click(contactsList().getByRole('button', { name: `Void the contact with Precious at ${time}` }));
    const dialog = within(screen.getByRole('dialog', { name: `Void the contact with Precious at ${time}` }));
    await user.click(dialog.getByRole('button', { name: 'Void it' }));
    expect(dialog.getByRole('alert')).toHaveTextContent('Choose a reason for voiding it.');
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Reason' }), 'Recorded twice');
    await user.click(dialog.getByRole('button', { name: 'Void it' }));
    await waitFor(() => expect(notice()).toHaveTextContent(`Voided the contact with Precious at ${time}. It no longer counts anywhere.`));

    expect(screen.getByText('No contacts recorded today yet.')).toBeInTheDocument();
    expect(screen.getByText('Voided today (1)')).toBeInTheDocument();
    const events = await readEvents(db, core().keyring);
    expect(events.at(-1)).toMatchObject({ type: 'record.voided', targetId: events.at(-2)!.id, reason: 'Recorded twice' });
  });

  it('starts the next day’s contacts in the area she used last', async () => {
    const { user } = await outreach();
    await chooseArea(user, 'isl', 'Islington');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Street' }));
    await user.click(group('The woman').getByRole('button', { name: 'Unknown / did not give a name' }));
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    await waitFor(() => expect(notice()).toHaveTextContent(/^Contact saved/));

    await user.click(screen.getByRole('button', { name: 'Lock' }));
    await user.type(await screen.findByLabelText('PIN'), ADMIN_PIN);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    await user.click(await screen.findByRole('button', { name: 'Outreach' }));
    await waitFor(() => expect(group('Area').getByRole('button', { name: 'Islington' })).toHaveAttribute('aria-pressed', 'true'));
  });
});

describe('the sync status', () => {
  it('says how many records wait and since when; locked, only what needs no keys', async () => {
    const { user } = await outreach();
    // As the running app's scheduler does at start: the status is read.
    await act(() => refreshStatus());
    const status = () => within(screen.getByRole('banner')).getByRole('status');
    // Precious's registration is already waiting.
    // Shown in the device's own time, as the status line has no organisation settings while locked.
    const since = new Date(await firstWaitingAt()).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
    await waitFor(() => expect(status()).toHaveTextContent(`1 record waiting to sync since ${since}; not enrolled yet`));
    await user.click(group('The woman').getByRole('button', { name: 'Unknown / did not give a name' }));
    await chooseArea(user, 'ealing', 'Ealing');
    await user.click(group('Kind of place').getByRole('radio', { name: 'Premises' }));
    await user.click(screen.getByRole('button', { name: 'Save contact' }));
    // The oldest waiting record is still the registration.
    await waitFor(() => expect(status()).toHaveTextContent(`2 records waiting to sync since ${since}; not enrolled yet`));

    await user.click(screen.getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Footfall is locked' });
    // Without keys the lock screen cannot read when a sealed record was made, and does not say.
    expect(within(screen.getByRole('main')).getByRole('status')).toHaveTextContent(/^2 records waiting to sync; not enrolled yet$/);
  });
});

/** When the oldest waiting event was recorded, read as an auditor would. */
async function firstWaitingAt(): Promise<string> {
  const [first] = await readEvents(core().vault.db, core().keyring);
  return first!.at;
}

describe('a staff member’s role decides the modes she sees', () => {
  const PINS = { outreach: '604172', casework: '715283' };

  async function signInAs(name: string, pin: string) {
    await act(() => lock());
    const staffId = useFootfall.getState().staff.find((s) => s.name === name)!.id;
    await act(async () => expect(await unlock(staffId, pin)).toMatchObject({ ok: true }));
  }

  const tabs = () => {
    const bar = screen.queryByRole('navigation', { name: 'Screens' });
    return bar ? within(bar).getAllByRole('button').map((b) => b.textContent) : [];
  };

  it('admin: every mode; front desk: check-in and today; outreach and casework: their own only', async () => {
    await setUpFresh('roles');
    await act(async () => {
      await addStaff(core(), 'Mary', 'frontDesk', DESK_PIN);
      await addStaff(core(), 'Olu', 'outreach', PINS.outreach);
      await addStaff(core(), 'Cass', 'casework', PINS.casework);
    });
    userEvent.setup();
    render(<App />);
    await screen.findByRole('heading', { level: 1, name: 'Check in' });
    expect(tabs()).toEqual(['Check in', 'Today', 'Outreach', 'Casework', 'Reports', 'Settings']);

    await signInAs('Mary', DESK_PIN);
    await screen.findByRole('heading', { level: 1, name: 'Check in' });
    expect(tabs()).toEqual(['Check in', 'Today']);

    await signInAs('Olu', PINS.outreach);
    await screen.findByRole('heading', { level: 1, name: 'Outreach' });
    expect(tabs()).toEqual([]);
    expect(screen.queryByRole('heading', { name: /Check in|Casework|Settings/ })).not.toBeInTheDocument();

    await signInAs('Cass', PINS.casework);
    await screen.findByRole('heading', { level: 1, name: 'Casework' });
    expect(tabs()).toEqual([]);
    expect(screen.queryByRole('heading', { name: /Check in|Outreach|Settings/ })).not.toBeInTheDocument();
  });
});
