import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useFootfall } from '../../src/app/store.ts';
import { visitView } from '../../src/app/frontDesk/visitView.ts';
import { core, currentSession, readEvents } from './helpers.ts';
import { figures, goTo, renderUnlocked, tiles, type User } from './ui.tsx';

const search = () => screen.getByRole('searchbox', { name: 'Find a woman by the name she goes by' });

async function register(user: User, name: string, pick: (dialog: HTMLElement) => Promise<void> = async () => {}) {
  await user.clear(search());
  await user.type(search(), name);
  await user.click(screen.getByRole('button', { name: `Register “${name}” as new` }));
  const dialog = screen.getByRole('dialog', { name: 'Register a new woman' });
  await pick(dialog);
  await user.click(within(dialog).getByRole('button', { name: 'Register and check in' }));
  return screen.findByRole('dialog', { name: `Check in ${name}` });
}

describe('checking in', () => {
  it('registers a new woman with optional answers, then checks her in', async () => {
    const { user, db } = await renderUnlocked();
    await user.type(search(), 'Zofia');
    expect(screen.getByText('No one known as “Zofia” yet.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Register “Zofia” as new' }));
    const dialog = screen.getByRole('dialog', { name: 'Register a new woman' });
    const form = within(dialog);
    expect(form.getByRole('textbox', { name: 'Known as' })).toHaveValue('Zofia');
    expect(form.getByRole('textbox', { name: 'Known as' })).toHaveFocus();
    // Every question is optional, with "not known" and "prefers not to say".
    expect(form.getByRole('combobox', { name: 'Age' })).toHaveValue('');
    expect(within(form.getByRole('combobox', { name: 'Housing situation' })).getByRole('option', { name: 'Prefers not to say' })).toBeInTheDocument();
    expect(form.queryByRole('textbox', { name: /address|phone|legal/i })).not.toBeInTheDocument();

    await user.selectOptions(form.getByRole('combobox', { name: 'Age' }), '25–34');
    await user.selectOptions(form.getByRole('combobox', { name: 'Nationality or region' }), 'Europe (not UK)');
    await user.selectOptions(form.getByRole('combobox', { name: 'Housing situation' }), 'Not known');
    await user.click(form.getByRole('checkbox', { name: 'Trafficking' }));
    await user.click(form.getByRole('checkbox', { name: 'Sexual exploitation' }));
    // "Prefers not to say" replaces the other answers, and the other answers replace it.
    await user.click(form.getByRole('checkbox', { name: 'Prefers not to say' }));
    expect(form.getByRole('checkbox', { name: 'Trafficking' })).not.toBeChecked();
    await user.click(form.getByRole('checkbox', { name: 'Trafficking' }));
    expect(form.getByRole('checkbox', { name: 'Prefers not to say' })).not.toBeChecked();
    await user.click(form.getByRole('button', { name: 'Register and check in' }));

    const checkIn = await screen.findByRole('dialog', { name: 'Check in Zofia' });
    expect(Object.values(tiles(checkIn)).some(Boolean)).toBe(false);
    await user.click(within(checkIn).getByRole('button', { name: 'Meal' }));
    await user.click(within(checkIn).getByRole('button', { name: 'Shower' }));
    expect(within(checkIn).getByRole('button', { name: 'Meal' })).toHaveAttribute('aria-pressed', 'true');
    await user.click(within(checkIn).getByRole('button', { name: 'Save visit' }));

    expect(await screen.findByText('Visit saved for Zofia.')).toHaveAttribute('role', 'status');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(search()).toHaveValue('');
    expect(search()).toHaveFocus();

    const s = currentSession();
    const [woman] = [...s.women.values()];
    expect(woman).toMatchObject({ knownAs: 'Zofia', details: { ageBand: '25-34', nationality: 'europe', housing: 'not-known', exploitation: ['trafficking'] } });
    expect(visitView(s.visits[0]!, s.config)).toMatchObject({ womanId: woman!.id, services: ['meal', 'shower'] });
    expect((await readEvents(db, core().keyring)).map((e) => e.type)).toEqual(['woman.registered', 'visit.checkedIn']);
  });

  it('asks for a name before registering', async () => {
    const { user, db } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'Register a new woman' }));
    const dialog = screen.getByRole('dialog', { name: 'Register a new woman' });
    await user.click(within(dialog).getByRole('button', { name: 'Register and check in' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('a known-as name is needed');
    await user.type(within(dialog).getByRole('textbox', { name: 'Known as' }), '   ');
    await user.click(within(dialog).getByRole('button', { name: 'Register and check in' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('a known-as name is needed');
    expect(await db.women.count()).toBe(0);
  });

  it('shows the safeguarding note as an alert when she may be under 18', async () => {
    const { user } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'Register a new woman' }));
    const dialog = within(screen.getByRole('dialog', { name: 'Register a new woman' }));
    expect(dialog.queryByRole('alert')).not.toBeInTheDocument();
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Age' }), 'Under 18');
    expect(dialog.getByRole('alert')).toHaveTextContent(currentSession().config.safeguardingNote);
    expect(dialog.getByRole('alert')).toHaveTextContent(/safeguarding lead/);
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Age' }), '18–24');
    expect(dialog.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the safeguarding note when a returning woman under 18 is checked in', async () => {
    const { user } = await renderUnlocked();
    const first = await register(user, 'Mina', async (dialog) => {
      await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Age' }), 'Under 18');
    });
    await user.click(within(first).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Visit saved for Mina.');
    // She comes back: found by her name, the check-in says what the centre asks of staff.
    await user.type(search(), 'mina');
    await user.click(within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name: /^Mina/ }));
    const dialog = within(screen.getByRole('dialog', { name: 'Mina is checked in today' }));
    expect(dialog.getByRole('alert')).toHaveTextContent(currentSession().config.safeguardingNote);
  });

  it('past midnight, a woman checked in last night is not "here today", and her check-in is a new visit', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // 23:50 BST on 10 June.
      vi.setSystemTime(new Date('2025-06-10T22:50:00Z'));
      const { user } = await renderUnlocked();
      const first = await register(user, 'Ana');
      await user.click(within(first).getByRole('button', { name: 'Meal' }));
      await user.click(within(first).getByRole('button', { name: 'Save visit' }));
      await screen.findByText('Visit saved for Ana.');
      // 00:10 BST: searching reads the new day.
      vi.setSystemTime(new Date('2025-06-10T23:10:00Z'));
      await user.type(search(), 'ana');
      const results = screen.getByRole('list', { name: 'Matching women' });
      await waitFor(() => expect(within(results).getByRole('button', { name: 'Ana' })).toBeInTheDocument());
      await user.click(within(results).getByRole('button', { name: 'Ana' }));
      const dialog = within(screen.getByRole('dialog', { name: 'Check in Ana' }));
      expect(dialog.getByRole('button', { name: 'Meal' })).toHaveAttribute('aria-pressed', 'false');
      await user.click(dialog.getByRole('button', { name: 'Shower' }));
      await user.click(dialog.getByRole('button', { name: 'Save visit' }));
      await screen.findByText('Visit saved for Ana.');
      const s = currentSession();
      expect(s.visits.map((v) => visitView(v, s.config))).toMatchObject([{ date: '2025-06-11', services: ['shower'] }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a check-in panel opened before midnight neither shows nor changes last night’s visit after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2025-06-10T22:50:00Z')); // 23:50 BST
      const { user, db } = await renderUnlocked();
      const first = await register(user, 'Ana');
      await user.click(within(first).getByRole('button', { name: 'Meal' }));
      await user.click(within(first).getByRole('button', { name: 'Save visit' }));
      await screen.findByText('Visit saved for Ana.');
      // Found before midnight, chosen after: the panel reads the day as it opens.
      await user.type(search(), 'ana');
      const results = screen.getByRole('list', { name: 'Matching women' });
      await waitFor(() => expect(within(results).getByRole('button', { name: 'Ana here today' })).toBeInTheDocument());
      vi.setSystemTime(new Date('2025-06-10T23:10:00Z')); // 00:10 BST
      await user.click(within(results).getByRole('button', { name: 'Ana here today' }));
      const fresh = within(await screen.findByRole('dialog', { name: 'Check in Ana' }));
      expect(fresh.getByRole('button', { name: 'Meal' })).toHaveAttribute('aria-pressed', 'false');
      await user.click(fresh.getByRole('button', { name: 'Close' }));

      // Opened before midnight on her visit, saved after: it says so, and changes nothing.
      vi.setSystemTime(new Date('2025-06-11T22:50:00Z')); // 23:50 BST the next day
      await user.clear(search());
      await user.type(search(), 'ana');
      await user.click(within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name: /^Ana/ }));
      const late = within(await screen.findByRole('dialog', { name: 'Check in Ana' }));
      await user.click(late.getByRole('button', { name: 'Shower' }));
      await user.click(late.getByRole('button', { name: 'Save visit' }));
      await screen.findByText('Visit saved for Ana.');
      await user.type(search(), 'ana');
      await user.click(within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name: 'Ana here today' }));
      const open = within(await screen.findByRole('dialog', { name: 'Ana is checked in today' }));
      vi.setSystemTime(new Date('2025-06-11T23:10:00Z')); // 00:10 BST
      await user.click(open.getByRole('button', { name: 'Laundry' }));
      await user.click(open.getByRole('button', { name: 'Save changes' }));
      expect(await open.findByRole('alert')).toHaveTextContent('It is a new day since this was opened');
      const events = await readEvents(db, core().keyring);
      expect(events.filter((e) => e.type === 'visit.serviceAdded')).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('warns when someone with the same name is already registered', async () => {
    const { user } = await renderUnlocked();
    const first = await register(user, 'Ana María');
    await user.click(within(first).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Visit saved for Ana María.');

    await user.click(screen.getByRole('button', { name: 'Register a new woman' }));
    const dialog = within(screen.getByRole('dialog', { name: 'Register a new woman' }));
    await user.type(dialog.getByRole('textbox', { name: 'Known as' }), 'ana  maria');
    expect(dialog.getByRole('status')).toHaveTextContent('Possibly already registered: “Ana María”. Check it is not her before registering again.');
    await user.clear(dialog.getByRole('textbox', { name: 'Known as' }));
    await user.type(dialog.getByRole('textbox', { name: 'Known as' }), 'Anabel');
    expect(dialog.queryByRole('status')).not.toBeInTheDocument();
  });

  it('never drops the visit of a woman just registered without asking', async () => {
    const { user, db } = await renderUnlocked();
    const panel = await register(user, 'Cleo');
    await user.click(within(panel).getByRole('button', { name: 'Meal' }));
    // Closing (the button or Escape) asks first; the services ticked are still there.
    await user.keyboard('{Escape}');
    expect(within(panel).getByRole('alert')).toHaveTextContent('Cleo is registered, but no visit is saved for her yet. Save her visit, or close without one.');
    expect(within(panel).getByRole('button', { name: 'Meal' })).toHaveAttribute('aria-pressed', 'true');
    await user.click(within(panel).getByRole('button', { name: 'Save visit' }));
    expect(await screen.findByText('Visit saved for Cleo.')).toBeInTheDocument();
    expect(currentSession().visits).toHaveLength(1);

    // Closing without one is a choice she makes, and the screen says so.
    const second = await register(user, 'Dina');
    await user.click(within(second).getByRole('button', { name: 'Close' }));
    await user.click(within(second).getByRole('button', { name: 'Close without a visit' }));
    expect(await screen.findByText('Dina is registered; no visit was saved.')).toBeInTheDocument();
    expect(currentSession().visits).toHaveLength(1);
    expect((await readEvents(db, core().keyring)).map((e) => e.type)).toEqual(['woman.registered', 'visit.checkedIn', 'woman.registered']);

    // A returning woman's panel closes at once: nothing was registered for it.
    await user.clear(search());
    await user.type(search(), 'Cleo');
    await user.click(within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name: /^Cleo/ }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('keeps her record right: her name and answers can be changed where she is found, each change an event', async () => {
    const { user, db } = await renderUnlocked();
    const panel = await register(user, 'Rosa', async (dialog) => {
      await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Age' }), '25–34');
    });
    await user.click(within(panel).getByRole('button', { name: 'Change her name or details' }));
    const edit = within(screen.getByRole('dialog', { name: 'Change the record of Rosa' }));
    expect(edit.getByRole('textbox', { name: 'Known as' })).toHaveValue('Rosa');
    // An answer given can change, or become "not known", but not vanish.
    expect(within(edit.getByRole('combobox', { name: 'Age' })).queryByRole('option', { name: 'Not asked' })).not.toBeInTheDocument();
    await user.clear(edit.getByRole('textbox', { name: 'Known as' }));
    await user.type(edit.getByRole('textbox', { name: 'Known as' }), 'Rosa M');
    await user.selectOptions(edit.getByRole('combobox', { name: 'Housing situation' }), 'Not known');
    await user.click(edit.getByRole('button', { name: 'Save changes' }));

    const back = await screen.findByRole('dialog', { name: 'Check in Rosa M' });
    await user.click(within(back).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Visit saved for Rosa M.');
    const events = await readEvents(db, core().keyring);
    const update = events.find((e) => e.type === 'woman.updated');
    // Only what changed: her new name and the one new answer; her age stays as it was.
    expect(update).toMatchObject({ knownAs: 'Rosa M', details: { housing: 'not-known' } });
    expect(update?.type === 'woman.updated' && Object.keys(update.details)).toEqual(['housing']);
    const rosa = [...currentSession().women.values()].find((w) => w.knownAs === 'Rosa M');
    expect(rosa?.details).toMatchObject({ ageBand: '25-34', housing: 'not-known' });
    // Search finds her by her new name, with what tells her apart: age, when registered, and when
    // and where this device last saw her.
    await user.type(search(), 'rosa m');
    const found = within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name: /^Rosa M/ });
    expect(found).toHaveAccessibleDescription(/^age 25–34, registered .+, last seen .+ \(Drop-in centre\)$/);
  });

  it('checks in a returning woman in three taps after search', async () => {
    const { user } = await renderUnlocked();
    const panel = await register(user, 'Bea');
    await user.click(within(panel).getByRole('button', { name: 'Close' }));
    await user.click(within(panel).getByRole('button', { name: 'Close without a visit' }));
    await user.clear(search());
    // Case and accents do not matter: "BÉ" finds "Bea".
    await user.type(search(), 'BÉ');

    let taps = 0;
    const tap = async (el: HTMLElement) => {
      taps++;
      await user.click(el);
    };
    const results = screen.getByRole('list', { name: 'Matching women' });
    await tap(within(results).getByRole('button', { name: 'Bea' }));
    const dialog = screen.getByRole('dialog', { name: 'Check in Bea' });
    await tap(within(dialog).getByRole('button', { name: 'Meal' }));
    await tap(within(dialog).getByRole('button', { name: 'Save visit' }));
    expect(await screen.findByText('Visit saved for Bea.')).toBeInTheDocument();
    expect(taps).toBe(3);

    const s = currentSession();
    expect(s.visits.map((v) => visitView(v, s.config).services)).toEqual([['meal']]);
  });

  it('adds to her visit when she is checked in again the same day', async () => {
    const { user, db } = await renderUnlocked();
    const panel = await register(user, 'Cleo');
    await user.click(within(panel).getByRole('button', { name: 'Meal' }));
    await user.click(within(panel).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Visit saved for Cleo.');

    await user.type(search(), 'cleo');
    const result = within(screen.getByRole('list', { name: 'Matching women' })).getByRole('button', { name: 'Cleo here today' });
    expect(within(result).getByText('here today')).toBeInTheDocument();
    await user.click(result);
    const dialog = screen.getByRole('dialog', { name: 'Cleo is checked in today' });
    expect(tiles(dialog)).toMatchObject({ Meal: true, Shower: false });
    await user.click(within(dialog).getByRole('button', { name: 'Shower' }));
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Visit updated for Cleo.')).toBeInTheDocument();

    expect(await db.visits.count()).toBe(1);
    const s = currentSession();
    expect(visitView(s.visits[0]!, s.config).services).toEqual(['meal', 'shower']);
  });

  it('logs anonymous visits, each its own visit', async () => {
    const { user } = await renderUnlocked();
    for (const service of ['Meal', 'Laundry']) {
      await user.click(screen.getByRole('button', { name: 'Anonymous visit' }));
      const dialog = screen.getByRole('dialog', { name: 'Anonymous visit' });
      await user.click(within(dialog).getByRole('button', { name: service }));
      await user.click(within(dialog).getByRole('button', { name: 'Save visit' }));
      // The dialog closes only once the visit is saved.
      await waitFor(() => expect(dialog).not.toBeInTheDocument());
      expect(screen.getByText('Anonymous visit saved.')).toBeInTheDocument();
    }
    const s = currentSession();
    expect(s.visits.map((v) => visitView(v, s.config)).map((v) => [v.womanId, v.services])).toEqual([
      [null, ['meal']],
      [null, ['laundry']],
    ]);
    expect(screen.getByText('2 records waiting to sync', { exact: false })).toBeInTheDocument();
  });

  it('shows today’s figures and visits', async () => {
    const { user } = await renderUnlocked();
    for (const [name, services] of [
      ['Ana', ['Meal', 'Shower']],
      ['Bea', ['Meal']],
    ] as const) {
      const panel = await register(user, name);
      for (const s of services) await user.click(within(panel).getByRole('button', { name: s }));
      await user.click(within(panel).getByRole('button', { name: 'Save visit' }));
      await screen.findByText(`Visit saved for ${name}.`);
    }
    await user.click(screen.getByRole('button', { name: 'Anonymous visit' }));
    const anon = screen.getByRole('dialog', { name: 'Anonymous visit' });
    await user.click(within(anon).getByRole('button', { name: 'Clean clothes' }));
    await user.click(within(anon).getByRole('button', { name: 'Save visit' }));
    await screen.findByText('Anonymous visit saved.');

    await goTo(user, 'Today');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent(/^Today, \w+day \d{1,2} \w+$/);
    expect(figures()).toEqual({
      Visits: 3,
      Women: 2,
      'Anonymous visits': 1,
      Meal: 2,
      Shower: 1,
      Laundry: 0,
      'Clean clothes': 1,
      Advice: 0,
    });
    const list = screen.getByRole('list', { name: 'Today’s visits' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    const ana = items.find((li) => within(li).queryByText('Ana'))!;
    expect(within(ana).getByText('Meal')).toBeInTheDocument();
    expect(within(ana).getByText('Shower')).toBeInTheDocument();
    expect(within(ana).getByRole('button', { name: /^Services for Ana at \d{2}:\d{2}$/ })).toBeInTheDocument();
    expect(screen.getByText(/This device holds 5 records that no server has confirmed yet/)).toBeInTheDocument();
    expect(useFootfall.getState().unsynced).toBe(5);
  });
});
