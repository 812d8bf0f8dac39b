/**
 * The reports screen as the admin uses it (jsdom, fake-indexeddb): the real <App /> on an admin
 * device, with the server played by a stub of fetch that serves the wrapped organisation key and
 * an archive of sealed batches made here with the real envelope code. Elements are found by role
 * and name. Expected figures are worked out by hand from the records below.
 */
import { act, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/app/App.tsx';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { useFootfall } from '../../src/app/store.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import { keyId } from '../../src/crypto/orgKeyring.ts';
import { sealBatchParts } from '../../src/app/core/batchSealing.ts';
import { exportTeamKey, generateOrgKeyPair, generateTeamKey } from '../../src/crypto/envelope.ts';
import { normaliseRecoveryCode, wrapOrgKey } from '../../src/crypto/orgKey.ts';
import { exportDevicePrivateKeys, generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import { certifyAdminDevice } from '../../src/crypto/authority.ts';
import { publishReport } from '../../src/domain/disclosure.ts';
import { FootfallEvent } from '../../src/domain/events.ts';
import { figuresCsv } from '../../src/domain/figuresCsv.ts';
import { financialYearOf, periodRange } from '../../src/domain/periods.ts';
import { recordsCsv } from '../../src/domain/recordsCsv.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import { localDateOf } from '../../src/domain/time.ts';
import type { PublicJwk } from '../../src/domain/protocol.ts';
import { ADMIN_PIN, currentSession, setUpFresh, core } from './helpers.ts';
import { catchDownloads, type CaughtDownload } from './downloads.ts';
import { saveConfig } from '../../src/app/settings/settingsActions.ts';
import { checkIn } from '../../src/app/frontDesk/visitActions.ts';

/**
 * A first opening's history can be held back (as a slow hand-over from the report worker would
 * hold it), to see what the screen shows before it comes.
 */
const historyHandOver = vi.hoisted(() => ({ held: null as Promise<void> | null }));
vi.mock('../../src/app/admin/archive/reportOpening.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/app/admin/archive/reportOpening.ts')>();
  return {
    openReportOffThread: (...args: Parameters<typeof real.openReportOffThread>) => {
      const opening = real.openReportOffThread(...args);
      const held = historyHandOver.held;
      return held ? { ...opening, resolved: opening.resolved.then(async (report) => (await held, report)) } : opening;
    },
  };
});

// The first screens of a file load lazily, and PBKDF2 and decryption run for real: on a busy
// machine that takes more than Testing Library's default second.
configure({ asyncUtilTimeout: 10_000 });

const PASSPHRASE = 'plum orchard lantern seventeen';
const RECOVERY = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01';
const SITE = 'drop-in-centre'; // "Drop-in centre", as setUpFresh names it

// ---------------------------------------------------------------------------------------------
// The records: this financial year and the last, worked out by hand.
//
// This year: Ana checked in twice on one day (one visit: meal, shower), Bea once (meal), and 12
// anonymous visits (laundry): 14 visits, 2 unique women, 1 new woman (Bea: Ana's first record was
// last year), 12 anonymous. Last year: Ana once (meal): 1 visit, 1 woman, new then.

const today = localDateOf(Date.now(), 'Europe/London');
const fy = financialYearOf(today, 4);
const THIS_YEAR = periodRange({ kind: 'financialYear', startYear: fy }, 4);
const LAST_YEAR = periodRange({ kind: 'financialYear', startYear: fy - 1 }, 4);
const at = (year: number, monthDay: string, hh = '10') => `${year}-${monthDay}T${hh}:00:00.000Z`;
const who = { deviceId: uuidv7(), staffId: uuidv7() };
const ana = uuidv7();
const bea = uuidv7();

function event(fields: Record<string, unknown>): FootfallEvent {
  return FootfallEvent.parse({ ...who, id: uuidv7(), ...fields });
}
function visit(womanId: string | null, when: string, services: string[]): FootfallEvent {
  return event({ at: when, type: 'visit.checkedIn', occurredAt: when, womanId, siteId: SITE, services });
}
const registered = (womanId: string, knownAs: string, when: string) =>
  FootfallEvent.parse({ ...who, id: womanId, at: when, type: 'woman.registered', womanId, knownAs, details: { ageBand: '25-34' } });

const lastYear = [registered(ana, 'Ana', at(fy - 1, '05-10', '09')), visit(ana, at(fy - 1, '05-10'), ['meal'])];
const thisYear = [
  registered(bea, 'Bea', at(fy, '06-02', '09')),
  visit(ana, at(fy, '05-10'), ['meal']),
  visit(ana, at(fy, '05-10', '14'), ['shower']),
  visit(bea, at(fy, '06-02'), ['meal']),
  ...Array.from({ length: 12 }, (_, i) => visit(null, at(fy, `07-${String(i + 1).padStart(2, '0')}`), ['laundry'])),
];
/** Each batch as a tablet would have sealed it: a handful of events. */
const BATCHES = [lastYear, thisYear.slice(0, 4), thisYear.slice(4, 10), thisYear.slice(10)];
const ALL = BATCHES.flat();

// ---------------------------------------------------------------------------------------------
// The server, stubbed: wrapped keys and a paged archive. `hold` keeps a page back until released.

interface StubServer {
  orgId: string;
  keys: { id: string; kind: 'passphrase' | 'recovery'; wrapped: string }[];
  batches: { cursor: string; batchId: string; activity: string; directory: string }[];
  pageSize: number;
  offline: boolean;
  hold: Promise<void> | null;
  requests: string[];
}
let server: StubServer;

const stubFetch: typeof fetch = async (input) => {
  const url = new URL(String(input));
  server.requests.push(url.pathname.split('/').at(-1)! + url.search);
  if (server.offline) throw new TypeError('Failed to fetch');
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify({ ...(body as object), serverTime: new Date().toISOString() }), { status, headers: { 'content-type': 'application/json' } });
  const base = `/api/orgs/${server.orgId}`;
  if (url.pathname === `${base}/admin-keys`) return json({ keys: server.keys });
  if (url.pathname !== `${base}/archive`) return json({ error: 'not_found', message: 'Not here.' }, 404);
  if (server.hold && url.searchParams.has('after')) await server.hold;
  const after = Number(url.searchParams.get('after') ?? 0);
  const rest = server.batches.filter((b) => Number(b.cursor) > after);
  const items = rest.slice(0, server.pageSize).map((b) => ({
    cursor: b.cursor,
    batchId: b.batchId,
    deviceId: who.deviceId,
    seq: Number(b.cursor),
    receivedAt: new Date().toISOString(),
    activity: b.activity,
    directory: b.directory,
  }));
  return json({ items, next: rest.length > server.pageSize ? items.at(-1)!.cursor : null });
};

/** Enrols the unlocked device as the organisation's admin device, as joining would. */
async function enrolAsAdmin(org: { publicJwk: PublicJwk; privateKey: CryptoKey }, teamKey: CryptoKey): Promise<void> {
  const device = await generateDeviceKeys();
  await core().saveTeamKeys(new Map([[1, teamKey]]));
  await core().saveDeviceKeys(await exportDevicePrivateKeys(device));
  const signingPublicKey = await publicJwk(device.signing.publicKey);
  // Certified, so it may share settings; its enrolment does not name when signing began, so the
  // fake server's unsigned batches are read as every batch was before signing existed.
  const since = new Date().toISOString();
  const claims = { orgId: server.orgId, deviceId: core().identity.deviceId, signingKey: signingPublicKey, issuedAt: since, authoritySince: since };
  await core().vault.db.device.put({
    key: 'enrolment',
    orgId: server.orgId,
    role: 'admin',
    orgPublicKey: org.publicJwk,
    signingPublicKey,
  });
  await core().keepAuthority({ certificate: await certifyAdminDevice(org.privateKey, claims) });
  await refreshStatus();
}

let downloads: CaughtDownload[] = [];
const print = vi.fn();

beforeEach(async () => {
  server = { orgId: crypto.randomUUID(), keys: [], batches: [], pageSize: 500, offline: false, hold: null, requests: [] };
  vi.stubGlobal('fetch', stubFetch);
  downloads = catchDownloads();
  print.mockClear();
  vi.spyOn(window, 'print').mockImplementation(print);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** An admin device of an organisation whose archive holds BATCHES; unlocked on Check in. */
async function adminDevice(options: { enrolled?: boolean; role?: 'admin' | 'frontDesk' } = {}) {
  await setUpFresh('reports');
  const org = await generateOrgKeyPair();
  const teamKey = await generateTeamKey();
  const fast = 1_000; // the iteration count is stored with each wrap; 600,000 would only slow the test
  server.keys = [
    { id: crypto.randomUUID(), kind: 'passphrase', wrapped: await wrapOrgKey(org.privateKey, PASSPHRASE, fast) },
    { id: crypto.randomUUID(), kind: 'recovery', wrapped: await wrapOrgKey(org.privateKey, normaliseRecoveryCode(RECOVERY)!, fast) },
  ];
  server.batches = await Promise.all(
    BATCHES.map(async (events, i) => ({
      cursor: String(i + 1),
      batchId: crypto.randomUUID(),
      ...(await sealBatchParts(events, { publicKey: org.publicJwk, kid: await keyId(org.publicJwk) }, { version: 1, key: teamKey }, null)),
    })),
  );
  if (options.enrolled !== false) {
    await enrolAsAdmin(org, teamKey);
    if (options.role === 'frontDesk') {
      const row = (await core().vault.db.device.get('enrolment'))!;
      await core().vault.db.device.put({ ...row, role: 'frontDesk' } as typeof row);
      await refreshStatus();
    }
  }
  const user = userEvent.setup();
  render(<App />);
  await screen.findByRole('heading', { name: 'Check in' });
  return { user, org, teamKey };
}

type User = ReturnType<typeof userEvent.setup>;

async function openReports(user: User): Promise<void> {
  await user.click(within(screen.getByRole('navigation', { name: 'Screens' })).getByRole('button', { name: 'Reports' }));
  await screen.findByRole('heading', { level: 1, name: 'Reports' });
}

async function typePassphrase(user: User, passphrase: string): Promise<void> {
  const field = await screen.findByLabelText('Organisation passphrase');
  await user.clear(field);
  await user.type(field, passphrase);
  await user.click(screen.getByRole('button', { name: 'Open reports' }));
}

/** Waits until the archive is fetched and the report drawn. */
async function reportReady(): Promise<void> {
  await waitFor(() => expect(screen.getByRole('region', { name: 'Records on this device' })).toHaveTextContent(/records from \d+ batches on this device, up to date/));
}

/** A totals table by its caption: figure → [this period, same period last year]. */
function tableFigures(caption: string | RegExp): Record<string, [string, string]> {
  const table = screen.getByRole('table', { name: caption });
  const out: Record<string, [string, string]> = {};
  for (const row of within(table).getAllByRole('row').slice(1)) {
    const head = within(row).queryByRole('rowheader');
    if (!head) continue;
    const cells = within(row).getAllByRole('cell').map((c) => c.textContent ?? '');
    const label = head.cloneNode(true) as HTMLElement;
    label.querySelector('.footnote-mark')?.remove(); // the footnote's number is not part of the label
    out[label.textContent!] = [cells[0]!, cells[1]!];
  }
  return out;
}

const statement = () => screen.getByRole('region', { name: 'For a letter' });

/** The headline figures at the top: figure → [this period, what is said of the same period last year]. */
function headlines(): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const term of within(screen.getByLabelText('Headline figures')).getAllByRole('term')) {
    const [now, before] = within(term.parentElement!).getAllByRole('definition').map((d) => d.textContent ?? '');
    out[term.textContent!] = [now!, before!];
  }
  return out;
}

/** Whether `a` comes before `b` in the page. */
const before = (a: Element, b: Element) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);

describe('the reports screen', () => {
  it('says what to do on a device that is not enrolled, or not enrolled as an admin device', async () => {
    const { user } = await adminDevice({ enrolled: false });
    await openReports(user);
    expect(screen.getByText(/This device is not enrolled with the organisation yet\./)).toBeInTheDocument();
    expect(screen.queryByLabelText('Organisation passphrase')).not.toBeInTheDocument();

    await act(async () => {
      await enrolAsAdmin(await generateOrgKeyPair(), await generateTeamKey());
      const row = (await core().vault.db.device.get('enrolment'))!;
      await core().vault.db.device.put({ ...row, role: 'frontDesk' } as typeof row);
      await refreshStatus();
    });
    expect(await screen.findByText(/Reports open only on a device enrolled as an admin device\./)).toBeInTheDocument();
    expect(server.requests).toEqual([]);
  });

  it('refuses a wrong passphrase and keeps what was typed; the right one opens the yearly summary', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, 'plum orchard lantern seventeen!');
    expect(await screen.findByRole('alert')).toHaveTextContent('That passphrase did not open the organisation key.');
    expect(screen.getByLabelText('Organisation passphrase')).toHaveValue('plum orchard lantern seventeen!');
    expect(server.requests).toEqual(['admin-keys']); // nothing was fetched beyond the wrapped keys

    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    expect(screen.getByRole('heading', { level: 2, name: new RegExp(`^${THIS_YEAR.label.replace('/', '\\/')}`) })).toBeInTheDocument();
    expect(tableFigures('Summary')).toEqual({
      Visits: ['14', '1'],
      'Unique women': ['2', '1'],
      'New women': ['1', '1'],
      'Anonymous visits': ['12', '0'],
    });
    expect(tableFigures(/^Services/)).toMatchObject({ Meal: ['2', '1'], Shower: ['1', '0'], Laundry: ['12', '0'] });
    expect(tableFigures(/^Women by age band/)).toMatchObject({ '25–34': ['2', '1'], 'Not known': ['0', '0'] });
    expect(within(statement()).getByText(`In ${THIS_YEAR.label} we welcomed 14 visits from 2 women.`)).toBeInTheDocument();
    expect(screen.getByRole('img', { name: /^Visits by month/ })).toBeInTheDocument();
    const months = screen.getByRole('table', { name: /^Month by month/ });
    const july = within(months).getByRole('rowheader', { name: `Jul ${fy}` }).closest('tr')!;
    expect(within(july).getAllByRole('cell').map((c) => c.textContent).slice(0, 2)).toEqual(['12', '0']); // visits, and last July's
  });

  it('counts nothing a device had no authority to send, and lists it by device and reason', async () => {
    const { user, org, teamKey } = await adminDevice();
    // Signing began before these batches arrived, so an unsigned one may carry only its uploader's own records.
    await core().keepAuthority({ authoritySince: '2000-01-01T00:00:00.000Z' });
    const config = structuredClone(currentSession().config);
    const forged = [
      event({ at: at(fy, '07-20'), type: 'org.configured', config: { ...config, idleLockMinutes: 240 } }),
      event({ at: at(fy, '07-20'), type: 'woman.erased', womanId: ana }),
      { ...visit(null, at(fy, '07-20'), ['meal']), deviceId: uuidv7() },
    ];
    server.batches.push({
      cursor: String(server.batches.length + 1),
      batchId: crypto.randomUUID(),
      ...(await sealBatchParts(forged, { publicKey: org.publicJwk, kid: await keyId(org.publicJwk) }, { version: 1, key: teamKey }, null)),
    });
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    expect(tableFigures('Summary')).toMatchObject({ Visits: ['14', '1'], 'Unique women': ['2', '1'] });
    const notice = screen.getByRole('region', { name: 'Records set aside' });
    expect(notice).toHaveTextContent(`2 records from “device ${who.deviceId.slice(0, 8)}”: changes only an admin device may make (settings, people, devices, merges, erasures).`);
    expect(notice).toHaveTextContent(`1 record from “device ${who.deviceId.slice(0, 8)}”: records that claim to come from another device.`);
  });

  it('opens with the recovery code instead', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await user.click(screen.getByRole('switch', { name: 'Use the recovery code instead' }));
    await user.type(screen.getByRole('textbox', { name: 'Recovery code' }), RECOVERY.toLowerCase().replace(/-/g, ' '));
    await user.click(screen.getByRole('button', { name: 'Open reports' }));
    await reportReady();
  });

  it('shows progress while it fetches and decrypts, page by page', async () => {
    const { user } = await adminDevice();
    server.pageSize = 1;
    let release!: () => void;
    server.hold = new Promise((r) => (release = r));
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    const status = within(await screen.findByRole('region', { name: 'Records on this device' })).getAllByRole('status')[0]!;
    // The first page (last year's batch, both parts: a registration and a visit) is in; the next
    // is held back.
    await waitFor(() => expect(status).toHaveTextContent('Fetching and decrypting: fetched 1 batch, 2 records…'));
    release();
    await reportReady();
    expect(status).toHaveTextContent(`${ALL.length} records from 4 batches on this device`);
  });

  it('says which records are in no batch yet: those saved here and waiting to upload, counted too', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    const visits = Number(headlines()['Visits']![0]);
    const status = within(screen.getByRole('region', { name: 'Records on this device' })).getAllByRole('status')[0]!;
    expect(status).not.toHaveTextContent('waiting');
    // A visit logged on this laptop, not uploaded (the stub server takes no uploads), then the
    // reports opened again.
    await user.click(within(screen.getByRole('navigation', { name: 'Screens' })).getByRole('button', { name: 'Check in' }));
    await act(() => checkIn(core(), null, ['meal']));
    await waitFor(() => expect(useFootfall.getState().unsynced).toBe(1));
    await openReports(user);
    await reportReady();
    const again = within(screen.getByRole('region', { name: 'Records on this device' })).getAllByRole('status')[0]!;
    expect(again).toHaveTextContent(`${ALL.length} records from 4 batches on this device, up to date`);
    expect(again).toHaveTextContent('One more, saved here and waiting to upload, is counted too.');
    expect(headlines()['Visits']![0]).toBe(String(visits + 1));
  });

  it('shows the months of last year before its first record as not recorded, in the table and the chart', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    // The first record was on 10 May last year: April then was not recorded; May was, from the 10th.
    const months = tableFigures(/^Month by month/);
    expect(months[`Apr ${fy}`]).toEqual(['0', '—not recorded then']);
    expect(months[`May ${fy}`]).toEqual(['1', '1']);
    expect(months[`Jun ${fy}`]).toEqual(['1', '0']);
    const chart = screen.getByRole('img', { name: /^Visits by month/ });
    expect(chart).toHaveAccessibleName(expect.stringContaining(`(grey bars, recorded from ${fy - 1}-05-10)`));
    // A bar for each month of this year, and for each of last year's but April.
    expect(chart.querySelectorAll('rect.chart-current')).toHaveLength(12);
    expect(chart.querySelectorAll('rect.chart-previous')).toHaveLength(11);

    // Published, the same.
    await user.click(screen.getByRole('switch', { name: 'Publication mode' }));
    expect(tableFigures(/^Month by month/)[`Apr ${fy}`]![1]).toBe('—not recorded then');
    expect(tableFigures(/^Month by month/)[`May ${fy}`]![1]).not.toBe('—not recorded then');
  });

  it('counts again when the period changes, beside the same period last year', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Financial year' }), LAST_YEAR.label);
    // The year before last is before the first record: not recorded then, rather than 0.
    expect(tableFigures('Summary').Visits).toEqual(['1', '—not recorded then']);
    expect(screen.getByText(/ended before the first record held, so its figures are not known/)).toBeInTheDocument();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Kind of period' }), 'Month');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Year' }), String(fy));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Month' }), 'July');
    expect(tableFigures('Summary')).toMatchObject({ Visits: ['12', '0'], 'Anonymous visits': ['12', '0'], 'Unique women': ['0', '0'] });
    expect(within(statement()).getByText(`In July ${fy} we welcomed 12 visits.`)).toBeInTheDocument();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Kind of period' }), 'Custom range');
    // Date fields are typed into as the browser's date picker sets them: a whole date at once.
    fireEvent.change(screen.getByLabelText('From'), { target: { value: `${fy}-05-10` } });
    fireEvent.change(screen.getByLabelText('To (inclusive)'), { target: { value: `${fy}-05-10` } });
    expect(tableFigures('Summary').Visits).toEqual(['1', '1']);
    fireEvent.change(screen.getByLabelText('To (inclusive)'), { target: { value: `${fy}-05-01` } });
    expect(screen.getByRole('alert')).toHaveTextContent('the start date must not be after the end date');
    expect(tableFigures('Summary').Visits).toEqual(['1', '1']); // the last period that could be counted
  });

  it('previews the published figures in publication mode', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    await user.click(screen.getByRole('switch', { name: 'Publication mode' }));
    expect(tableFigures('Summary')).toEqual({
      Visits: ['15', '<5'],
      'Unique women': ['<5', '<5'],
      'New women': ['<5', '<5'],
      'Anonymous visits': ['10', '<5'],
    });
    expect(within(statement()).getByText(`In ${THIS_YEAR.label} we welcomed 15 visits from fewer than 5 women.`)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Notes' })).toBeInTheDocument();
    expect(screen.getByText(/They do not measure how many women are affected \(prevalence\)\./)).toBeInTheDocument();

    await user.click(screen.getByRole('switch', { name: 'Publication mode' }));
    expect(tableFigures('Summary').Visits).toEqual(['14', '1']);
  });

  it('opens on the period, the sentence, the headline figures and the chart, then a contents list of every part', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();

    const glance = screen.getByRole('region', { name: new RegExp(`^${THIS_YEAR.label.replace('/', '\\/')}.* at a glance`) });
    expect(within(glance).getByRole('combobox', { name: 'Financial year' })).toHaveDisplayValue(THIS_YEAR.label);
    expect(within(glance).getByRole('region', { name: 'For a letter' })).toBeInTheDocument();
    expect(within(glance).getByRole('img', { name: /^Visits by month/ })).toBeInTheDocument();
    // Last year began before the first record (10 May): its headlines say they count from then.
    const lastYear = `Last year, from ${fy - 1}-05-10:`;
    expect(headlines()).toEqual({
      Visits: ['14', `${lastYear} 1`],
      'Unique women': ['2', `${lastYear} 1`],
      'New women': ['1', `${lastYear} 1`],
      'Anonymous visits': ['12', `${lastYear} 0`],
      'Outreach contacts': ['0', `${lastYear} 0`],
      'Women supported with advice and casework': ['0', `${lastYear} 0`],
    });

    // Headings in order: the screen, the first screen and its sentence, the contents, then the figures and each part.
    const headings = screen.getAllByRole('heading').map((h) => `${h.tagName} ${h.textContent}`);
    expect(headings.slice(0, 6)).toEqual([
      'H1 Reports',
      expect.stringMatching(/^H2 .* at a glance/),
      'H3 For a letter',
      'H2 Report sections',
      'H2 All figures',
      'H3 Summary',
    ]);
    expect(headings.slice(-3)).toEqual(['H3 Casework outcomes', 'H2 Definitions', 'H2 Export']);

    const contents = screen.getByRole('navigation', { name: 'Report sections' });
    expect(before(glance, contents)).toBe(true);
    const links = within(contents).getAllByRole('link');
    expect(links.map((a) => a.textContent)).toEqual([
      'Summary',
      'Services (visits that included each)',
      'Outreach',
      'Advice and casework',
      'Referrals by destination',
      'Women by age band',
      'Women by nationality or region',
      'Women by ethnicity',
      'Women by housing situation',
      'Women by forms of exploitation',
      'Women by referral source',
      'Month by month',
      'By site',
      'Outreach by area',
      'Outreach by kind of place',
      'Needs raised on outreach',
      'Support given on outreach',
      'Casework topics',
      'Casework outcomes',
      'Definitions',
      'Export',
    ]);
    // Each link leads to its part's heading, which takes focus so the keyboard follows.
    for (const link of links) {
      const target = document.getElementById(link.getAttribute('href')!.replace(/^#/, ''))!;
      expect(target).toHaveRole('heading');
      expect(target.textContent!.startsWith(link.textContent!)).toBe(true);
      expect(target).toHaveAttribute('tabindex', '-1');
      expect(before(contents, target)).toBe(true);
    }

    await user.click(screen.getByRole('switch', { name: 'Publication mode' }));
    expect(headlines().Visits).toEqual(['15', `${lastYear} <5`]);
    expect(within(contents).getAllByRole('link').map((a) => a.textContent).slice(-3)).toEqual(['Notes', 'Definitions', 'Export']);

    await user.selectOptions(screen.getByRole('combobox', { name: 'Financial year' }), LAST_YEAR.label);
    expect(headlines().Visits).toEqual(['<5', 'Last year: not recorded then']);
  });

  it('copies the statement for a letter', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    await user.click(within(statement()).getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe(`In ${THIS_YEAR.label} we welcomed 14 visits from 2 women.`);
    expect(within(statement()).getByRole('status')).toHaveTextContent('Copied.');
  });

  it('exports published figures by default, exact ones when asked, and the raw records', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    const config = currentSession().config;
    const history = resolveHistory(ALL, config);
    const report = buildReport(history, config, { kind: 'financialYear', startYear: fy });
    const exports = within(screen.getByRole('region', { name: 'Export' }));
    const slug = THIS_YEAR.label.replace('/', '-');

    await user.click(exports.getByRole('button', { name: 'Download figures (CSV)' }));
    expect(downloads.at(-1)!.name).toBe(`footfall-figures-${slug}.csv`);
    const published = await downloads.at(-1)!.text;
    expect(published).toBe(figuresCsv(publishReport(report)));
    expect(published).toContain('<5');
    expect(exports.getByRole('status')).toHaveTextContent(`footfall-figures-${slug}.csv is in your downloads.`);

    await user.click(exports.getByRole('checkbox', { name: 'Exact figures (internal use only)' }));
    await user.click(exports.getByRole('button', { name: 'Download figures (CSV)' }));
    expect(downloads.at(-1)!.name).toBe(`footfall-figures-${slug}-exact-internal.csv`);
    expect(await downloads.at(-1)!.text).toBe(figuresCsv(report));

    await user.click(exports.getByRole('button', { name: 'Download raw records (CSV)' }));
    expect(downloads.at(-1)!.name).toBe(`footfall-records-${slug}.csv`);
    expect(await downloads.at(-1)!.text).toBe(recordsCsv(history, THIS_YEAR));
    await user.click(exports.getByRole('radio', { name: 'All records' }));
    await user.click(exports.getByRole('button', { name: 'Download raw records (CSV)' }));
    expect(downloads.at(-1)!.name).toBe('footfall-records-all.csv');
    const all = await downloads.at(-1)!.text;
    expect(all).toBe(recordsCsv(history, null));
    expect(all).not.toContain('Ana');
  });

  it('opens the printable report and the print dialog, and goes back', async () => {
    const { user } = await adminDevice();
    await act(() => saveConfig(core(), { ...currentSession().config, name: 'Beyond the Streets' }));
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();
    await user.click(screen.getByRole('button', { name: 'Printable report' }));
    const printed = await screen.findByRole('article', { name: `Footfall report: ${THIS_YEAR.label}` });
    await waitFor(() => expect(print).toHaveBeenCalledTimes(1));
    // Whose figures, and when printed: a page that is sent on says both.
    expect(within(printed).getByText('Beyond the Streets')).toBeInTheDocument();
    expect(within(printed).getByText(/^Printed \d/)).toBeInTheDocument();
    expect(within(printed).getByText('Published figures: safe to share.')).toBeInTheDocument();
    expect(within(printed).getByRole('img', { name: /^Visits by month/ })).toBeInTheDocument();
    expect(within(printed).getByRole('heading', { name: 'Definitions' })).toBeInTheDocument();
    expect(within(printed).getByRole('heading', { name: 'Notes' })).toBeInTheDocument();
    expect(within(within(printed).getByRole('table', { name: 'Summary' })).getByRole('row', { name: /^Visits/ })).toHaveTextContent('15');
    await user.click(within(printed).getByRole('button', { name: 'Back to reports' }));
    expect(await screen.findByRole('button', { name: 'Printable report' })).toBeInTheDocument();
  });

  it('on a first opening, shows the report of its period before the history has come over; raw records wait for it', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();

    await core().vault.db.archive.delete('resolved'); // nothing kept: the next opening resolves every event
    await act(() => lock());
    server.offline = true;
    let release!: () => void;
    historyHandOver.held = new Promise<void>((r) => (release = r));
    try {
      await act(async () => {
        const grace = useFootfall.getState().staff[0]!;
        expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true });
      });
      await openReports(user);
      await typePassphrase(user, PASSPHRASE);
      await waitFor(() => expect(tableFigures('Summary').Visits).toEqual(['14', '1']));
      const records = screen.getByRole('button', { name: 'Download raw records (CSV)' });
      expect(records).toBeDisabled();
      expect(records).toHaveAccessibleDescription('Ready in a moment: the records are still being opened.');
      release();
      await waitFor(() => expect(screen.getByRole('button', { name: 'Download raw records (CSV)' })).toBeEnabled());
      expect(tableFigures('Summary').Visits).toEqual(['14', '1']);
    } finally {
      historyHandOver.held = null;
      release();
    }
  });

  it('forgets the organisation key when the app locks, and opens offline next time', async () => {
    const { user } = await adminDevice();
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    await reportReady();

    await act(() => lock());
    server.offline = true;
    await act(async () => {
      const grace = useFootfall.getState().staff[0]!;
      expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true });
    });
    await openReports(user);
    await typePassphrase(user, PASSPHRASE);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The archive could not be fetched: The server could not be reached. The report shows the records already on this device.',
    );
    expect(tableFigures('Summary').Visits).toEqual(['14', '1']);
  });
});
