/**
 * The import panel on an admin device (jsdom, fake-indexeddb): a file is checked in full and
 * nothing is written until the admin confirms; a bad file lists every line to fix; importing the
 * same file again adds nothing. The server is played by a stub client that only hears audits.
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ImportPanel } from '../../src/app/admin/import/ImportPanel.tsx';
import { refreshArchive } from '../../src/app/admin/archive/archiveStore.ts';
import type { FootfallDb } from '../../src/app/core/database.ts';
import type { SyncClient } from '../../src/app/sync/client.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys } from '../../src/crypto/signing.ts';
import { currentSession, readEvents, setUpFresh } from './helpers.ts';

const GOOD = [
  'kind,date,time,site,person,services,area,place,topics,referrals',
  'visit,2024-05-02,10:15,Drop-in centre,Tamsin,meal;shower,,,,',
  'visit,2024-05-02,10:20,drop-in-centre,,laundry,,,,',
  'outreach,2024-05-03,,,,,camden,street,,gp',
  'casework,2024-05-04,14:00,,tamsin,,,,housing;benefits,housing-options',
].join('\r\n');

const BAD = [
  'kind,date,time,site,person,services,area,place,topics,referrals',
  'visit,2024-05-02,10:15,Drop-in centre,Tamsin,meal,,,,',
  'visit,02/05/2024,10:20,Drop-in centre,,meal,,,,', // line 3
  'visit,2024-05-02,,Drop-in centre,,soup,,,,',
  'casework,2024-05-04,,,,,,,housing,', // line 5
].join('\n');
// Line 4 is bad too: "soup" is not a service.

// The archive's refresh from the server is the reports screen's own (tested with it); here the
// copy on this device is what it is, and its ids and the outbox's are read for real.
vi.mock('../../src/app/admin/archive/archiveStore.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/app/admin/archive/archiveStore.ts')>()),
  refreshArchive: vi.fn(async () => ({ fetched: { batches: 0, events: 0 }, summary: { batches: 0, events: 0, unreadable: 0, refreshedAt: null } })),
}));

let db: FootfallDb;
const audit = vi.fn<SyncClient['audit']>();
const client = { audit } as unknown as SyncClient;

async function enrolAsAdmin(): Promise<void> {
  const keys = await generateDeviceKeys();
  const org = await generateOrgKeyPair();
  await db.device.put({
    key: 'enrolment',
    orgId: crypto.randomUUID(),
    role: 'admin',
    orgPublicKey: org.publicJwk,
    signingKey: keys.signing.privateKey,
    encryptionKey: keys.encryption.privateKey,
    nextSeq: 0,
    sealedThrough: 0,
  });
}

function file(text: string, name = 'records.csv'): File {
  return new File([text], name, { type: 'text/csv' });
}

beforeEach(async () => {
  db = await setUpFresh('import');
  await enrolAsAdmin();
  audit.mockReset();
  audit.mockResolvedValue({ kind: 'ok', value: {}, serverTime: null });
});

describe('ImportPanel', () => {
  it('lists every line to fix, and writes nothing', async () => {
    const user = userEvent.setup();
    render(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(BAD, 'old.csv'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('old.csv cannot be imported: 3 lines need fixing. Nothing has been written.');
    const lines = within(within(alert).getByRole('list', { name: 'Lines to fix' })).getAllByRole('listitem').map((li) => li.textContent);
    expect(lines).toEqual([
      'Line 3: date "02/05/2024" is not a real date written YYYY-MM-DD, such as 2025-04-01.',
      expect.stringMatching(/^Line 4: service "soup" is not one of the centre's/),
      expect.stringMatching(/^Line 5: a casework session is always with a known woman/),
    ]);
    expect(screen.queryByRole('button', { name: /^Import/ })).toBeNull();
    expect(await db.events.count()).toBe(0);
    expect(audit).not.toHaveBeenCalled();
  });

  it('previews what a clean file adds, then imports it through the outbox and the directory', async () => {
    const user = userEvent.setup();
    const onImported = vi.fn();
    render(<ImportPanel client={client} onImported={onImported} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(GOOD));
    const table = await screen.findByRole('table', { name: 'What importing records.csv adds' });
    const rows = within(table).getAllByRole('row').map((r) => [within(r).getByRole('rowheader').textContent, within(r).getByRole('cell').textContent]);
    expect(rows).toEqual([
      ['Records in the file', '4'],
      ['New visits', '2'],
      ['New outreach contacts', '1'],
      ['New casework sessions', '1'],
      ['New women', '1'],
      ['Already imported', '0'],
    ]);
    expect(await db.events.count()).toBe(0); // a preview writes nothing

    await user.click(screen.getByRole('button', { name: 'Import 4 records' }));
    await screen.findByText('Imported 4 records and 1 new woman. They count in reports now and reach the server at the next sync.');
    expect(audit).toHaveBeenCalledTimes(1);
    expect(audit.mock.calls[0]?.[1]).toBe('records.imported');
    expect(onImported).toHaveBeenCalledTimes(1);

    const events = await readEvents(db, currentSession().vault.keyring);
    expect(events.map((e) => e.type).sort()).toEqual(['casework.session', 'outreach.contacted', 'visit.checkedIn', 'visit.checkedIn', 'woman.registered']);
    const tamsin = [...currentSession().women.values()].find((w) => w.knownAs === 'Tamsin');
    expect(tamsin).toBeDefined();
    expect(currentSession().searchIndex.entries.some((e) => e.item.id === tamsin!.id)).toBe(true);
    expect(await db.women.get(tamsin!.id)).toBeDefined();
  });

  it('adds nothing when the same file is chosen again', async () => {
    const user = userEvent.setup();
    render(<ImportPanel client={client} />);
    const input = screen.getByLabelText('CSV file of records');
    await user.upload(input, file(GOOD));
    await user.click(await screen.findByRole('button', { name: 'Import 4 records' }));
    await screen.findByText(/^Imported 4 records/);
    const written = await db.events.count();

    await user.upload(input, file(GOOD, 'again.csv'));
    const table = await screen.findByRole('table', { name: 'What importing again.csv adds' });
    expect(within(table).getByRole('row', { name: /Already imported/ })).toHaveTextContent('4');
    expect(within(table).getByRole('row', { name: /New women/ })).toHaveTextContent('0');
    expect(screen.getByText('Everything in this file is already imported. There is nothing to add.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Import/ })).toBeNull();
    expect(await db.events.count()).toBe(written);
  });

  it('checks nothing while the organisation’s records cannot be fetched', async () => {
    vi.mocked(refreshArchive).mockRejectedValueOnce(new Error('The archive could not be fetched: the server could not be reached.'));
    const user = userEvent.setup();
    render(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(GOOD));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The file could not be checked against the organisation’s records: The archive could not be fetched: the server could not be reached.',
    );
    expect(screen.queryByRole('table')).toBeNull();
    expect(await db.events.count()).toBe(0);
  });

  it('imports nothing when the audit log cannot be told', async () => {
    audit.mockResolvedValue({ kind: 'unreachable', message: 'the server could not be reached' });
    const user = userEvent.setup();
    render(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(GOOD));
    await user.click(await screen.findByRole('button', { name: 'Import 4 records' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Nothing was imported: the organisation’s audit log could not be told'));
    expect(await db.events.count()).toBe(0);
    expect([...currentSession().women.values()].some((w) => w.knownAs === 'Tamsin')).toBe(false);
  });
});
