/**
 * The screens where secrets, codes, names and details are typed give the browser's memory of
 * forms nothing to keep (docs/security.md#the-browsers-memory-of-forms): no password field
 * where the browser can mask a text field (so the password manager never offers to save), and
 * autocomplete off on every form and control (so autofill and session restore keep nothing).
 * The e2e test (test/e2e/profile.test.ts) reads a real Chromium profile afterwards.
 */
import { render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lock } from '../../src/app/lock/access.ts';
import { SecretInput } from '../../src/app/shared/SecretInput.tsx';
import { UnlockOrgKey } from '../../src/app/admin/UnlockOrgKey.tsx';
import { CoreContext } from '../../src/app/shared/useCore.ts';
import { App } from '../../src/app/App.tsx';
import userEvent from '@testing-library/user-event';
import { bootFresh, core, setUpFresh } from './helpers.ts';
import { goTo, renderNewDevice, renderUnlocked } from './ui.tsx';

/** A browser that masks text fields itself (Chromium, Safari, Firefox from 126). */
function textSecurity(supported: boolean): void {
  vi.stubGlobal('CSS', { supports: (property: string, value: string) => supported && property === '-webkit-text-security' && value === 'disc' });
}

beforeEach(() => textSecurity(true));
afterEach(() => vi.unstubAllGlobals());

/** What the browser could remember from the page as it is now: each problem, by the control's label. */
function formMemoryProblems(): string[] {
  const problems: string[] = [];
  const name = (el: Element) => el.closest('label')?.textContent?.trim() || el.getAttribute('aria-label') || el.outerHTML.slice(0, 80);
  for (const el of document.querySelectorAll('form, input, select, textarea')) {
    if (el.getAttribute('autocomplete') !== 'off') problems.push(`autocomplete is not off: ${el.tagName.toLowerCase()} ${name(el)}`);
  }
  for (const el of document.querySelectorAll('input[type="password"]')) problems.push(`a password field: ${name(el)}`);
  return problems;
}

/** The field labelled `label`: a masked text field for a PIN or passphrase, a plain one for a code, never spell-checked. */
function expectSecret(label: string | RegExp, masked: boolean): void {
  const field = screen.getByLabelText(label);
  expect(field).toHaveAttribute('type', 'text');
  expect(field).toHaveAttribute('spellcheck', 'false');
  expect(field.classList.contains('masked')).toBe(masked);
}

describe('nothing typed is offered to the browser’s memory of forms', () => {
  it('setting up a device: her name and PIN', async () => {
    await renderNewDevice();
    expectSecret('Your PIN (6 to 12 digits)', true);
    expectSecret('Your PIN again', true);
    expect(screen.getByLabelText('Your PIN (6 to 12 digits)')).toHaveAttribute('inputmode', 'numeric');
    expect(formMemoryProblems()).toEqual([]);
  });

  it('joining: the device code', async () => {
    await bootFresh('ui');
    render(<App />);
    await userEvent.click(await screen.findByRole('button', { name: 'Join your organisation' }));
    await screen.findByRole('heading', { name: 'Join your organisation' });
    expectSecret('Device code', false);
    expect(formMemoryProblems()).toEqual([]);
  });

  it('the organisation: its passphrase, the recovery code shown and typed back', async () => {
    const { user } = await renderUnlocked();
    await goTo(user, 'Settings');
    const card = screen.getByRole('region', { name: 'Organisation' });
    await user.click(within(card).getByRole('button', { name: 'Set up a new organisation' }));
    expectSecret('Admin passphrase (at least 12 characters)', true);
    expectSecret('Passphrase again', true);
    expect(formMemoryProblems()).toEqual([]);
    await user.type(within(card).getByLabelText('Organisation name'), 'Women’s Drop-in Centre');
    await user.type(within(card).getByLabelText('Admin passphrase (at least 12 characters)'), 'kestrel meadow quartz');
    await user.type(within(card).getByLabelText('Passphrase again'), 'kestrel meadow quartz');
    await user.click(within(card).getByRole('button', { name: 'Make the keys and the recovery kit' }));
    await within(card).findByLabelText('Recovery code', {}, { timeout: 20_000 });
    expect(formMemoryProblems()).toEqual([]);
    await user.click(within(card).getByRole('button', { name: 'I have printed it or written it down' }));
    expectSecret('Type the recovery code from the printed kit', false);
    expect(formMemoryProblems()).toEqual([]);
  }, 60_000);

  it('registering a woman: her name and what she shares', async () => {
    const { user } = await renderUnlocked();
    await user.type(screen.getByRole('searchbox', { name: 'Find a woman by the name she goes by' }), 'Xanthippe');
    await user.click(await screen.findByRole('button', { name: 'Register “Xanthippe” as new' }));
    await screen.findByRole('dialog', { name: 'Register a new woman' });
    expect(screen.getAllByRole('combobox').length).toBeGreaterThan(0);
    expect(formMemoryProblems()).toEqual([]);
  });

  it('the reports: the organisation passphrase, or the recovery code', async () => {
    await setUpFresh('ui');
    const user = userEvent.setup();
    render(
      <CoreContext.Provider value={core()}>
        <UnlockOrgKey purpose="reports" />
      </CoreContext.Provider>,
    );
    expectSecret('Organisation passphrase', true);
    expect(formMemoryProblems()).toEqual([]);
    await user.click(screen.getByRole('switch', { name: 'Use the recovery code instead' }));
    expectSecret('Recovery code', false);
    expect(formMemoryProblems()).toEqual([]);
  });

  it('the PINs dialog and every card of Settings', async () => {
    const { user } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'PINs' }));
    await screen.findByRole('dialog', { name: 'PINs on this device' });
    expectSecret('My PIN now', true);
    expect(formMemoryProblems()).toEqual([]);
    await user.click(within(screen.getByRole('dialog', { name: 'PINs on this device' })).getByRole('button', { name: 'Close' }));
    await goTo(user, 'Settings');
    expect(document.querySelectorAll('form').length).toBeGreaterThan(2);
    expect(formMemoryProblems()).toEqual([]);
  });

  it('the lock screen: her PIN', async () => {
    await renderUnlocked();
    await lock();
    await screen.findByRole('heading', { name: 'Footfall is locked' });
    expectSecret('PIN', true);
    expect(formMemoryProblems()).toEqual([]);
  });

  it('where the browser cannot mask a text field, a PIN is a password field, still with autocomplete off', () => {
    textSecurity(false);
    render(
      <label>
        PIN
        <SecretInput kind="pin" value="" onChange={() => undefined} />
      </label>,
    );
    const field = screen.getByLabelText('PIN');
    expect(field).toHaveAttribute('type', 'password');
    expect(field).toHaveAttribute('autocomplete', 'off');
  });
});
