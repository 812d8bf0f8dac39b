import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { useFootfall } from '../../src/app/store.ts';
import { instantOf, localDateOf, localTimeOf } from '../../src/domain/time.ts';
import { currentSession, readEvents, core } from './helpers.ts';
import { nav, renderUnlocked, type User } from './ui.tsx';
import { useDrafts } from '../../src/app/shared/useDraftWhile.ts';

const TZ = 'Europe/London';
const group = (name: string) => within(screen.getByRole('group', { name }));
const notice = () => screen.getAllByRole('status').find((s) => s.classList.contains('notice'))!;
const sessionsList = () => within(screen.getByRole('list', { name: 'Today’s sessions' }));

/** Grace's device with Precious registered, on the Casework tab. */
async function casework() {
  const rendered = await renderUnlocked();
  const precious = await act(() => registerWoman(core(), 'Precious', {}));
  await rendered.user.click(nav().getByRole('button', { name: 'Casework' }));
  await screen.findByRole('heading', { level: 1, name: 'Casework' });
  return { ...rendered, precious };
}

async function findWoman(user: User, query: string, name: string) {
  await user.type(group('The woman').getByRole('searchbox', { name: 'Find a woman by the name she goes by' }), query);
  await user.click(within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name }));
}

describe('the Casework screen', () => {
  it('records a session: the woman, topics, referrals and one outcome, and lists it', async () => {
    const { user, db, precious } = await casework();
    expect(screen.getByLabelText('Date')).toHaveValue(localDateOf(Date.now(), TZ));
    expect(screen.queryByLabelText('Time')).not.toBeInTheDocument();
    // Casework is always with a known woman, and there is nowhere to write notes.
    expect(group('The woman').queryByRole('button', { name: 'Unknown / did not give a name' })).not.toBeInTheDocument();
    expect(screen.queryAllByRole('textbox')).toEqual([]);
    expect(group('Topics').getAllByRole('button').map((b) => b.textContent?.trim())).toEqual([
      'Housing',
      'Health and GP registration',
      'Drugs and alcohol',
      'Benefits',
      'Legal and immigration advice',
      'Safety',
      'Exiting (when she raises it)',
    ]);

    await findWoman(user, 'prec', 'Precious');
    await user.click(group('Topics').getByRole('button', { name: 'Housing' }));
    await user.click(group('Topics').getByRole('button', { name: 'Exiting (when she raises it)' }));
    await user.click(group('Referrals made').getByRole('button', { name: 'Housing options' }));
    await user.click(group('Outcome').getByRole('radio', { name: 'Referral made' }));
    await user.click(group('Outcome').getByRole('radio', { name: 'Follow-up booked' }));
    expect(group('Outcome').getByRole('radio', { name: 'Referral made' })).not.toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Save session' }));

    await waitFor(() => expect(notice()).toHaveTextContent('Session saved for Precious.'));
    expect(group('Topics').getByRole('button', { name: 'Housing' })).toHaveAttribute('aria-pressed', 'false');
    expect(group('Outcome').getByRole('radio', { name: 'Follow-up booked' })).not.toBeChecked();
    await waitFor(() => expect(useDrafts.getState().open).toBe(false));
    expect(sessionsList().getAllByRole('listitem')[0]).toHaveTextContent(/^Precious \d\d:\d\dHousing, Exiting \(when she raises it\) · Follow-up bookedVoid$/);

    const s = currentSession();
    const session = (await readEvents(db, core().keyring)).at(-1)!;
    expect(session).toMatchObject({
      type: 'casework.session',
      womanId: precious.id,
      topics: ['housing', 'exiting'],
      referrals: ['housing-options'],
      outcome: 'follow-up-booked',
    });
    expect(s.contacts.map((r) => r.id)).toEqual([session.id]);
  });

  it('asks for the woman, a topic and the outcome before saving', async () => {
    const { user, db } = await casework();
    const eventsBefore = await db.outbox.count();
    await user.click(screen.getByRole('button', { name: 'Save session' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose the woman: a casework session is always with a known woman.');
    await findWoman(user, 'Precious', 'Precious');
    await user.click(screen.getByRole('button', { name: 'Save session' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose at least one topic.');
    await user.click(group('Topics').getByRole('button', { name: 'Benefits' }));
    await user.click(screen.getByRole('button', { name: 'Save session' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose the outcome.');
    expect(await db.outbox.count()).toBe(eventsBefore);
  });

  it('registers a new woman for a session', async () => {
    const { user, db } = await casework();
    await user.click(group('The woman').getByRole('button', { name: 'New woman' }));
    const dialog = within(screen.getByRole('dialog', { name: 'Register a new woman' }));
    await user.type(dialog.getByRole('textbox', { name: 'Known as' }), 'Wanjiru');
    await user.click(dialog.getByRole('button', { name: 'Register' }));
    await waitFor(() => expect(group('The woman').getByText('Wanjiru')).toBeInTheDocument());
    await user.click(group('Topics').getByRole('button', { name: 'Legal and immigration advice' }));
    await user.click(group('Outcome').getByRole('radio', { name: 'Advice given' }));
    await user.click(screen.getByRole('button', { name: 'Save session' }));
    await waitFor(() => expect(notice()).toHaveTextContent('Session saved for Wanjiru.'));
    const events = await readEvents(db, core().keyring);
    const registered = events.find((e) => e.type === 'woman.registered' && e.knownAs === 'Wanjiru')!;
    expect(events.at(-1)).toMatchObject({ type: 'casework.session', womanId: registered.id, topics: ['legal-immigration'], outcome: 'advice-given' });
  });

  it('dates a session on an earlier day at midday, off today’s list', async () => {
    const { user, db } = await casework();
    const earlier = localDateOf(Date.now() - 3 * 24 * 3600_000, TZ);
    await user.clear(screen.getByLabelText('Date'));
    await user.type(screen.getByLabelText('Date'), earlier);
    await findWoman(user, 'Pre', 'Precious');
    await user.click(group('Topics').getByRole('button', { name: 'Safety' }));
    await user.click(group('Outcome').getByRole('radio', { name: 'Resolved' }));
    await user.click(screen.getByRole('button', { name: 'Save session' }));
    await waitFor(() => expect(notice()).toHaveTextContent('Session saved for Precious.'));
    expect(screen.getByText('No sessions recorded today yet.')).toBeInTheDocument();
    expect((await readEvents(db, core().keyring)).at(-1)).toMatchObject({
      type: 'casework.session',
      occurredAt: instantOf(earlier, '12:00', TZ),
    });
  });

  it('voids a session recorded today', async () => {
    const { user, db } = await casework();
    await findWoman(user, 'Pre', 'Precious');
    await user.click(group('Topics').getByRole('button', { name: 'Benefits' }));
    await user.click(group('Outcome').getByRole('radio', { name: 'Did not attend' }));
    await user.click(screen.getByRole('button', { name: 'Save session' }));
    await waitFor(() => expect(notice()).toHaveTextContent('Session saved for Precious.'));
    const time = localTimeOf(currentSession().contacts[0]!.events[0]!.at, TZ);

    await user.click(sessionsList().getByRole('button', { name: `Void the session with Precious at ${time}` }));
    const dialog = within(screen.getByRole('dialog', { name: `Void the session with Precious at ${time}` }));
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Reason' }), 'Recorded by mistake');
    await user.click(dialog.getByRole('button', { name: 'Void it' }));
    await waitFor(() => expect(notice()).toHaveTextContent(`Voided the session with Precious at ${time}. It no longer counts anywhere.`));
    expect(screen.getByText('No sessions recorded today yet.')).toBeInTheDocument();
    const events = await readEvents(db, core().keyring);
    expect(events.at(-1)).toMatchObject({ type: 'record.voided', targetId: events.at(-2)!.id, reason: 'Recorded by mistake' });
  });
});
