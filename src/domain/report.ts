/**
 * The report model (docs/counting.md#the-report): one plain data structure that the reports screen, the printable
 * report, the figures CSV and publication mode all render, so every output says the same thing.
 * Numbers come only from counting.ts; this module arranges and labels them.
 *
 * `Report<V>` is generic over the value of a cell: numbers for the admin's own screen, display
 * text once disclosure control has been applied (disclosure.ts), with the same shape.
 */
import { countRecords, DEFINITIONS, firstRecordDates, resolveRecords, type Figures, type FigureKey, type ResolvedRecord } from './counting.ts';
import { labelOf, type OrgConfig } from './config.ts';
import { NOT_KNOWN, PREFERS_NOT_TO_SAY, type DetailField, type FootfallEvent } from './events.ts';
import { periodRange, previousPeriod, type DateRange, type Period } from './periods.ts';
import { resolveWomen, type WomanProfile } from './women.ts';

/** The event history resolved once, to count as many periods as the admin asks for. */
export interface History {
  records: ResolvedRecord[];
  women: Map<string, WomanProfile>;
  /** The configuration it was resolved with: its time zone dated every record. */
  config: OrgConfig;
}

export function resolveHistory(events: Iterable<FootfallEvent>, config: OrgConfig): History {
  const all = Array.isArray(events) ? (events as FootfallEvent[]) : [...events];
  return { records: resolveRecords(all, config), women: resolveWomen(all), config };
}

export interface ReportPeriod extends DateRange {
  period: Period;
  /** "2025/26", "Q1 2025", "April 2025", "1 Apr 2025 – 30 Jun 2025". */
  label: string;
}

/** A figure in this period and the same period a year earlier. */
export interface Cell<V> {
  current: V;
  previous: V;
}

export interface ReportRow<V> extends Cell<V> {
  /** The figure counted: a key of Figures, or `women` for a breakdown of unique women. */
  figure: FigureKey | 'women';
  /** The category within the figure (a service, destination, area or term key); absent for a single figure. */
  category?: string;
  label: string;
}

/**
 * How a breakdown's rows relate to its total: `sum` when each counted thing is in exactly one row,
 * `atLeast` when one can be in several (forms of exploitation). Disclosure control needs this.
 */
export type Adds = 'sum' | 'atLeast';

export type SectionId =
  | 'summary'
  | 'services'
  | 'outreach'
  | 'casework'
  | 'referrals'
  | 'areas'
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
  figure: 'visits' | 'anonymousVisits' | 'uniqueWomen' | 'newWomen' | 'outreachContacts';
  label: string;
  /** How the column's cells relate to the report's total of the same figure; `none` when they do not. */
  adds: Adds | 'none';
}

export interface TableRow<V> {
  /** YYYY-MM for a month, the site key for a site. */
  key: string;
  label: string;
  /** One per column, in column order. */
  cells: Cell<V>[];
}

export interface ReportTable<V> {
  id: 'months' | 'sites';
  title: string;
  columns: TableColumn[];
  rows: TableRow<V>[];
  /** The report's totals of each column's figure, in column order. */
  totals: Cell<V>[];
}

export interface Definition {
  figure: string;
  term: string;
  text: string;
}

export interface Report<V = number> {
  period: ReportPeriod;
  /** The same period a year earlier, shown beside every figure. */
  previousPeriod: ReportPeriod;
  sections: ReportSection<V>[];
  /** Month by month (the chart draws the visits column), then by site. */
  tables: ReportTable<V>[];
  /** One line for a letter: "In 2025/26 we welcomed 1,312 visits from 604 women." */
  statement: string;
  definitions: readonly Definition[];
}

/** The exact report the admin sees, with the figures it was built from. */
export interface ExactReport extends Report<number> {
  figures: Figures;
  previousFigures: Figures;
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
export const NOT_RECORDED = 'not-recorded';
const OTHER_ANSWERS: [string, string][] = [
  [NOT_KNOWN, 'Not known'],
  [PREFERS_NOT_TO_SAY, 'Prefers not to say'],
  [NOT_RECORDED, 'Not recorded'],
];

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Builds the report for a period, with the same period last year beside it. */
export function buildReport(history: History, config: OrgConfig, period: Period): ExactReport {
  const current = reportPeriod(period, config);
  const previous = reportPeriod(previousPeriod(period), config);
  const firstDates = firstRecordDates(history.records);
  const figures = countRecords(history.records, current, firstDates);
  const previousFigures = countRecords(history.records, previous, firstDates);
  const women = womenIn(history.records, current);
  const previousWomen = womenIn(history.records, previous);
  const womenWhoVisited = { current: women.visited, previous: previousWomen.visited };

  const single = (figure: FigureKey, label: string): ReportRow<number> => ({
    figure,
    label,
    current: figures[figure] as number,
    previous: previousFigures[figure] as number,
  });
  const keyed = (
    figure: 'services' | 'referrals' | 'byArea',
    terms: readonly { key: string; label?: string; name?: string; retired?: boolean }[],
    countedOnly = false,
  ): ReportRow<number>[] =>
    keysToShow(terms, figures[figure], previousFigures[figure], countedOnly).map((key) => ({
      figure,
      category: key,
      label: labelOf(terms, key),
      current: figures[figure][key] ?? 0,
      previous: previousFigures[figure][key] ?? 0,
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
      ],
    },
    { id: 'referrals', title: 'Referrals by destination', kind: 'totals', rows: keyed('referrals', config.referralDestinations) },
    {
      id: 'areas',
      title: 'Outreach contacts by area',
      kind: 'breakdown',
      // Thirty-three boroughs by default: only those with contacts in either period are listed.
      rows: keyed('byArea', config.areas, true),
      empty: 'No outreach contacts in either period.',
      total: single('outreachContacts', 'Outreach contacts'),
      adds: 'sum',
    },
    ...BREAKDOWNS.map(({ field, title, adds }): ReportSection<number> => {
      const now = tally(women.identified, history.women, field);
      const before = tally(previousWomen.identified, history.women, field);
      const terms = config.terms[field];
      const configured = keysToShow(
        terms,
        withoutOtherAnswers(now),
        withoutOtherAnswers(before),
      );
      return {
        id: `women.${field}`,
        title,
        kind: 'breakdown',
        rows: [...configured.map((key): [string, string] => [key, labelOf(terms, key)]), ...OTHER_ANSWERS].map(
          ([key, label]) => ({ figure: 'women', category: key, label, current: now[key] ?? 0, previous: before[key] ?? 0 }),
        ),
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
    womenWhoVisited,
    sections,
    tables: [monthTable(figures, previousFigures), siteTable(figures, previousFigures, womenWhoVisited, config)],
    statement: statement(current.label, figures.visits, figures.uniqueWomen, women.visited === figures.uniqueWomen, (n) => ({
      text: n.toLocaleString('en-GB'),
      one: n === 1,
      none: n === 0,
    })),
    definitions: REPORT_DEFINITIONS,
  };
}

function reportPeriod(period: Period, config: Pick<OrgConfig, 'financialYearStartMonth'>): ReportPeriod {
  return { period, ...periodRange(period, config.financialYearStartMonth) };
}

/** Distinct known women with a record in the range, and how many of them visited. */
function womenIn(records: readonly ResolvedRecord[], range: DateRange): { identified: Set<string>; visited: number } {
  const identified = new Set<string>();
  const visited = new Set<string>();
  for (const r of records) {
    if (r.womanId === null || r.date < range.from || r.date > range.to) continue;
    identified.add(r.womanId);
    if (r.kind === 'visit') visited.add(r.womanId);
  }
  return { identified, visited: visited.size };
}

/** Women by the value of one optional field; a woman with no entry (erased) is "not recorded". */
function tally(women: Set<string>, directory: Map<string, WomanProfile>, field: DetailField): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of women) {
    const value = directory.get(id)?.details[field];
    const keys = value === undefined ? [] : Array.isArray(value) ? [...new Set(value)] : [value];
    for (const key of keys.length > 0 ? keys : [NOT_RECORDED]) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function withoutOtherAnswers(counts: Record<string, number>): Record<string, number> {
  const rest = { ...counts };
  for (const [key] of OTHER_ANSWERS) delete rest[key];
  return rest;
}

/**
 * Keys to show in configured order: every term in use, plus a retired or since-removed term that
 * was counted in either period (shown by its key, so no count is lost from a report).
 */
function keysToShow(
  terms: readonly { key: string; retired?: boolean }[],
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

const MONTH_COLUMNS: TableColumn[] = [
  { figure: 'visits', label: 'Visits', adds: 'sum' },
  { figure: 'uniqueWomen', label: 'Unique women', adds: 'atLeast' },
  { figure: 'newWomen', label: 'New women', adds: 'sum' },
  { figure: 'anonymousVisits', label: 'Anonymous visits', adds: 'sum' },
  { figure: 'outreachContacts', label: 'Outreach contacts', adds: 'sum' },
];

const SITE_COLUMNS: TableColumn[] = [
  { figure: 'visits', label: 'Visits', adds: 'sum' },
  // A woman who visited two sites counts at each, so the sites add up to at least the total.
  { figure: 'uniqueWomen', label: 'Unique women', adds: 'atLeast' },
  { figure: 'anonymousVisits', label: 'Anonymous visits', adds: 'sum' },
];

function totalsOf(columns: TableColumn[], figures: Figures, previous: Figures): Cell<number>[] {
  return columns.map((c) => ({ current: figures[c.figure], previous: previous[c.figure] }));
}

/** Months of the period beside the same months a year earlier. */
function monthTable(figures: Figures, previousFigures: Figures): ReportTable<number> {
  const months = Object.keys(figures.byMonth);
  const earlier = Object.keys(previousFigures.byMonth);
  return {
    id: 'months',
    title: 'Month by month',
    columns: MONTH_COLUMNS,
    rows: months.map((month, i) => {
      const now = figures.byMonth[month];
      const before = previousFigures.byMonth[earlier[i] ?? ''];
      return {
        key: month,
        label: `${MONTH_NAMES[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`,
        cells: MONTH_COLUMNS.map((c) => ({ current: now?.[c.figure] ?? 0, previous: before?.[c.figure] ?? 0 })),
      };
    }),
    totals: totalsOf(MONTH_COLUMNS, figures, previousFigures),
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
    columns: SITE_COLUMNS,
    rows: keys.map((key) => ({
      key,
      label: labelOf(config.sites, key),
      cells: SITE_COLUMNS.map((c) => ({
        current: figures.bySite[key]?.[c.figure as 'visits'] ?? 0,
        previous: previousFigures.bySite[key]?.[c.figure as 'visits'] ?? 0,
      })),
    })),
    // Unique women across the sites are the women who visited, not every woman in the period.
    totals: SITE_COLUMNS.map((c) =>
      c.figure === 'uniqueWomen' ? womenWhoVisited : { current: figures[c.figure], previous: previousFigures[c.figure] },
    ),
  };
}

function mapOf(bySite: Figures['bySite']): Record<string, number> {
  return Object.fromEntries(Object.entries(bySite).map(([k, v]) => [k, v.visits]));
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
