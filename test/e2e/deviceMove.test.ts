/**
 * Moving a tablet to another site, end to end in Chromium with the real endpoint
 * (docs/security.md#devices): on the admin's laptop, Settings → Devices shows the joined tablet as
 * confirmed at its site once Reports has read its join, and moves it by a signed move; the tablet
 * takes the new site at its next sync. The list and the move form pass axe, with every target big
 * enough, at tablet and phone sizes.
 */
import { describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { expectAccessibleAtEverySize as expectAccessible } from './a11y.ts';
import { laptopAndTablet, nudgeSync, openReportsWith, openTab, organisationCard, organisationWithTablet, storedRow } from './app.ts';

/** The name the set-up gives the tablet with its code (app.ts makeEnrolmentCode). */
const TABLET = { name: 'Front desk device' };

const PASSPHRASE = 'juniper ledger copper swallow';

const rig = laptopAndTablet();


/** The site key in the device's identity row. */
async function siteOf(page: Page): Promise<string> {
  return ((await storedRow(page, 'device', 'identity')) as { siteKey: string }).siteKey;
}

function tabletRow(card: Locator): Locator {
  return card.getByRole('list', { name: 'Enrolled devices' }).getByRole('listitem').filter({ hasText: new RegExp(`^${TABLET.name}`) });
}

describe('moving a tablet to another site', () => {
  test('the organisation, a second site, and the tablet joined at the first', async () => {
    await organisationWithTablet(rig, PASSPHRASE);
    const { page } = rig.laptop;
    const sites = page.getByRole('region', { name: 'Sites' });
    await sites.getByRole('textbox', { name: 'New site' }).fill('Annexe');
    await sites.getByRole('button', { name: 'Add site' }).click();
    await sites.getByRole('button', { name: 'Retire Annexe' }).waitFor();
    expect(await siteOf(rig.tablet.page)).not.toBe('annexe');
  });

  test('Settings → Devices shows the tablet confirmed at its site once Reports has read its join, and moves it', async () => {
    const { page } = rig.laptop;
    await openReportsWith(page, PASSPHRASE);
    await openTab(page, 'Settings');
    const card = await organisationCard(page);
    const row = tabletRow(card);
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toMatch(/Confirmed as a front desk device at Drop-in centre/);
    await expectAccessible(page, 'the list of devices');
    await row.getByRole('button', { name: `Move ${TABLET.name} to another site` }).click();
    await row.getByRole('combobox', { name: `New site for “${TABLET.name}”` }).selectOption({ label: 'Annexe' });
    await expectAccessible(page, 'the move form');
    await row.getByRole('button', { name: `Move ${TABLET.name}`, exact: true }).click();
    await row.getByText('Moved to Annexe: it takes the site when it next syncs.').waitFor();
    await expect.poll(() => row.textContent()).toMatch(/Confirmed as a front desk device at Annexe/);
    await card.getByRole('button', { name: 'Sync now' }).click();
  }, 120_000);

  test('the tablet takes the new site at its next sync', async () => {
    const { page } = rig.tablet;
    await nudgeSync(page);
    await expect.poll(() => siteOf(page), { timeout: 30_000 }).toBe('annexe');
  });
});
