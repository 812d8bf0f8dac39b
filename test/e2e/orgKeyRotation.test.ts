/**
 * Changing the organisation key, end to end in Chromium with the real endpoint
 * (docs/security.md#rotating-the-organisation-key): the admin changes it in Settings on her
 * laptop with the passphrase and the printed kit; the joined tablet seals the visits it records
 * after its next sync to the new key; the laptop's report opens both keys and counts the visits
 * from before and after. The control passes axe, and every target is big enough, at tablet and
 * phone sizes.
 */
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { sealedKeyId } from '../../src/crypto/envelope.ts';
import { expectAccessibleAtEverySize as expectAccessible } from './a11y.ts';
import { queryServer } from './harness.ts';
import {
  anonymousVisit,
  laptopAndTablet,
  nudgeSync,
  openReportsWith,
  openTab,
  organisationCard,
  organisationWithTablet,
  readOutbox,
  reportTable,
  storedRow,
  unlock,
  waitForSyncStatus,
} from './app.ts';

const PASSPHRASE = 'marigold anchor fifteen tides';
const LAST_SYNCED = /^Nothing waiting to sync; last synced \d\d:\d\d$/;

const rig = laptopAndTablet();
let recoveryCode: string;


/** The key id each batch the tablet uploaded names in its activity part, oldest first. */
async function tabletKeyIds(tablet: Page): Promise<string[]> {
  const { deviceId } = await readOutbox(tablet);
  return queryServer<{ activity: string }>(rig.served.dataDir, 'SELECT activity FROM batches WHERE device_id = ? ORDER BY cursor', deviceId).map(
    (b) => sealedKeyId(b.activity) ?? 'none',
  );
}

/**
 * The tablet's sealed marks, as a copy of it shows them: the key it seals to is kept in them
 * (docs/security.md#rotating-the-organisation-key), so they are written again, with a fresh IV,
 * when it adopts an announced one; its enrolment row never holds it.
 */
async function sealedMarks(page: Page): Promise<string> {
  const enrolment = (await storedRow(page, 'device', 'enrolment')) as object;
  expect(enrolment, 'the organisation key in the clear').not.toHaveProperty('sealingKey');
  return JSON.stringify((await storedRow(page, 'settings', 'enrolmentMarks')) as object);
}

/** Waits until the tablet has nothing waiting and has synced. */
async function tabletSynced(page: Page): Promise<void> {
  await waitForSyncStatus(page, LAST_SYNCED, 30_000);
  await expect.poll(() => readOutbox(page), { timeout: 30_000 }).toMatchObject({ eventKeys: [], batchIds: [] });
}

describe('changing the organisation key', () => {
  test('the organisation is set up on the laptop, the tablet joins, and records a visit', async () => {
    ({ recoveryCode } = await organisationWithTablet(rig, PASSPHRASE));
    await anonymousVisit(rig.tablet.page, ['Meal']);
    await tabletSynced(rig.tablet.page);
  });

  test('the admin changes the key in Settings with the passphrase and the printed kit', async () => {
    const { page } = rig.laptop;
    await openTab(page, 'Settings');
    const card = await organisationCard(page);
    const control = card.getByRole('region', { name: 'The organisation key' });
    await control.getByRole('button', { name: 'Change the organisation key' }).click();
    const form = control.getByRole('form', { name: 'Change the organisation key' });
    await expectAccessible(page, 'the organisation key, its form open');
    await form.getByLabel('Admin passphrase', { exact: true }).fill(PASSPHRASE);
    await form.getByLabel('Recovery code, from the printed kit', { exact: true }).fill(recoveryCode);
    await form.getByRole('button', { name: 'Change the key now' }).click();
    await expect
      .poll(() => control.getByRole('status').textContent(), { timeout: 90_000 })
      .toBe('The organisation key has been changed (key 2). Devices use it from their next sync.');
    await expectAccessible(page, 'the organisation key, changed');
    // The announcement goes out in the laptop's next batch.
    await card.getByRole('button', { name: 'Sync now' }).click();
    await waitForSyncStatus(page, LAST_SYNCED, 30_000);
  }, 180_000);

  test('the tablet seals what it records after its next sync to the new key', async () => {
    const { page } = rig.tablet;
    const before = await tabletKeyIds(page);
    expect(new Set(before).size, 'all sealed to the first key').toBe(1);
    // Its next round reads the announcement (a round uploads before it reads the directory).
    const marks = await sealedMarks(page);
    await nudgeSync(page);
    await expect.poll(() => sealedMarks(page), { timeout: 30_000 }).not.toBe(marks);
    await anonymousVisit(page, ['Shower']);
    await tabletSynced(page);
    const after = (await tabletKeyIds(page)).slice(before.length);
    expect(after.length).toBeGreaterThan(0);
    expect(after.at(-1), 'the visit after the rotation').not.toBe(before[0]);
    expect(after.at(-1)).not.toBe('none');
  });

  test('the laptop’s report counts the visits from before and after the change', async () => {
    const { page } = rig.laptop;
    // The change opened the organisation key, and the laptop holds it until it locks: lock, so
    // the report opens both keys from the passphrase, as it will tomorrow.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await unlock(page);
    await openReportsWith(page, PASSPHRASE);
    await expect.poll(async () => (await reportTable(page, 'Summary')).Visits?.[0], { timeout: 30_000 }).toBe('2');
    expect((await reportTable(page, 'Summary'))['Anonymous visits']?.[0]).toBe('2');
  });
});
