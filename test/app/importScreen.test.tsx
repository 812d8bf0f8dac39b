/**
 * The Import tab (jsdom, fake-indexeddb): offered to an admin on the organisation's admin device
 * only; it asks for the organisation passphrase first, then offers the file. The wrapped key is
 * served by a stub of the app's client; the panel itself is tested in importPanel.test.tsx.
 */
import { act, screen } from '@testing-library/react';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { wrapOrgKey } from '../../src/crypto/orgKey.ts';
import type { WrappedOrgKey } from '../../src/domain/protocol.ts';
import { enrolAs } from './careFixtures.ts';
import { nav, renderUnlocked } from './ui.tsx';

const PASSPHRASE = 'copper kettle winter harbour';

const server = vi.hoisted(() => ({ keys: [] as WrappedOrgKey[] }));

// The app's client, as the unlock form gets it, serves the organisation key wrapped with PASSPHRASE.
vi.mock('../../src/app/admin/adminDevice.ts', async (original) => ({
  ...(await original<typeof import('../../src/app/admin/adminDevice.ts')>()),
  defaultClient: async () => ({ adminKeys: async () => ({ kind: 'ok', value: { keys: server.keys }, serverTime: null }) }),
}));

// The unlocked app and this screen are loaded lazily; loaded once here, no test waits on it.
beforeAll(async () => {
  await Promise.all([import('../../src/app/Shell.tsx'), import('../../src/app/admin/import/ImportScreen.tsx')]);
});

describe('the Import tab', () => {
  it('is offered to an admin only on the organisation’s admin device, after Reports', async () => {
    const { db } = await renderUnlocked();
    expect(nav().queryByRole('button', { name: 'Import' })).not.toBeInTheDocument();
    await act(async () => {
      await enrolAs(db, 'frontDesk');
      await refreshStatus();
    });
    expect(nav().queryByRole('button', { name: 'Import' })).not.toBeInTheDocument();
    await act(async () => {
      await enrolAs(db, 'admin');
      await refreshStatus();
    });
    expect(nav().getAllByRole('button').map((b) => b.textContent)).toEqual([
      'Check in',
      'Today',
      'Outreach',
      'Casework',
      'Reports',
      'Import',
      'Women’s records',
      'Settings',
    ]);
  });

  it('opens the organisation’s records with the passphrase, then offers the file', async () => {
    const { user, db } = await renderUnlocked();
    const org = await generateOrgKeyPair();
    // The iteration count is stored with each wrap; 600,000 would only slow the test.
    server.keys = [{ id: crypto.randomUUID(), kind: 'passphrase', wrapped: await wrapOrgKey(org.privateKey, PASSPHRASE, 1_000) }];
    await act(async () => {
      await enrolAs(db, 'admin');
      // The organisation whose key the stub serves: the key opened is checked against it.
      const row = (await db.device.get('enrolment'))!;
      await db.device.put({ ...row, orgPublicKey: org.publicJwk } as typeof row);
      await refreshStatus();
    });

    await user.click(nav().getByRole('button', { name: 'Import' }));
    await screen.findByRole('heading', { level: 1, name: 'Import records' });
    expect(screen.getByRole('heading', { level: 2, name: 'Open the organisation’s records' })).toBeInTheDocument();
    expect(screen.queryByLabelText('CSV file of records')).not.toBeInTheDocument();

    await user.type(screen.getByLabelText('Organisation passphrase'), PASSPHRASE);
    await user.click(screen.getByRole('button', { name: 'Open the records' }));
    expect(await screen.findByLabelText('CSV file of records', {}, { timeout: 10_000 })).toBeInTheDocument();
    expect(screen.queryByLabelText('Organisation passphrase')).not.toBeInTheDocument();
  });
});
