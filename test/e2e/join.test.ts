/**
 * A centre set up as its CEO would, end to end in Chromium with the real endpoint: the
 * organisation on her laptop, three people added once, a tablet and a phone joined by their QR
 * links, each person setting her own PIN with her personal code. Nobody but the CEO sees admin
 * screens; the join screens pass axe at tablet and phone size.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { axeViolations, injectAxe, smallTargets, VIEWPORTS } from './a11y.ts';
import { openBrowser, serveApp, type Browser, type Served } from './harness.ts';
import { ADMIN, LAPTOP, addPerson, deviceLink, finishOrganisation, joinByLink, organisationCard, setUpDevice, startOrganisation, waitUnlocked, openTab } from './app.ts';

const PASSPHRASE = 'harbour lantern violet nine';
const AMIRA = { name: 'Amira Haddad', pin: '583920' };
const BEA = { name: 'Bea Lowe', pin: '604729' };
const OLU = { name: 'Olu Bankole', pin: '731904' };

let served: Served;
let laptop: Browser;
let tablet: Browser;
let phone: Browser;
const codes = new Map<string, string>();

beforeAll(async () => {
  served = await serveApp();
  laptop = await openBrowser(served.url);
  tablet = await openBrowser(served.url, { width: 1280, height: 800 });
  phone = await openBrowser(served.url, { width: 360, height: 740 }, { isMobile: true, hasTouch: true });
});

afterAll(async () => {
  for (const b of [laptop, tablet, phone]) await b?.dispose();
  await served?.dispose();
});

async function audit(page: Page, what: string): Promise<string[]> {
  await injectAxe(page);
  const problems: string[] = [];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    for (const v of await axeViolations(page)) problems.push(`[${what} @ ${vp.name}] axe: ${v}`);
    for (const t of await smallTargets(page)) problems.push(`[${what} @ ${vp.name}] touch target too small: ${t}`);
  }
  return problems;
}

/** Opens the device's QR link, and its first person sets her PIN, with the join screens audited. */
async function joinAudited(page: Page, link: string, person: { name: string; pin: string }): Promise<string[]> {
  const problems: string[] = [];
  await joinByLink(page, link, { ...person, code: codes.get(person.name)! }, async (what) => void problems.push(...(await audit(page, what))));
  return problems;
}

describe('a centre set up by its CEO alone', () => {
  test('the organisation on her laptop, and three people added once, each with a personal code', async () => {
    const { page } = laptop;
    await page.goto(served.url);
    await setUpDevice(page, ADMIN, LAPTOP);
    const card = await organisationCard(page);
    await finishOrganisation(card, await startOrganisation(card, PASSPHRASE));
    const people = page.getByRole('region', { name: 'People' });
    codes.set(AMIRA.name, await addPerson(page, AMIRA.name, 'Front desk'));
    codes.set(BEA.name, await addPerson(page, BEA.name, 'Front desk'));
    codes.set(OLU.name, await addPerson(page, OLU.name, 'Outreach'));
    await expect.poll(() => people.getByRole('list', { name: 'The organisation’s people' }).getByRole('listitem').count()).toBe(4);
  });

  test('a tablet and a phone join by link; each person sets her own PIN; nobody sees admin screens there', async () => {
    const card = await organisationCard(laptop.page);
    const tabletLink = await deviceLink(card, served.url, 'Front desk tablet', 'Front desk');
    const phoneLink = await deviceLink(card, served.url, 'Olu’s phone', 'Outreach');

    const problems = await joinAudited(tablet.page, tabletLink, AMIRA);
    const nav = tablet.page.getByRole('navigation', { name: 'Screens' });
    expect(await nav.getByRole('button').allInnerTexts()).toEqual(['Check in', 'Today']);

    // Bea sets hers while Amira is signed in.
    await tablet.page.getByRole('button', { name: 'PINs' }).click();
    const dialog = tablet.page.getByRole('dialog', { name: 'PINs on this device' });
    await dialog.getByRole('combobox', { name: 'Your name' }).selectOption({ label: BEA.name });
    await dialog.getByRole('textbox', { name: 'Your personal code' }).fill(codes.get(BEA.name)!);
    await dialog.getByLabel('Choose your PIN (6 to 12 digits)').fill(BEA.pin);
    await dialog.getByLabel('Your PIN again').fill(BEA.pin);
    problems.push(...(await audit(tablet.page, 'PINs dialog')));
    await dialog.getByRole('button', { name: 'Set my PIN' }).click();
    await dialog.getByText(`${BEA.name} can now unlock this device with her own PIN.`).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await tablet.page.getByRole('button', { name: 'Lock', exact: true }).click();
    await tablet.page.getByRole('radio', { name: BEA.name }).check();
    // The lock screen lists the people who set a PIN on this device, and no one else.
    expect(await tablet.page.getByRole('radio').count()).toBe(2);
    await tablet.page.getByRole('radio', { name: AMIRA.name }).waitFor();
    await tablet.page.getByLabel('PIN', { exact: true }).fill(BEA.pin);
    await tablet.page.getByRole('button', { name: 'Unlock' }).click();
    await waitUnlocked(tablet.page);

    problems.push(...(await joinAudited(phone.page, phoneLink, OLU)));
    await phone.page.getByRole('heading', { name: 'Outreach' }).first().waitFor();
    expect(await phone.page.getByRole('navigation', { name: 'Screens' }).count()).toBe(0);
    expect(problems, `\n${problems.join('\n\n')}\n`).toEqual([]);

    // The CEO's laptop alone shows the admin screens.
    await openTab(laptop.page, 'Settings');
    expect(await laptop.page.getByRole('navigation', { name: 'Screens' }).getByRole('button').allInnerTexts()).toContain('Reports');
  });
});
