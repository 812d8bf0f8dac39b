import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { visitView } from '../../src/app/frontDesk/visitView.ts';
import { currentSession, readEvents, core } from './helpers.ts';
import { figures, goTo, renderUnlocked, tiles } from './ui.tsx';

/** A device with Ana (meal, shower), Bea (meal) and an anonymous visit (laundry), on the Today screen. */
async function today() {
  const rendered = await renderUnlocked();
  await act(async () => {
    const ana = await registerWoman(core(), 'Ana', {});
    const bea = await registerWoman(core(), 'Bea', {});
    await checkIn(core(), ana.id, ['meal', 'shower']);
    await checkIn(core(), bea.id, ['meal']);
    await checkIn(core(), null, ['laundry']);
  });
  await goTo(rendered.user, 'Today');
  return rendered;
}

const visitsList = () => within(screen.getByRole('list', { name: 'Today’s visits' }));
const row = (name: string) => visitsList().getAllByRole('listitem').find((li) => within(li).queryByText(name))!;
const notice = () => screen.getAllByRole('status').find((s) => s.classList.contains('notice'))!;

describe('the Today screen', () => {
  it('shows today’s figures and one row per visit', async () => {
    await today();
    expect(figures()).toMatchObject({ Visits: 3, Women: 2, 'Anonymous visits': 1, Meal: 2, Shower: 1, Laundry: 1 });
    expect(visitsList().getAllByRole('listitem')).toHaveLength(3);
  });

  it('changes a visit’s services in the Services dialog', async () => {
    const { user, db } = await today();
    const opener = within(row('Ana')).getByRole('button', { name: /^Services for Ana at / });
    await user.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'Services for Ana' });
    expect(tiles(dialog)).toMatchObject({ Meal: true, Shower: true, Laundry: false });
    await user.click(within(dialog).getByRole('button', { name: 'Shower' }));
    await user.click(within(dialog).getByRole('button', { name: 'Advice' }));
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));

    expect(await screen.findByText('Services updated.')).toBe(notice());
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(figures()).toMatchObject({ Visits: 3, Meal: 2, Shower: 0, Advice: 1 });
    expect(within(row('Ana')).getByText('Advice')).toBeInTheDocument();
    expect(within(row('Ana')).queryByText('Shower')).not.toBeInTheDocument();
    const events = await readEvents(db, core().keyring);
    expect(events.slice(-2).map((e) => e.type).sort()).toEqual(['visit.serviceAdded', 'visit.serviceRemoved']);
  });

  it('corrects a visit, refusing a correction without a reason or without a change', async () => {
    const { user, db } = await today();
    await user.click(within(row('Bea')).getByRole('button', { name: /^Correct the visit of Bea at / }));
    const dialog = within(screen.getByRole('dialog', { name: 'Correct the visit of Bea' }));
    expect(dialog.getByText('Now: Bea')).toBeInTheDocument();
    const eventsBefore = await db.outbox.count();

    await user.click(dialog.getByRole('button', { name: 'Save correction' }));
    expect(dialog.getByRole('alert')).toHaveTextContent('Choose a reason for the correction.');

    await user.selectOptions(dialog.getByRole('combobox', { name: 'Reason' }), 'Wrong woman chosen');
    await user.click(dialog.getByRole('button', { name: 'Save correction' }));
    expect(dialog.getByRole('alert')).toHaveTextContent('Nothing has changed. Change the woman, the time or the site, or close.');
    expect(await db.outbox.count()).toBe(eventsBefore);

    await user.type(dialog.getByRole('searchbox', { name: 'Find another woman' }), 'an');
    await user.click(dialog.getByRole('button', { name: 'Ana' }));
    expect(dialog.getByRole('button', { name: 'Ana' })).toHaveAttribute('aria-pressed', 'true');
    expect(dialog.getByText('Now: Ana')).toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Save correction' }));

    expect(await screen.findByText('Visit corrected.')).toBe(notice());
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    // Ana now has two records today at this site: still one visit by the counting rules.
    expect(figures()).toMatchObject({ Visits: 2, Women: 1, 'Anonymous visits': 1, Meal: 1, Shower: 1 });
    expect(visitsList().queryByText('Bea')).not.toBeInTheDocument();
    const last = (await readEvents(db, core().keyring)).at(-1)!;
    expect(last).toMatchObject({ type: 'record.corrected', reason: 'Wrong woman chosen' });
  });

  it('corrects the time of a visit', async () => {
    const { user } = await today();
    await user.click(within(row('Laundry').closest('li')!).getByRole('button', { name: /^Correct the visit of Anonymous at / }));
    const dialog = within(screen.getByRole('dialog', { name: 'Correct the visit of Anonymous' }));
    const time = dialog.getByLabelText('Time');
    await user.clear(time);
    await user.type(time, '00:05');
    await user.selectOptions(dialog.getByRole('combobox', { name: 'Reason' }), 'Wrong time');
    await user.click(dialog.getByRole('button', { name: 'Save correction' }));
    expect(await screen.findByText('Visit corrected.')).toBe(notice());
    const s = currentSession();
    const anon = s.visits.map((v) => visitView(v, s.config)).find((v) => v.womanId === null)!;
    expect(anon.date).toBe(s.today);
    expect(within(row('Anonymous')).getByText('00:05')).toBeInTheDocument();
  });

  it('voids a visit only with a reason, and it stops counting', async () => {
    const { user, db } = await today();
    await user.click(within(row('Ana')).getByRole('button', { name: /^Void the visit of Ana at / }));
    const dialog = within(screen.getByRole('dialog', { name: 'Void the visit of Ana' }));
    await user.click(dialog.getByRole('button', { name: 'Void visit' }));
    expect(dialog.getByRole('alert')).toHaveTextContent('Choose a reason for voiding this visit.');

    await user.selectOptions(dialog.getByRole('combobox', { name: 'Reason' }), 'Recorded twice');
    await user.click(dialog.getByRole('button', { name: 'Void visit' }));
    expect(await screen.findByText('Visit voided. It no longer counts anywhere.')).toBe(notice());
    expect(figures()).toMatchObject({ Visits: 2, Women: 1, Meal: 1, Shower: 0 });
    expect(visitsList().queryByText('Ana')).not.toBeInTheDocument();
    expect(screen.getByText('Voided today (1)')).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Voided visits' })).getByText('Ana').tagName).toBe('S');
    // Nothing is deleted: the visit and its history stay on the device.
    expect(await db.visits.count()).toBe(3);
    expect((await readEvents(db, core().keyring)).at(-1)).toMatchObject({ type: 'record.voided', reason: 'Recorded twice' });
  });

  it.each([
    ['Services', /^Services for Bea at /, 'Services for Bea'],
    ['Correct', /^Correct the visit of Bea at /, 'Correct the visit of Bea'],
    ['Void', /^Void the visit of Bea at /, 'Void the visit of Bea'],
  ])('closes the %s dialog on Escape and returns focus to its button', async (_label, button, title) => {
    const { user, db } = await today();
    const opener = within(row('Bea')).getByRole('button', { name: button });
    await user.click(opener);
    const dialog = screen.getByRole('dialog', { name: title });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(dialog.contains(document.activeElement)).toBe(true);
    const before = await db.outbox.count();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
    expect(await db.outbox.count()).toBe(before);
  });

  it('keeps Tab inside an open dialog and closes it with its Close button', async () => {
    const { user } = await today();
    const opener = within(row('Bea')).getByRole('button', { name: /^Void the visit of Bea at / });
    await user.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'Void the visit of Bea' });
    for (let i = 0; i < 6; i++) {
      await user.tab();
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    await user.tab({ shift: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });
});

describe('dialogs on the check-in screen', () => {
  it('close on Escape without saving', async () => {
    const { user, db } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'Anonymous visit' }));
    const dialog = screen.getByRole('dialog', { name: 'Anonymous visit' });
    await user.click(within(dialog).getByRole('button', { name: 'Meal' }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await db.outbox.count()).toBe(0);
    // Focus goes back where the desk needs it: finding the next woman.
    expect(screen.getByRole('searchbox', { name: 'Find a woman by the name she goes by' })).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Register a new woman' }));
    expect(screen.getByRole('dialog', { name: 'Register a new woman' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await db.women.count()).toBe(0);
  });
});
