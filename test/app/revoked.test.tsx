/**
 * A revoked device, as the person at it sees it: the status says so in plain words, a new record
 * is refused with what to do, and what was not sent is saved as a sealed file for the admin.
 */
import { act, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { recordsFileClaims } from '../../src/crypto/authority.ts';
import { bytesJson, generateTeamKey } from '../../src/crypto/envelope.ts';
import { RecordsFile, RecordsFileContent } from '../../src/domain/protocol.ts';
import { enrolAs } from './careFixtures.ts';
import { catchDownloads, type CaughtDownload } from './downloads.ts';
import { core } from './helpers.ts';
import { goTo, renderUnlocked } from './ui.tsx';

let downloads: CaughtDownload[] = [];

beforeEach(() => {
  downloads = catchDownloads();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a revoked device', () => {
  it('says it was removed, refuses a new record, and saves what was not sent as a sealed file', async () => {
    const { user, db } = await renderUnlocked();
    await enrolAs(db, 'frontDesk');
    await core().saveTeamKeys(new Map([[1, await generateTeamKey()]]));
    await act(async () => {
      await registerWoman(core(), 'Rosa', {});
      // What the sync engine writes when the server answers 403 device_revoked.
      const sync = (await db.device.get('sync')) ?? { key: 'sync', lastSyncedAt: null, directoryCursor: null, skewMs: null };
      await db.device.put({ ...sync, revoked: true } as typeof sync);
      core().markRevoked();
      await refreshStatus();
    });

    const panel = await screen.findByRole('region', { name: 'This device was removed' });
    expect(panel).toHaveTextContent('This device has been removed from the organisation. It no longer takes new records or sends any.');
    expect(panel).toHaveTextContent('1 record was not sent: save them as a file and give it to your admin');
    await expect(registerWoman(core(), 'Amira', {})).rejects.toMatchObject({ code: 'device_revoked' });

    await user.click(within(panel).getByRole('button', { name: 'Save the records for your admin' }));
    expect(await within(panel).findByText(/Saved\. The file is sealed/)).toBeInTheDocument();
    const file = RecordsFile.parse(JSON.parse(await downloads.at(-1)!.text));
    const content = RecordsFileContent.parse(bytesJson(recordsFileClaims(file.signed)!));
    expect(content.batches).toHaveLength(1);
    expect(await downloads.at(-1)!.text).not.toContain('Rosa');
    expect(await db.outbox.count()).toBe(1); // still here, still waiting

    // Settings no longer says it syncs by itself.
    await goTo(user, 'Settings');
    expect(await screen.findByText(/^This device has been removed from the organisation\. It no longer syncs/)).toBeInTheDocument();
    expect(screen.queryByText(/syncs by itself/)).not.toBeInTheDocument();
  });
});
