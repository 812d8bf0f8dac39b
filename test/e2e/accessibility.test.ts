/**
 * WCAG 2.2 AA on every screen and dialog, at the sizes the centre uses: the shared 10" tablet in
 * landscape and portrait, and a small phone. axe-core must find nothing, every control must be
 * at least 44 x 44 CSS px, and the app must make no request to any other origin.
 */
import { describe, expect, test } from 'vitest';
import { axeViolations, injectAxe, smallTargets, VIEWPORTS } from './a11y.ts';
import { appInBrowser } from './harness.ts';
import {
  ADMIN,
  anonymousVisit,
  dialog,
  enterPin,
  exactly,
  openTab,
  registerFromSearch,
  search,
  setUpDevice,
  tapServices,
  unlock,
  waitLocked,
} from './app.ts';

const FRONT_DESK = { name: 'Mary Adeyemi', pin: '583920' };

const rig = appInBrowser({ width: 1280, height: 800 });

/** Checks the page as it is now at every viewport; returns what is wrong, readably. */
async function audit(what: string): Promise<string[]> {
  const { page } = rig.browser;
  const problems: string[] = [];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    for (const v of await axeViolations(page)) problems.push(`[${what} @ ${vp.name} ${vp.width}x${vp.height}] axe: ${v}`);
    for (const t of await smallTargets(page)) problems.push(`[${what} @ ${vp.name} ${vp.width}x${vp.height}] touch target too small: ${t}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return problems;
}

function expectClean(problems: string[]): void {
  expect(problems, `\n${problems.join('\n\n')}\n`).toEqual([]);
}

describe('accessibility (WCAG 2.2 AA, 44 px targets) at tablet and phone sizes', () => {
  test('the setup screen, and its error message', async () => {
    const { page } = rig.browser;
    await page.goto(rig.served.url);
    await page.getByRole('heading', { name: 'Welcome to Footfall' }).waitFor();
    // The strict Content-Security-Policy refuses inline scripts, axe's own included.
    expect(await injectAxe(page)).toBe('devtools');

    // The checks themselves catch problems: a nameless, tiny button and a faint line of text.
    // (Styled through the CSSOM: the CSP rightly ignores inline style attributes.)
    await page.evaluate(() => {
      const probe = document.createElement('div');
      probe.id = 'probe';
      const tiny = Object.assign(document.createElement('button'), { type: 'button' });
      Object.assign(tiny.style, { minWidth: '0', minHeight: '0', width: '20px', height: '20px', padding: '0' });
      const faint = Object.assign(document.createElement('p'), { textContent: 'faint' });
      Object.assign(faint.style, { color: '#cccccc', background: '#ffffff' });
      probe.append(tiny, faint);
      document.querySelector('main')!.append(probe);
    });
    const caught = await audit('probe');
    expect(caught.some((p) => p.includes('axe: button-name'))).toBe(true);
    expect(caught.some((p) => p.includes('axe: color-contrast'))).toBe(true);
    expect(caught.some((p) => p.includes('touch target too small: <button> "" is 20x20'))).toBe(true);
    await page.evaluate(() => document.getElementById('probe')!.remove());

    const problems = await audit('welcome');
    await page.getByRole('button', { name: 'Set up a new organisation' }).click();
    problems.push(...(await audit('setup')));
    await page.getByRole('button', { name: 'Set up this device' }).click();
    await page.getByRole('alert').filter({ hasText: 'Give this device a name' }).waitFor();
    problems.push(...(await audit('setup with an error')));
    expectClean(problems);
    await setUpDevice(page);
  });

  test('check in, the register dialog (with the under-18 safeguarding note) and the check-in dialog', async () => {
    const { page } = rig.browser;
    const problems = await audit('check in, empty');

    await page.getByRole('button', { name: 'Register a new woman' }).click();
    const form = dialog(page, 'Register a new woman');
    await form.waitFor();
    problems.push(...(await audit('register dialog')));
    await form.getByRole('combobox', { name: 'Age' }).selectOption({ label: 'Under 18' });
    const note = form.getByRole('alert');
    await note.waitFor();
    expect(await note.textContent()).toMatch(/safeguarding/i);
    expect(await note.isVisible()).toBe(true);
    problems.push(...(await audit('register dialog, under-18 safeguarding note')));
    await form.getByRole('textbox', { name: 'Known as' }).fill('Zainab');
    await form.getByRole('button', { name: 'Register and check in' }).click();

    const panel = dialog(page, 'Check in Zainab');
    await panel.waitFor();
    problems.push(...(await audit('check-in dialog')));
    await tapServices(panel, ['Meal', 'Shower']);
    problems.push(...(await audit('check-in dialog, services ticked')));
    await panel.getByRole('button', { name: 'Save visit' }).click();
    await panel.waitFor({ state: 'detached' });

    await registerFromSearch(page, 'Beatrix', ['Laundry']);
    await anonymousVisit(page, ['Meal', 'Advice']);

    await search(page).fill('za');
    await page.getByRole('list', { name: 'Matching women' }).getByRole('button').first().waitFor();
    problems.push(...(await audit('check in, search results')));
    await search(page).fill('qqq');
    await page.getByText('No one known as “qqq” yet.').waitFor();
    problems.push(...(await audit('check in, no match')));

    await search(page).fill('zai');
    await page.getByRole('list', { name: 'Matching women' }).getByRole('button', { name: /^Zainab/ }).click();
    const again = dialog(page, 'Zainab is checked in today');
    await again.waitFor();
    problems.push(...(await audit('check-in dialog, already here today')));
    await again.getByRole('button', { name: 'Close' }).click();
    await again.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Anonymous visit' }).click();
    const anon = dialog(page, 'Anonymous visit');
    await anon.waitFor();
    problems.push(...(await audit('anonymous visit dialog')));
    await anon.getByRole('button', { name: 'Close' }).click();
    expectClean(problems);
  });

  test('Today with visits, and the services, correct and void dialogs', async () => {
    const { page } = rig.browser;
    await openTab(page, 'Today');
    // One voided visit, so the "Voided today" list shows too.
    await page.getByRole('button', { name: /^Void the visit of Beatrix at/ }).click();
    const voiding = dialog(page, 'Void the visit of Beatrix');
    await voiding.getByRole('combobox', { name: 'Reason' }).selectOption({ label: 'Test entry' });
    await voiding.getByRole('button', { name: 'Void visit' }).click();
    await voiding.waitFor({ state: 'detached' });

    const problems = await audit('today with visits');
    await page.getByText('Voided today (1)').click();
    problems.push(...(await audit('today, voided list open')));

    await page.getByRole('button', { name: /^Services for Zainab at/ }).click();
    const services = dialog(page, 'Services for Zainab');
    await services.waitFor();
    problems.push(...(await audit('services dialog')));
    await services.getByRole('button', { name: 'Close' }).click();
    await services.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: /^Correct the visit of Anonymous at/ }).click();
    const correcting = dialog(page, 'Correct the visit of Anonymous');
    await correcting.waitFor();
    problems.push(...(await audit('correct dialog')));
    await correcting.getByRole('searchbox', { name: 'Find another woman' }).fill('z');
    await correcting.getByRole('button', { name: exactly('Zainab') }).waitFor();
    await correcting.getByRole('button', { name: 'Save correction' }).click();
    await correcting.getByRole('alert').waitFor();
    problems.push(...(await audit('correct dialog, search and an error')));
    await correcting.getByRole('button', { name: 'Close' }).click();
    await correcting.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: /^Void the visit of Zainab at/ }).click();
    const voidZ = dialog(page, 'Void the visit of Zainab');
    await voidZ.waitFor();
    problems.push(...(await audit('void dialog')));
    await voidZ.getByRole('button', { name: 'Void visit' }).click();
    await voidZ.getByRole('alert').waitFor();
    problems.push(...(await audit('void dialog with an error')));
    await voidZ.getByRole('button', { name: 'Close' }).click();
    expectClean(problems);
  });

  test('settings', async () => {
    const { page } = rig.browser;
    await openTab(page, 'Settings');
    const problems = await audit('settings');
    await page.getByRole('textbox', { name: 'Name' }).fill(FRONT_DESK.name);
    await page.getByLabel('Her PIN (6 to 12 digits)').fill(FRONT_DESK.pin);
    await page.getByRole('button', { name: 'Add staff member' }).click();
    await page.getByText(`${FRONT_DESK.name} can now unlock this device with her PIN.`).waitFor();
    await page.getByRole('textbox', { name: 'New service' }).fill('Meal');
    await page.getByRole('button', { name: 'Add service' }).click();
    await page.getByRole('alert').filter({ hasText: 'There is already a service called' }).waitFor();
    problems.push(...(await audit('settings, after adding staff and with an error')));
    expectClean(problems);
  });

  test('the lock screen, and a wrong PIN', async () => {
    const { page } = rig.browser;
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await waitLocked(page);
    const problems = await audit('lock screen, two staff');
    await enterPin(page, ADMIN.name, '999111');
    await page.getByRole('alert').filter({ hasText: 'That PIN is not right' }).waitFor();
    problems.push(...(await audit('lock screen, wrong PIN')));
    await unlock(page);
    expectClean(problems);
  });

  test('no request went to any origin but the app’s', () => {
    expect(rig.browser.foreignRequests).toEqual([]);
  });
});
