/**
 * The report model (docs/counting.md#the-report): one plain data structure that the reports screen, the printable
 * report, the figures CSV and publication mode all render, so every output says the same thing.
 * Numbers come only from counting.ts; this module arranges and labels them.
 *
 * `Report<V>` is generic over the value of a cell: numbers for the admin's own screen, display
 * text once disclosure control has been applied (disclosure.ts), with the same shape.
 */
import {
  countRange,
  countTerms,
  DEFINITIONS,
  firstRecordDays,
  NOT_RECORDED,
  resolveRecords,
  type Figures,
  type FigureKey,
  type MonthFigures,
  type ResolvedRecord,
  type SiteFigures,
  type TermFigureKey,
  type TermFigures,
} from './counting.ts';
import { labelOf, type OrgConfig } from './config.ts';
import { NOT_KNOWN, PREFERS_NOT_TO_SAY, type DetailField, type FootfallEvent } from './events.ts';
import { periodRange, previousPeriod, type DateRange, type Period } from './periods.ts';
import { columnsOf, dateOfDay, UNDATED, type RecordColumns } from './recordColumns.ts';
import type { LocalDate } from './time.ts';
import { resolveWomen, type WomanProfile } from './women.ts';
import { directoryWomen, type DirectoryFold } from './directory.ts';

/**
 * The event history resolved once, to count as many periods as the admin asks for. Its records
 * come in two forms, each made on first use: counting reads the columns, and only what reads
 * whole records (the raw records export) needs the objects, which a history decoded from its kept
 * form (historyCodec.ts) does not make until then.
 */
export interface History {
  readonly records: ResolvedRecord[];
  readonly columns: RecordColumns;
  readonly women: Map<string, WomanProfile>;
  /** The configuration it was resolved with: its time zone dated every record. */
  readonly config: OrgConfig;
}

/**
 * A history of the same records in both forms, each made by its function on first use, once. The
 * columns are another form of the records, numbered in whatever order their strings came, so they
 * are not enumerable: two histories holding the same records, women and configuration are equal.
 */
export function historyOf(
  records: () => ResolvedRecord[],
  columns: () => RecordColumns,
  women: Map<string, WomanProfile>,
  config: OrgConfig,
): History {
  let madeRecords: ResolvedRecord[] | undefined;
  let madeColumns: RecordColumns | undefined;
  const history = {
    get records() {
      return (madeRecords ??= records());
    },
    women,
    config,
  };
  return Object.defineProperty(history, 'columns', { get: () => (madeColumns ??= columns()), enumerable: false }) as History;
}

/** The same history with the configuration as it is now (names and labels; the time zone is the same). */
export function withConfig(history: History, config: OrgConfig): History {
  return historyOf(() => history.records, () => history.columns, history.women, config);
}

/**
 * `directory`, when the caller has folded the same events' directory already (to keep it beside
 * the resolution, src/domain/waitingFold.ts), is used rather than folded again.
 */
export function resolveHistory(events: Iterable<FootfallEvent>, config: OrgConfig, directory?: DirectoryFold): History {
  const all = Array.isArray(events) ? (events as FootfallEvent[]) : [...events];
  const records = resolveRecords(all, config);
  return historyOf(() => records, () => columnsOf(records), directory ? directoryWomen(directory) : resolveWomen(all), config);
}

export interface ReportPeriod extends DateRange {
  period: Period;
  /** "2025/26", "Q1 2025", "April 2025", "1 Apr 2025 – 30 Jun 2025". */
  label: string;
}

/** The same period a year earlier, and whether the centre had begun recording by then. */
export interface ComparedPeriod extends ReportPeriod {
  /**
   * False when it ended before the first record held (docs/counting.md#the-same-period-last-year):
   * its figures are not known rather than zero, and every output says so instead of showing them.
   */
  recorded: boolean;
  /**
   * When it began before the first record held and ended on or after it (a centre that began
   * recording part way through it): the date of that first record, from which alone its figures
   * count. Null otherwise.
   */
  recordedFrom: LocalDate | null;
}

/**
 * What every report says of itself, exact or published (printed and exported with it): its period
 * and the one before with their dates, that it counts service contacts and not prevalence, and how
 * breakdowns of women are made; `method`, a published report's rules, in the middle.
 */
export function reportNotes(report: Pick<Report, 'period' | 'previousPeriod'>, method: readonly string[] = []): string[] {
  const { period, previousPeriod } = report;
  return [
    `Period: ${period.label} (${period.from} to ${period.to}), beside the same period a year earlier, ${previousPeriod.label} (${previousPeriod.from} to ${previousPeriod.to}).`,
    'These figures count service contacts: the visits, contacts and women the centre worked with. They do not measure how many women are affected (prevalence).',
    ...method,
    "Breakdowns of women are by what each woman's record says now; see the definitions.",
  ];
}

/** What a figure of a period that is not recorded is shown as, in words. */
export const NOT_RECORDED_THEN = 'not recorded then';

/**
 * Whether a figure of the same period last year is known, and so shown: not when that period
 * ended before the first record held, nor, in a table, on a month that did (TableRow.previousRecorded).
 */
export function previousKnown(previous: Pick<ComparedPeriod, 'recorded'>, row?: Pick<TableRow<unknown>, 'previousRecorded'>): boolean {
  return previous.recorded && row?.previousRecorded !== false;
}

/** A figure in this period and the same period a year earlier. */
export interface Cell<V> {
  current: V;
  /** Only meaningful when the report's previous period is `recorded`. */
  previous: V;
}

/** A figure of the report: a key of Figures or TermFigures, or `women` for a breakdown of unique women. */
export type ReportFigure = FigureKey | TermFigureKey | 'women';

export interface ReportRow<V> extends Cell<V> {
  figure: ReportFigure;
  /** The category within the figure (a service, destination, area or term key); absent for a single figure. */
  category?: string;
  label: string;
  /** In a breakdown: listed only because it counted something in one period or the other (listedWhenCounted). */
  listedWhenCounted?: true;
}

/**
 * How a breakdown's rows relate to its total: `sum` when each counted thing is in exactly one row
 * (a contact's kind of place), `atLeast` when one can be in several but is in at least one (forms
 * of exploitation, needs raised, with "Not recorded" for none). Disclosure control needs this.
 */
export type Adds = 'sum' | 'atLeast';

export type SectionId =
  | 'summary'
  | 'services'
  | 'outreach'
  | 'casework'
  | 'referrals'
  | `women.${DetailField}`;

export interface ReportSection<V> {
  id: SectionId;
  title: string;
  /**
   * `totals`: figures of their own (rounded when published). `breakdown`: rows that split the
   * `total` figure (small cells withheld when published).
   */
  kind: 'totals' | 'breakdown';
  rows: ReportRow<V>[];
  /** For a breakdown: the figure it splits, as published elsewhere in the report. */
  total?: ReportRow<V>;
  adds?: Adds;
  /** What to say when the section has no rows. */
  empty?: string;
}

export interface TableColumn {
  /** The figure in its cells, as defined in the definitions. */
  figure: FigureKey | TermFigureKey;
  label: string;
  /** How the column's cells relate to its total; `none` when they do not. */
  adds: Adds | 'none';
}

export interface TableRow<V> {
  /** YYYY-MM for a month; the key of a site or term. */
  key: string;
  label: string;
  /** One per column, in column order. */
  cells: Cell<V>[];
  /**
   * False on a month whose month a year earlier ended before the first record held, in a same
   * period last year recorded in part (ComparedPeriod.recordedFrom): its figures then are not
   * known rather than 0. Absent on every other row.
   */
  previousRecorded?: false;
  /**
   * Listed only because its first column counted something in one period or the other (a retired
   * or unconfigured term, a site since retired, an area of a long list): a reader then knows that
   * cell is not 0 in both periods (listedWhenCounted).
   */
  listedWhenCounted?: true;
}

export type TableId = 'months' | 'sites' | 'areas' | 'places' | 'needs' | 'support' | 'topics' | 'outcomes';

export interface ReportTable<V> {
  id: TableId;
  title: string;
  /** The definition of the table as a whole, beside its columns' own. */
  figure?: 'byMonth' | 'bySite';
  /** What each row is: "Month", "Site", "Need". */
  rowHeading: string;
  columns: TableColumn[];
  rows: TableRow<V>[];
  /** The figure each column splits, in column order, as published elsewhere in the report. */
  totals: Cell<V>[];
  /** What the totals row is called: "Whole period", "All contacts". */
  totalLabel: string;
  /** What to say when the table has no rows. */
  empty?: string;
}

export interface Definition {
  figure: string;
  term: string;
  text: string;
}

export interface Report<V = number> {
  period: ReportPeriod;
  /** The same period a year earlier, shown beside every figure. */
  previousPeriod: ComparedPeriod;
  sections: ReportSection<V>[];
  /**
   * Month by month (the chart draws the visits column), by site, then outreach by area, kind of
   * place, needs and support, and casework by topic and outcome.
   */
  tables: ReportTable<V>[];
  /** One line for a letter: "In 2025/26 we welcomed 1,312 visits from 604 women." */
  statement: string;
  definitions: readonly Definition[];
}

/** The exact report the admin sees, with the figures it was built from. */
export interface ExactReport extends Report<number> {
  figures: Figures;
  previousFigures: Figures;
  termFigures: TermFigures;
  previousTermFigures: TermFigures;
  /** Different known women with a visit: the "from N women" of the statement when all of them visited. */
  womenWhoVisited: Cell<number>;
}

/** Footnotes for what the report adds to the counting rules: breakdowns and tables. */
export const REPORT_DEFINITIONS: readonly Definition[] = [
  ...DEFINITIONS,
  {
    figure: 'women',
    term: 'Women by age band, nationality, ethnicity, housing, exploitation and referral source',
    text: 'Unique women in the period, by what her directory entry says now. "Not known" and "Prefers not to say" are answers she or a worker gave; "Not recorded" means the question was not asked or her entry was erased. A woman with several forms of exploitation counts once in each.',
  },
  {
    figure: 'byMonth',
    term: 'Month by month',
    text: 'Each month counted on its own, within the period. A woman seen in several months counts once in each, so the months of unique women add up to more than the period total.',
  },
  {
    figure: 'bySite',
    term: 'By site',
    text: 'Visits and the different known women who visited each drop-in site. A woman who visited several sites counts once at each.',
  },
];

const BREAKDOWNS: { field: DetailField; title: string; adds: Adds }[] = [
  { field: 'ageBand', title: 'Women by age band', adds: 'sum' },
  { field: 'nationality', title: 'Women by nationality or region', adds: 'sum' },
  { field: 'ethnicity', title: 'Women by ethnicity', adds: 'sum' },
  { field: 'housing', title: 'Women by housing situation', adds: 'sum' },
  { field: 'exploitation', title: 'Women by forms of exploitation', adds: 'atLeast' },
  { field: 'referralSource', title: 'Women by referral source', adds: 'sum' },
];

/** Answers besides configured terms, always shown as rows of their own, in this order. */
const OTHER_ANSWERS: [string, string][] = [
  [NOT_KNOWN, 'Not known'],
  [PREFERS_NOT_TO_SAY, 'Prefers not to say'],
  [NOT_RECORDED, 'Not recorded'],
];

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One period's counts, Figures and TermFigures side by side: every number a report shows is read from here. */
type Counted = Figures & TermFigures;
/** Figures that are one number, and figures by key. */
type TotalFigure = { [K in keyof Counted]: Counted[K] extends number ? K : never }[keyof Counted];
type KeyedFigure = { [K in keyof Counted]: Counted[K] extends Record<string, number> ? K : never }[keyof Counted];
type Terms = readonly { key: string; label?: string; name?: string; retired?: boolean }[];

/** Builds the report for a period, with the same period last year beside it. */
export function buildReport(history: History, config: OrgConfig, period: Period): ExactReport {
  const current = reportPeriod(period, config);
  const first = firstRecordDate(history);
  const previousRange = reportPeriod(previousPeriod(period), config);
  const recorded = first !== null && previousRange.to >= first;
  const previous: ComparedPeriod = { ...previousRange, recorded, recordedFrom: recorded && previousRange.from < first ? first : null };
  const { columns } = history;
  const firstDays = firstRecordDays(columns);
  const counted = countRange(columns, current, firstDays);
  const previousCounted = countRange(columns, previous, firstDays);
  const figures = counted.figures;
  const previousFigures = previousCounted.figures;
  const termFigures = countTerms(columns, current);
  const previousTermFigures = countTerms(columns, previous);
  const now: Counted = { ...figures, ...termFigures };
  const before: Counted = { ...previousFigures, ...previousTermFigures };
  const womenWhoVisited = { current: counted.visitedWomen, previous: previousCounted.visitedWomen };
  // Each woman counted, looked up once for every breakdown of women; an erased woman has no entry.
  const profiles = counted.women.map((id) => history.women.get(id));
  const previousProfiles = previousCounted.women.map((id) => history.women.get(id));

  const single = (figure: TotalFigure, label: string): ReportRow<number> => ({
    figure,
    label,
    current: now[figure],
    previous: before[figure],
  });
  const keyed = (figure: KeyedFigure, terms: Terms): ReportRow<number>[] =>
    keysToShow(terms, now[figure], before[figure]).map((key) => ({
      figure,
      category: key,
      label: labelOf(terms, key),
      current: now[figure][key] ?? 0,
      previous: before[figure][key] ?? 0,
    }));

  const sections: ReportSection<number>[] = [
    {
      id: 'summary',
      title: 'Summary',
      kind: 'totals',
      rows: [
        single('visits', 'Visits'),
        single('uniqueWomen', 'Unique women'),
        single('newWomen', 'New women'),
        single('anonymousVisits', 'Anonymous visits'),
      ],
    },
    { id: 'services', title: 'Services (visits that included each)', kind: 'totals', rows: keyed('services', config.services) },
    {
      id: 'outreach',
      title: 'Outreach',
      kind: 'totals',
      rows: [
        single('outreachContacts', 'Outreach contacts'),
        single('womenReached', 'Women reached'),
        single('unknownContacts', 'Contacts with unknown women'),
      ],
    },
    {
      id: 'casework',
      title: 'Advice and casework',
      kind: 'totals',
      rows: [
        single('womenSupported', 'Women supported with advice and casework'),
        single('caseworkSessions', 'Casework sessions'),
        single('caseworkWomen', 'Women with casework sessions'),
      ],
    },
    { id: 'referrals', title: 'Referrals by destination', kind: 'totals', rows: keyed('referrals', config.referralDestinations) },
    ...BREAKDOWNS.map(({ field, title, adds }): ReportSection<number> => {
      const nowTally = tally(profiles, field);
      const beforeTally = tally(previousProfiles, field);
      const terms = config.terms[field];
      const configured = keysToShow(terms, without(nowTally, OTHER_KEYS), without(beforeTally, OTHER_KEYS));
      return {
        id: `women.${field}`,
        title,
        kind: 'breakdown',
        rows: [
          ...configured.map((key): ReportRow<number> => ({
            figure: 'women',
            category: key,
            label: labelOf(terms, key),
            current: nowTally[key] ?? 0,
            previous: beforeTally[key] ?? 0,
            ...listedFlag(terms, key),
          })),
          ...OTHER_ANSWERS.map(([key, label]): ReportRow<number> => ({ figure: 'women', category: key, label, current: nowTally[key] ?? 0, previous: beforeTally[key] ?? 0 })),
        ],
        total: single('uniqueWomen', 'Unique women'),
        adds,
      };
    }),
  ];

  return {
    period: current,
    previousPeriod: previous,
    figures,
    previousFigures,
    termFigures,
    previousTermFigures,
    womenWhoVisited,
    sections,
    tables: [
      monthTable(figures, previousFigures, previous.recordedFrom),
      siteTable(figures, previousFigures, womenWhoVisited, config),
      ...termTables(config).map((spec) => termTable(spec, now, before)),
    ],
    statement: statement(current.label, figures.visits, figures.uniqueWomen, counted.visitedWomen === figures.uniqueWomen, (n) => ({
      text: n.toLocaleString('en-GB'),
      one: n === 1,
      none: n === 0,
    })),
    definitions: REPORT_DEFINITIONS,
  };
}

/**
 * Says, when it is so, that the same period last year ended before the first record held (every
 * output prints it beside figures it shows as not recorded), or began before it, so that its
 * figures count part of it only.
 */
export function previousPeriodNote(previous: ComparedPeriod): string | null {
  const period = `The same period last year, ${previous.label} (${previous.from} to ${previous.to}),`;
  if (!previous.recorded) return `${period} ended before the first record held, so its figures are not known: they are shown as ${NOT_RECORDED_THEN}, not as 0.`;
  if (previous.recordedFrom !== null) return `${period} began before the first record held (${previous.recordedFrom}): its figures count only what was recorded from then, not the whole period.`;
  return null;
}

function reportPeriod(period: Period, config: Pick<OrgConfig, 'financialYearStartMonth'>): ReportPeriod {
  return { period, ...periodRange(period, config.financialYearStartMonth) };
}

/** The local date of the earliest record of any kind, anonymous ones included; null when there is none. */
export function firstRecordDate(history: History): LocalDate | null {
  const { day, size } = history.columns;
  let first = Infinity;
  for (let i = 0; i < size; i++) if ((day[i] as number) !== UNDATED && (day[i] as number) < first) first = day[i] as number;
  return first === Infinity ? null : dateOfDay(first);
}

/** Women by the value of one optional field; a woman with no entry (erased) is "not recorded". */
function tally(women: readonly (WomanProfile | undefined)[], field: DetailField): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const woman of women) {
    const value = woman?.details[field];
    const keys = value === undefined ? [] : Array.isArray(value) ? [...new Set(value)] : [value];
    for (const key of keys.length > 0 ? keys : [NOT_RECORDED]) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const OTHER_KEYS = OTHER_ANSWERS.map(([key]) => key);

/** Counts without the keys that are rows of their own, so keysToShow does not list them again. */
function without(counts: Record<string, number>, keys: readonly string[]): Record<string, number> {
  const rest = { ...counts };
  for (const key of keys) delete rest[key];
  return rest;
}

/**
 * Whether a key keysToShow gives is there only because it was counted in either period (not a term
 * in use listed always): publishing then takes it that a reader knows its count is not 0 in both.
 */
function listedWhenCounted(terms: Terms, key: string, countedOnly = false): boolean {
  return countedOnly || !terms.some((t) => t.key === key && !t.retired);
}

/** The row flag for a key listed only because it was counted (listedWhenCounted). */
const listedFlag = (terms: Terms, key: string, countedOnly = false) => (listedWhenCounted(terms, key, countedOnly) ? { listedWhenCounted: true as const } : {});

/**
 * Keys to show in configured order: every term in use, plus a retired or since-removed term that
 * was counted in either period (shown by its key, so no count is lost from a report).
 */
function keysToShow(
  terms: Terms,
  current: Record<string, number>,
  previous: Record<string, number>,
  countedOnly = false,
): string[] {
  const counted = (key: string) => (current[key] ?? 0) > 0 || (previous[key] ?? 0) > 0;
  const keys = terms.filter((t) => (countedOnly || t.retired ? counted(t.key) : true)).map((t) => t.key);
  const known = new Set(terms.map((t) => t.key));
  const extra = [...new Set([...Object.keys(current), ...Object.keys(previous)])].filter((k) => !known.has(k)).sort();
  return [...keys, ...extra];
}

/** A column of a month's or site's own figures. */
type Column<Of> = TableColumn & { figure: keyof Of & FigureKey };

const MONTH_COLUMNS: Column<MonthFigures>[] = [
  { figure: 'visits', label: 'Visits', adds: 'sum' },
  { figure: 'uniqueWomen', label: 'Unique women', adds: 'atLeast' },
  { figure: 'newWomen', label: 'New women', adds: 'sum' },
  { figure: 'anonymousVisits', label: 'Anonymous visits', adds: 'sum' },
  { figure: 'outreachContacts', label: 'Outreach contacts', adds: 'sum' },
];

const SITE_COLUMNS: Column<SiteFigures>[] = [
  { figure: 'visits', label: 'Visits', adds: 'sum' },
  // A woman who visited two sites counts at each, so the sites add up to at least the total.
  { figure: 'uniqueWomen', label: 'Unique women', adds: 'atLeast' },
  { figure: 'anonymousVisits', label: 'Anonymous visits', adds: 'sum' },
];

/**
 * Months of the period beside the same months a year earlier. A month a year earlier that ended
 * before `recordedFrom` (the first record held, when last year began before it) is marked, so no
 * output shows it as 0.
 */
function monthTable(figures: Figures, previousFigures: Figures, recordedFrom: LocalDate | null): ReportTable<number> {
  const months = Object.keys(figures.byMonth);
  const earlier = Object.keys(previousFigures.byMonth);
  return {
    id: 'months',
    title: 'Month by month',
    figure: 'byMonth',
    rowHeading: 'Month',
    columns: MONTH_COLUMNS,
    rows: months.map((month, i) => {
      const now = figures.byMonth[month];
      const earlierMonth = earlier[i] ?? '';
      const before = previousFigures.byMonth[earlierMonth];
      return {
        key: month,
        label: `${MONTH_NAMES[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`,
        cells: MONTH_COLUMNS.map((c) => ({ current: now?.[c.figure] ?? 0, previous: before?.[c.figure] ?? 0 })),
        // YYYY-MM before the first record's own month: the whole month ended before it.
        ...(recordedFrom !== null && earlierMonth < recordedFrom.slice(0, 7) && { previousRecorded: false as const }),
      };
    }),
    totals: MONTH_COLUMNS.map((c) => ({ current: figures[c.figure], previous: previousFigures[c.figure] })),
    totalLabel: 'Whole period',
  };
}

function siteTable(
  figures: Figures,
  previousFigures: Figures,
  womenWhoVisited: Cell<number>,
  config: OrgConfig,
): ReportTable<number> {
  const keys = keysToShow(config.sites, mapOf(figures.bySite), mapOf(previousFigures.bySite));
  return {
    id: 'sites',
    title: 'By site',
    figure: 'bySite',
    rowHeading: 'Site',
    columns: SITE_COLUMNS,
    rows: keys.map((key) => ({
      key,
      label: labelOf(config.sites, key),
      cells: SITE_COLUMNS.map((c) => ({
        current: figures.bySite[key]?.[c.figure] ?? 0,
        previous: previousFigures.bySite[key]?.[c.figure] ?? 0,
      })),
      ...listedFlag(config.sites, key),
    })),
    // Unique women across the sites are the women who visited, not every woman in the period.
    totals: SITE_COLUMNS.map((c) =>
      c.figure === 'uniqueWomen' ? womenWhoVisited : { current: figures[c.figure], previous: previousFigures[c.figure] },
    ),
    totalLabel: 'All sites',
  };
}

function mapOf(bySite: Figures['bySite']): Record<string, number> {
  return Object.fromEntries(Object.entries(bySite).map(([k, v]) => [k, v.visits]));
}

type TermColumn = TableColumn & { figure: KeyedFigure; total: TotalFigure };

/** A table of what contacts or sessions recorded: a row per term, records and women side by side. */
interface TermTableSpec {
  id: TableId;
  title: string;
  rowHeading: string;
  terms: Terms;
  /** The first column counts records: its terms are the rows (a woman's terms are her records'). */
  columns: [TermColumn, ...TermColumn[]];
  totalLabel: string;
  /** The label of the row of records with none of the terms, for lists that may be empty. */
  none?: string;
  /** Only terms counted in either period, for long lists (thirty-three boroughs). */
  countedOnly?: boolean;
  empty?: string;
}

/**
 * Outreach by area and kind of place, needs and support, and casework by topic and outcome. A
 * contact has one area and one kind of place, so its column adds up to the contacts (`sum`); the
 * other lists can have several terms or none, so with the "None recorded" row each record is in at
 * least one row (`atLeast`), and so is each woman.
 */
function termTables(config: OrgConfig): TermTableSpec[] {
  const contacts = { label: 'Contacts', total: 'outreachContacts' } as const;
  const reached = { adds: 'atLeast', total: 'womenReached' } as const;
  const sessions = { label: 'Sessions', total: 'caseworkSessions' } as const;
  return [
    {
      id: 'areas',
      title: 'Outreach by area',
      rowHeading: 'Area',
      terms: config.areas,
      columns: [
        { ...contacts, figure: 'byArea', adds: 'sum' },
        { ...reached, figure: 'womenByArea', label: 'Women reached' },
      ],
      totalLabel: 'All contacts',
      countedOnly: true,
      empty: 'No outreach contacts in either period.',
    },
    {
      id: 'places',
      title: 'Outreach by kind of place',
      rowHeading: 'Kind of place',
      terms: config.places,
      columns: [
        { ...contacts, figure: 'byPlace', adds: 'sum' },
        { ...reached, figure: 'womenByPlace', label: 'Women reached' },
      ],
      totalLabel: 'All contacts',
    },
    {
      id: 'needs',
      title: 'Needs raised on outreach',
      rowHeading: 'Need',
      terms: config.needs,
      columns: [
        { ...contacts, figure: 'needs', adds: 'atLeast' },
        { ...reached, figure: 'womenByNeed', label: 'Women' },
      ],
      totalLabel: 'All contacts',
      none: 'None recorded',
    },
    {
      id: 'support',
      title: 'Support given on outreach',
      rowHeading: 'Support',
      terms: config.support,
      columns: [
        { ...contacts, figure: 'support', adds: 'atLeast' },
        { ...reached, figure: 'womenBySupport', label: 'Women' },
      ],
      totalLabel: 'All contacts',
      none: 'None recorded',
    },
    {
      id: 'topics',
      title: 'Casework topics',
      rowHeading: 'Topic',
      terms: config.caseworkTopics,
      columns: [
        { ...sessions, figure: 'topics', adds: 'atLeast' },
        { label: 'Women', figure: 'womenByTopic', adds: 'atLeast', total: 'caseworkWomen' },
      ],
      totalLabel: 'All sessions',
    },
    {
      id: 'outcomes',
      title: 'Casework outcomes',
      rowHeading: 'Outcome',
      terms: config.caseworkOutcomes,
      columns: [{ ...sessions, figure: 'outcomes', adds: 'sum' }],
      totalLabel: 'All sessions',
      none: 'Not recorded',
    },
  ];
}

function termTable(spec: TermTableSpec, now: Counted, before: Counted): ReportTable<number> {
  const { id, title, rowHeading, terms, columns, totalLabel, none, countedOnly, empty } = spec;
  const records = columns[0].figure;
  const keys = keysToShow(terms, without(now[records], [NOT_RECORDED]), without(before[records], [NOT_RECORDED]), countedOnly);
  const rows: [string, string][] = keys.map((key) => [key, labelOf(terms, key)]);
  if (none !== undefined) rows.push([NOT_RECORDED, none]);
  return {
    id,
    title,
    rowHeading,
    columns: columns.map(({ figure, label, adds }) => ({ figure, label, adds })),
    rows: rows.map(([key, label]) => ({
      key,
      label,
      cells: columns.map((c) => ({ current: now[c.figure][key] ?? 0, previous: before[c.figure][key] ?? 0 })),
      // The row of records with none of the terms is listed always.
      ...(key !== NOT_RECORDED && listedFlag(terms, key, countedOnly)),
    })),
    totals: columns.map((c) => ({ current: now[c.total], previous: before[c.total] })),
    totalLabel,
    ...(empty === undefined ? {} : { empty }),
  };
}

/** A number as text for a statement, whether it takes the singular, and whether it may be said as "no". */
export type StatementNumber = (n: number) => { text: string; one: boolean; none: boolean };

/**
 * "In 2025/26 we welcomed 1,312 visits from 604 women." When some women were met only by outreach
 * or casework, "from" would not be true, so it says "and worked with" instead.
 */
export function statement(label: string, visits: number, women: number, allVisited: boolean, format: StatementNumber): string {
  const v = format(visits);
  const w = format(women);
  const visitsText = `${v.text} ${v.one ? 'visit' : 'visits'}`;
  const womenText = `${w.text} ${w.one ? 'woman' : 'women'}`;
  if (v.none && w.none) return `In ${label} we recorded no visits.`;
  if (w.none) return `In ${label} we welcomed ${visitsText}.`;
  if (v.none) return `In ${label} we worked with ${womenText}.`;
  return allVisited
    ? `In ${label} we welcomed ${visitsText} from ${womenText}.`
    : `In ${label} we welcomed ${visitsText} and worked with ${womenText}.`;
}
