/**
 * The import panel on an admin device (jsdom, fake-indexeddb): a file is checked in full and
 * nothing is written until the admin confirms; a bad file lists every line to fix; a value that
 * is none of the organisation's terms is asked about once, in the preview, and mapped or added;
 * importing the same file again adds nothing; every problem of a file can be downloaded as CSV.
 * The server is played by a stub client that only hears audits.
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import type { ReactElement } from 'react';
import userEvent from '@testing-library/user-event';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ImportPanel } from '../../src/app/admin/import/ImportPanel.tsx';
import { CoreContext } from '../../src/app/shared/useCore.ts';
import { saveConfig } from '../../src/app/settings/settingsActions.ts';
import { refreshArchive } from '../../src/app/admin/archive/archiveStore.ts';
import type { FootfallDb } from '../../src/app/core/database.ts';
import type { SyncClient } from '../../src/app/sync/client.ts';
import { enrolAs } from './careFixtures.ts';
import { catchDownloads } from './downloads.ts';
import { currentSession, readEvents, setUpFresh, core } from './helpers.ts';
import { directorySearchIndex } from '../../src/app/directory/directory.ts';

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
  'visit,2024-05-02,,Drop-in centre,,soup,,,,', // line 4: "soup" is not a service, a question rather than a line to fix
  'casework,2024-05-04,,,,,,,housing,', // line 5
].join('\n');

/**
 * An old spreadsheet in its own words: the site typed with a curly apostrophe where Settings has a
 * straight one, "Soup" for the meal, a kind of place the centre has not listed, and "n/a" among
 * the referrals. Tamsin is checked in twice on 2 May at the site: one visit.
 */
const OLD_WORDS = [
  'kind,date,time,site,person,services,area,place,topics,referrals',
  'visit,2024-05-02,10:15,Drop-in centre,Tamsin,Soup,,,,', // 2
  'visit,2024-05-02,15:00,Drop-in centre,tamsin,shower,,,,', // 3: the same visit
  'visit,2024-05-03,10:20,Women’s Centre,,soup;laundry,,,,', // 4
  'outreach,2024-05-03,,,,,camden,Car park,,gp;n/a', // 5
  'outreach,2024-05-04,,,,,camden,car-park,,N/A', // 6
].join('\n');

// The archive's refresh from the server is the reports screen's own (tested with it); here the
// copy on this device is what it is, and its ids and the outbox's are read for real.
vi.mock('../../src/app/admin/archive/archiveStore.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/app/admin/archive/archiveStore.ts')>()),
  refreshArchive: vi.fn(async () => ({ fetched: { batches: 0, events: 0 }, summary: { batches: 0, events: 0, unreadable: 0, refreshedAt: null } })),
}));

// Reading the shared directory before a check is tested against the real endpoint
// (importDirectory.test.ts); here this device's directory is the organisation's.
vi.mock('../../src/app/sync/scheduler.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/app/sync/scheduler.ts')>()),
  readDirectoryNow: vi.fn(async () => null),
}));

let db: FootfallDb;
const audit = vi.fn<SyncClient['audit']>();
const client = { audit } as unknown as SyncClient;

function enrolAsAdmin(): Promise<void> {
  return enrolAs(db, 'admin');
}

/** The panel as the Import screen shows it: behind the lock, handed the unlocked device core. */
function renderPanel(panel: ReactElement) {
  return render(<CoreContext.Provider value={core()}>{panel}</CoreContext.Provider>);
}

function file(text: string, name = 'records.csv'): File {
  return new File([text], name, { type: 'text/csv' });
}

/** The panel, with GOOD chosen and imported: the file input, to choose the next file. */
async function importedGood() {
  const user = userEvent.setup();
  renderPanel(<ImportPanel client={client} />);
  const input = screen.getByLabelText('CSV file of records');
  await user.upload(input, file(GOOD));
  await user.click(await screen.findByRole('button', { name: 'Import 4 records' }));
  await screen.findByText(/^Imported 4 records/);
  return { user, input };
}

afterEach(() => {
  vi.restoreAllMocks();
});

beforeEach(async () => {
  db = await setUpFresh('import');
  await enrolAsAdmin();
  audit.mockReset();
  audit.mockResolvedValue({ kind: 'ok', value: {}, serverTime: null });
});

describe('ImportPanel', () => {
  it('lists every line to fix, and the values to decide beside them, and writes nothing', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(BAD, 'old.csv'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('old.csv cannot be imported: 2 lines need fixing. Nothing has been written.');
    const lines = within(within(alert).getByRole('list', { name: 'Lines to fix' })).getAllByRole('listitem').map((li) => li.textContent);
    expect(lines).toEqual([
      'Line 3: date "02/05/2024" is written day or month first, which cannot be told apart (3 April or 4 March): write it YYYY-MM-DD, such as 2025-04-01 (in a spreadsheet, format the date column as yyyy-mm-dd).',
      expect.stringMatching(/^Line 5: a casework session is always with a known woman/),
    ]);
    const terms = screen.getByRole('form', { name: '1 value in old.csv is not among the organisation’s terms' });
    expect(within(terms).getByLabelText('Service “soup”')).toHaveAccessibleDescription('1 row: line 4.');
    expect(screen.queryByRole('button', { name: /^Import/ })).toBeNull();
    expect(await db.outbox.count()).toBe(0);
    expect(audit).not.toHaveBeenCalled();
  });

  it('downloads every line to fix and every value to decide as CSV', async () => {
    const downloads = catchDownloads();
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(BAD, 'old.csv'));
    await user.click(await screen.findByRole('button', { name: 'Download the problems as CSV' }));

    const saved = downloads.at(-1)!;
    expect(saved.name).toBe('old-problems.csv');
    expect(await screen.findByText('old-problems.csv is in your downloads.')).toBeInTheDocument();
    const parsed = Papa.parse<Record<string, string>>(await saved.text, { header: true, skipEmptyLines: true });
    expect(parsed.meta.fields).toEqual(['line', 'column', 'value', 'problem']);
    expect(parsed.data).toEqual([
      { line: '3', column: '', value: '', problem: 'date "02/05/2024" is written day or month first, which cannot be told apart (3 April or 4 March): write it YYYY-MM-DD, such as 2025-04-01 (in a spreadsheet, format the date column as yyyy-mm-dd).' },
      { line: '5', column: '', value: '', problem: expect.stringMatching(/^a casework session is always with a known woman/) },
      {
        line: '4',
        column: 'services',
        value: 'soup',
        problem: 'service “soup” is not among the organisation’s terms (1 row): choose what it means when importing, or correct the file.',
      },
    ]);
  });

  it('offers no download for a clean file', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(GOOD));
    await screen.findByRole('table', { name: 'What importing records.csv adds' });
    expect(screen.queryByRole('button', { name: 'Download the problems as CSV' })).toBeNull();
  });

  it('previews what a clean file adds, then imports it through the outbox and the directory', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
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
    expect(await db.outbox.count()).toBe(0); // a preview writes nothing

    await user.click(screen.getByRole('button', { name: 'Import 4 records' }));
    await screen.findByText('Imported 4 records and 1 new woman. They count in reports now and reach the server at the next sync.');
    expect(audit).toHaveBeenCalledTimes(1);
    expect(audit.mock.calls[0]?.[1]).toBe('records.imported');

    const events = await readEvents(db, core().keyring);
    expect(events.map((e) => e.type).sort()).toEqual(['casework.session', 'outreach.contacted', 'visit.checkedIn', 'visit.checkedIn', 'woman.registered']);
    const tamsin = [...currentSession().women.values()].find((w) => w.knownAs === 'Tamsin');
    expect(tamsin).toBeDefined();
    expect(directorySearchIndex(currentSession().women).entries.some((e) => e.item.id === tamsin!.id)).toBe(true);
    expect(await db.women.get(await core().vault.rowKey('women', tamsin!.id))).toBeDefined();
  });

  it('adds nothing when the same file is chosen again', async () => {
    const { user, input } = await importedGood();
    const written = await db.outbox.count();

    await user.upload(input, file(GOOD, 'again.csv'));
    const table = await screen.findByRole('table', { name: 'What importing again.csv adds' });
    expect(within(table).getByRole('row', { name: /Already imported/ })).toHaveTextContent('4');
    expect(within(table).getByRole('row', { name: /New women/ })).toHaveTextContent('0');
    expect(screen.getByText('Everything in this file is already imported. There is nothing to add.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Import/ })).toBeNull();
    expect(await db.outbox.count()).toBe(written);
  });

  it('counts a check-in that joins a visit already held as no new visit, as the report will', async () => {
    const { user, input } = await importedGood();

    // Later the same day at the same site, Tamsin was given clean clothes: the same visit. The
    // next day is another.
    const more = [
      'kind,date,time,site,person,services',
      'visit,2024-05-02,16:00,Drop-in centre,Tamsin,clothes',
      'visit,2024-05-03,10:00,Drop-in centre,Tamsin,meal',
    ].join('\r\n');
    await user.upload(input, file(more, 'more.csv'));
    const table = await screen.findByRole('table', { name: 'What importing more.csv adds' });
    expect(within(table).getByRole('row', { name: /Records in the file/ })).toHaveTextContent('2');
    expect(within(table).getByRole('row', { name: /New visits/ })).toHaveTextContent('1');
  });

  it('checks nothing while the organisation’s records cannot be fetched', async () => {
    vi.mocked(refreshArchive).mockRejectedValueOnce(new Error('The archive could not be fetched: the server could not be reached.'));
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(GOOD));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The file could not be checked against the organisation’s records: The archive could not be fetched: the server could not be reached.',
    );
    expect(screen.queryByRole('table')).toBeNull();
    expect(await db.outbox.count()).toBe(0);
  });

  it('imports nothing when the audit log cannot be told', async () => {
    audit.mockResolvedValue({ kind: 'unreachable', message: 'the server could not be reached' });
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    await user.upload(screen.getByLabelText('CSV file of records'), file(GOOD));
    await user.click(await screen.findByRole('button', { name: 'Import 4 records' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Nothing was imported: the organisation’s audit log could not be told'));
    expect(await db.outbox.count()).toBe(0);
    expect([...currentSession().women.values()].some((w) => w.knownAs === 'Tamsin')).toBe(false);
  });
});

describe('ImportPanel with a spreadsheet in its own words', () => {
  beforeEach(async () => {
    // A second site, added in Settings typed with a straight apostrophe.
    const { config } = core().session;
    await saveConfig(core(), { ...config, sites: [...config.sites, { key: 'women-s-centre', name: "Women's Centre", retired: false }] });
  });

  async function chooseOldWords(user: ReturnType<typeof userEvent.setup>) {
    await user.upload(screen.getByLabelText('CSV file of records'), file(OLD_WORDS, 'old-words.csv'));
    return screen.findByRole('form', { name: '3 values in old-words.csv are not among the organisation’s terms' });
  }

  it('asks once about each value, with its rows, and names every choice by its label', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    const terms = await chooseOldWords(user);
    // The curly apostrophe is the same site as Settings' straight one: nothing to ask.
    expect(within(terms).queryByLabelText(/^Site/)).toBeNull();
    const soup = within(terms).getByLabelText('Service “Soup”');
    expect(soup).toHaveAccessibleDescription('2 rows: lines 2, 4.');
    expect(within(soup).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Choose what it means…',
      'Meal',
      'Shower',
      'Laundry',
      'Clean clothes',
      'Advice',
      'Add it as a new service',
      'Leave it out of the list',
    ]);
    expect(within(terms).getByLabelText('Kind of place “Car park”')).toHaveAccessibleDescription('2 rows: lines 5, 6.');
    // A site or a kind of place cannot be left out: every record needs one.
    expect(within(within(terms).getByLabelText('Kind of place “Car park”')).queryByRole('option', { name: /Leave it out/ })).toBeNull();
    expect(within(terms).getByLabelText('Referral destination “n/a”')).toHaveAccessibleDescription('2 rows: lines 5, 6.');
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('button', { name: /^Import/ })).toBeNull();

    await user.click(within(terms).getByRole('button', { name: 'Check the file with these choices' }));
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Choose what 3 values mean first: Service “Soup”, Kind of place “Car park”, Referral destination “n/a”.',
    );
  });

  it('reads the same file saved by older Excel (Windows-1252), says so, and finds the site by its curly apostrophe', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    // Every character of the file is ASCII but the curly apostrophe, which Windows-1252 writes as 0x92.
    const bytes = Uint8Array.from([...OLD_WORDS].map((c) => (c === '’' ? 0x92 : c.charCodeAt(0))));
    await user.upload(screen.getByLabelText('CSV file of records'), new File([bytes], 'old-words.csv', { type: 'text/csv' }));
    const terms = await screen.findByRole('form', { name: '3 values in old-words.csv are not among the organisation’s terms' });
    expect(within(terms).queryByLabelText(/^Site/)).toBeNull();
    expect(screen.getByText(/old-words\.csv is not saved as UTF-8, so it was read as Windows text/)).toBeInTheDocument();
  });

  it('checks the file again with the choices, previews visits as the report counts them, and adds the new term with the records', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    const terms = await chooseOldWords(user);
    const written = await db.outbox.count(); // the site's settings
    await user.selectOptions(within(terms).getByLabelText('Service “Soup”'), 'Meal');
    await user.selectOptions(within(terms).getByLabelText('Kind of place “Car park”'), 'Add it as a new kind of place');
    const name = within(terms).getByLabelText('Name of the new kind of place');
    expect(name).toHaveValue('Car park');
    await user.clear(name);
    await user.type(name, 'Car park or lay-by');
    await user.selectOptions(within(terms).getByLabelText('Referral destination “n/a”'), 'Leave it out of the list');
    await user.click(within(terms).getByRole('button', { name: 'Check the file with these choices' }));

    const table = await screen.findByRole('table', { name: 'What importing old-words.csv adds' });
    const rows = within(table).getAllByRole('row').map((r) => [within(r).getByRole('rowheader').textContent, within(r).getByRole('cell').textContent]);
    expect(rows).toEqual([
      ['Records in the file', '5'],
      ['New visits', '2'], // three check-ins: Tamsin's two on 2 May are one visit
      ['New outreach contacts', '2'],
      ['New casework sessions', '0'],
      ['New women', '1'],
      ['Already imported', '0'],
    ]);
    expect(within(screen.getByRole('list', { name: 'New terms' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Kind of place “Car park or lay-by”',
    ]);
    expect(await db.outbox.count()).toBe(written); // a preview writes nothing
    expect(core().session.config.places.some((p) => p.key === 'car-park-or-lay-by')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Import 5 records' }));
    await screen.findByText('Imported 5 records and 1 new woman. They count in reports now and reach the server at the next sync.');
    expect(core().session.config.places.at(-1)).toEqual({ key: 'car-park-or-lay-by', label: 'Car park or lay-by', retired: false });
    const events = await readEvents(db, core().keyring);
    expect(events.filter((e) => e.type === 'outreach.contacted').map((e) => [e.place, e.referrals])).toEqual([
      ['car-park-or-lay-by', ['gp']],
      ['car-park-or-lay-by', []],
    ]);
    expect(events.filter((e) => e.type === 'visit.checkedIn').map((e) => e.services)).toEqual([['meal'], ['shower'], ['meal', 'laundry']]);
    // The new term is shared with every device, as a change in Settings is.
    expect(events.filter((e) => e.type === 'org.configured').at(-1)).toMatchObject({ config: { places: expect.arrayContaining([expect.objectContaining({ key: 'car-park-or-lay-by' })]) } });
    expect(audit.mock.calls.map((c) => c[1]).sort()).toEqual(['config.changed', 'records.imported']);
  });

  it('throws away a preview when a choice changes, until the file is checked again', async () => {
    const user = userEvent.setup();
    renderPanel(<ImportPanel client={client} />);
    const terms = await chooseOldWords(user);
    await user.selectOptions(within(terms).getByLabelText('Service “Soup”'), 'Meal');
    await user.selectOptions(within(terms).getByLabelText('Kind of place “Car park”'), 'Street');
    await user.selectOptions(within(terms).getByLabelText('Referral destination “n/a”'), 'Leave it out of the list');
    await user.click(within(terms).getByRole('button', { name: 'Check the file with these choices' }));
    await screen.findByRole('table', { name: 'What importing old-words.csv adds' });
    expect(screen.queryByRole('list', { name: 'New terms' })).toBeNull();

    await user.selectOptions(within(terms).getByLabelText('Service “Soup”'), 'Add it as a new service');
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('button', { name: /^Import/ })).toBeNull();
    await user.clear(within(terms).getByLabelText('Name of the new service'));
    await user.click(within(terms).getByRole('button', { name: 'Check the file with these choices' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Give the new service for “Soup” a name.');
  });
});
