/** Helpers for the component tests: the real <App /> on a fresh device database. */
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../../src/app/App.tsx';
import type { FootfallDb } from '../../src/app/core/database.ts';
import { bootFresh, setUpFresh } from './helpers.ts';

export type User = ReturnType<typeof userEvent.setup>;

/** A device not yet set up, showing the setup screen. */
export async function renderNewDevice(): Promise<{ user: User; db: FootfallDb }> {
  const db = await bootFresh('ui');
  const user = userEvent.setup();
  render(<App />);
  await userEvent.click(await screen.findByRole('button', { name: 'Set up a new organisation' }));
  await screen.findByRole('heading', { name: 'Set up a new organisation' });
  return { user, db };
}

/** A device set up by its admin, Grace, unlocked on the check-in screen. */
export async function renderUnlocked(): Promise<{ user: User; db: FootfallDb }> {
  const db = await setUpFresh('ui');
  const user = userEvent.setup();
  render(<App />);
  await screen.findByRole('heading', { name: 'Check in' });
  return { user, db };
}

export function nav() {
  return within(screen.getByRole('navigation', { name: 'Screens' }));
}

export async function goTo(user: User, tab: 'Check in' | 'Today' | 'Settings'): Promise<void> {
  await user.click(nav().getByRole('button', { name: tab }));
}

/** Today's figures as label → number. */
export function figures(): Record<string, number> {
  const list = within(screen.getByLabelText('Today’s figures'));
  const terms = list.getAllByRole('term').map((t) => t.textContent ?? '');
  const values = list.getAllByRole('definition').map((d) => Number((d.textContent ?? '').replace(/,/g, '')));
  return Object.fromEntries(terms.map((t, i) => [t, values[i]!]));
}

/** The tiles of the open check-in or services dialog, as label → pressed. */
export function tiles(dialog: HTMLElement): Record<string, boolean> {
  const group = within(within(dialog).getByRole('group', { name: 'Services given' }));
  return Object.fromEntries(group.getAllByRole('button').map((b) => [b.textContent!.replace('✓', '').trim(), b.getAttribute('aria-pressed') === 'true']));
}
