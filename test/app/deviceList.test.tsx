/**
 * Settings → Devices on the admin's laptop (docs/security.md#devices): each device as admins signed
 * it (confirmed and where, joining with one of her codes, or not confirmed yet with the control
 * that confirms it), a signed move to another site, and the list read again every few seconds
 * while an enrolment code is on the screen. The endpoint is stood in for; what is signed is
 * tested against the real one in deviceStatements.test.ts.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { confirmDevice, inviteDevice } from '../../src/app/admin/deviceStatements.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { saveConfig } from '../../src/app/settings/settingsActions.ts';
import { createEnrolmentCode, listDevices } from '../../src/app/sync/organisation.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { DeviceSummary } from '../../src/domain/protocol.ts';
import { enrolAs } from './careFixtures.ts';
import { core, currentSession, readEvents } from './helpers.ts';
import { goTo, renderUnlocked } from './ui.tsx';

vi.mock('../../src/app/sync/organisation.ts', async (original) => ({
  ...(await original<typeof import('../../src/app/sync/organisation.ts')>()),
  listDevices: vi.fn(),
  createEnrolmentCode: vi.fn(),
}));

beforeAll(async () => {
  await import('../../src/app/Shell.tsx');
});

let keys: Pick<DeviceSummary, 'signingKey' | 'encryptionKey'>;
beforeAll(async () => {
  const k = await generateDeviceKeys();
  keys = { signingKey: await publicJwk(k.signing.publicKey), encryptionKey: await publicJwk(k.encryption.publicKey) };
});

function listed(deviceId: string, name: string, role: DeviceSummary['role'], enrolledAt = new Date().toISOString()): DeviceSummary {
  return { deviceId, name, role, enrolledAt, lastSeenAt: null, revokedAt: null, ...keys };
}

/** The admin's laptop, enrolled and certified, with a second site; its Settings open. */
async function openDevices(devices: (mine: DeviceSummary) => DeviceSummary[], before?: () => Promise<void>) {
  const { user, db } = await renderUnlocked();
  await enrolAs(db, 'admin');
  await act(() => refreshStatus());
  const config = currentSession().config;
  await saveConfig(core(), { ...config, sites: [...config.sites, { key: 'annexe', name: 'Annexe', retired: false }] });
  await before?.();
  const mine = listed(core().identity.deviceId, 'Admin laptop', 'admin');
  vi.mocked(listDevices).mockResolvedValue(devices(mine));
  await goTo(user, 'Settings');
  const list = within(await screen.findByRole('list', { name: 'Enrolled devices' }));
  return { user, db, list, site: config.sites[0]! };
}

function row(list: ReturnType<typeof within>, name: string): ReturnType<typeof within> {
  return within(list.getAllByRole('listitem').find((li: HTMLElement) => li.textContent?.startsWith(name))!);
}

describe('Settings → Devices', () => {
  it('shows each device as signed, confirms one from the keyboard at the site she chooses, and moves another by a signed move', async () => {
    const old = crypto.randomUUID();
    const confirmed = crypto.randomUUID();
    const joining = crypto.randomUUID();
    const { user, db, list, site } = await openDevices(
      (mine) => [mine, listed(old, 'Old tablet', 'frontDesk', '2026-01-01T09:00:00.000Z'), listed(confirmed, 'Annexe tablet', 'frontDesk'), listed(joining, 'New tablet', 'frontDesk', new Date(Date.now() + 60_000).toISOString())],
      async () => {
        // As set-up signs it for the laptop itself.
        await confirmDevice(core(), core().identity.deviceId, 'admin', null, keys.signingKey);
        await confirmDevice(core(), confirmed, 'frontDesk', 'annexe', keys.signingKey);
        await inviteDevice(core(), 'frontDesk', null);
      },
    );
    expect(await row(list, 'Annexe tablet').findByText('Confirmed as a front desk device at Annexe')).toBeInTheDocument();
    expect(row(list, 'New tablet').getByText('Joined with one of your codes: confirmed once Reports has read its first records')).toBeInTheDocument();
    expect(row(list, 'New tablet').queryByRole('button', { name: /confirm/ })).not.toBeInTheDocument();
    expect(row(list, 'Admin laptop').getByText('Confirmed as an admin device')).toBeInTheDocument();
    const oldRow = row(list, 'Old tablet');
    expect(oldRow.getByText(/^Not confirmed yet/)).toBeInTheDocument();

    // Confirmed from the keyboard, at the site she chooses.
    await user.selectOptions(oldRow.getByLabelText('Site of “Old tablet”'), site.key);
    const confirm = oldRow.getByRole('button', { name: 'It is ours: confirm “Old tablet” as a front desk device' });
    confirm.focus();
    await user.keyboard('{Enter}');
    expect(await row(list, 'Old tablet').findByText(`Confirmed as a front desk device at ${site.name}`)).toBeInTheDocument();
    expect((await readEvents(db, core().keyring)).filter((e) => e.type === 'device.enrolled' && e.subjectId === old)).toEqual([
      expect.objectContaining({ role: 'frontDesk', siteKey: site.key }),
    ]);

    // Moved to another site: a signed move in the shared directory, shown at once.
    const annexe = row(list, 'Annexe tablet');
    await user.click(annexe.getByRole('button', { name: 'Move Annexe tablet to another site' }));
    await user.selectOptions(annexe.getByLabelText('New site for “Annexe tablet”'), site.key);
    await user.click(annexe.getByRole('button', { name: 'Move Annexe tablet' }));
    expect(await row(list, 'Annexe tablet').findByText(`Moved to ${site.name}: it takes the site when it next syncs.`)).toBeInTheDocument();
    expect(await row(list, 'Annexe tablet').findByText(`Confirmed as a front desk device at ${site.name}`)).toBeInTheDocument();
    expect((await readEvents(db, core().keyring)).filter((e) => e.type === 'device.moved')).toEqual([expect.objectContaining({ subjectId: confirmed, siteKey: site.key })]);
  }, 60_000);

  it('reads the list again every few seconds while an enrolment code is shown, and stops when it is hidden', async () => {
    const tablet = crypto.randomUUID();
    const { user, list } = await openDevices((mine) => [mine]);
    vi.mocked(createEnrolmentCode).mockResolvedValueOnce({ code: '7K2M-7K2M-7K2M-7K2M-7', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), link: 'https://footfall.example/#enrol=x' });
    await user.type(screen.getByLabelText('Its name'), 'Front desk tablet');
    await user.click(screen.getByRole('button', { name: 'Make a one-time code' }));
    await screen.findByLabelText('Enrolment code');
    // The tablet joins: no sync round needed for it to show.
    vi.mocked(listDevices).mockResolvedValue([listed(core().identity.deviceId, 'Admin laptop', 'admin'), listed(tablet, 'Front desk tablet', 'frontDesk')]);
    expect(await list.findByRole('button', { name: 'Revoke Front desk tablet' }, { timeout: 15_000 })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Hide the code' }));
    expect(screen.queryByLabelText('Enrolment code')).not.toBeInTheDocument();
    const calls = vi.mocked(listDevices).mock.calls.length;
    await new Promise((r) => setTimeout(r, 7_000));
    expect(vi.mocked(listDevices).mock.calls.length).toBe(calls);
  }, 60_000);

  it('on a joined front-desk tablet, shows its site as the admin set it, with nothing to change it', async () => {
    const { user, db } = await renderUnlocked();
    await enrolAs(db, 'frontDesk');
    await act(() => refreshStatus());
    await goTo(user, 'Settings');
    const device = within(await screen.findByRole('region', { name: 'This device' }));
    expect(device.getByText(`Site: ${currentSession().config.sites[0]!.name} (set by the admin)`)).toBeInTheDocument();
    expect(device.queryByRole('combobox', { name: 'Site this device is used at' })).not.toBeInTheDocument();
  });
});
