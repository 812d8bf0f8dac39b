/**
 * The "Change the organisation key" control in Settings, on the admin's device: it says what a
 * change does and when to make one, asks for the passphrase and the printed kit, and reports the
 * outcome in words. The change itself is tested against the real endpoint in orgKeyRotation.test.ts.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { rotateOrgKey } from '../../src/app/admin/rotateOrgKey.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { ClientError } from '../../src/app/problems.ts';
import { enrolAs } from './careFixtures.ts';
import { goTo, renderUnlocked } from './ui.tsx';

vi.mock('../../src/app/admin/rotateOrgKey.ts', () => ({ rotateOrgKey: vi.fn() }));

const CODE = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01';

beforeAll(async () => {
  await import('../../src/app/Shell.tsx');
});

async function openControl() {
  const { user, db } = await renderUnlocked();
  await enrolAs(db, 'admin');
  await act(() => refreshStatus());
  await goTo(user, 'Settings');
  const section = within(await screen.findByRole('region', { name: 'The organisation key' }));
  return { user, section };
}

describe('Change the organisation key', () => {
  it('says what it does and when to use it, and changes the key with the passphrase and the kit', async () => {
    vi.mocked(rotateOrgKey).mockResolvedValueOnce(2);
    const { user, section } = await openControl();
    expect(section.getByText(/laptop or a phone that opened the reports was lost or stolen/)).toBeInTheDocument();
    expect(section.getByText(/Records from before stay readable on admin devices/)).toBeInTheDocument();
    await user.click(section.getByRole('button', { name: 'Change the organisation key' }));
    const submit = section.getByRole('button', { name: 'Change the key now' });
    await user.type(section.getByLabelText('Admin passphrase'), 'correct horse battery staple');
    await user.type(section.getByLabelText('Recovery code, from the printed kit'), CODE);
    await user.click(submit);
    expect(await section.findByText('The organisation key has been changed (key 2). Devices use it from their next sync.')).toBeInTheDocument();
    expect(vi.mocked(rotateOrgKey)).toHaveBeenCalledWith(expect.anything(), expect.anything(), 'correct horse battery staple', CODE);
    expect(section.queryByLabelText('Admin passphrase')).not.toBeInTheDocument();
  });

  it('says plainly when the kit’s code is wrong, and keeps the form to try again', async () => {
    vi.mocked(rotateOrgKey).mockRejectedValueOnce(new ClientError('recovery_wrong'));
    const { user, section } = await openControl();
    await user.click(section.getByRole('button', { name: 'Change the organisation key' }));
    await user.type(section.getByLabelText('Admin passphrase'), 'correct horse battery staple');
    await user.type(section.getByLabelText('Recovery code, from the printed kit'), CODE);
    await user.click(section.getByRole('button', { name: 'Change the key now' }));
    expect(await section.findByRole('alert')).toHaveTextContent('That recovery code did not open the organisation key.');
    expect(section.getByLabelText('Admin passphrase')).toBeInTheDocument();
  });
});
