/**
 * Raw records as CSV, in the one format Footfall both exports and imports (docs/counting.md#records-csv):
 *
 *   kind,date,time,site,person,services,area,place,topics,referrals,needs,support,outcome
 *
 * One row per visit, outreach contact or casework session as it stands now (corrections applied,
 * voided records left out). Dates and times are local to the organisation; a woman appears by her
 * internal id, never her name. Exporting an organisation's records and importing them into a new
 * one reproduces every figure of its reports.
 *
 * Importing checks the whole file before anything is made (docs/counting.md#import). Terms are
 * matched forgivingly (`termMatcher`), and a value that matches no term is not a line to fix but
 * a question for the admin: values are grouped, and she maps each to a term or adds it (a
 * `TermMapping`), then the file is read again with her answers. Every other bad row is reported
 * with its line and what to fix. Events come back only when the file is clean and every value is
 * decided. Event and woman ids are derived from the file's content, so importing the same file
 * twice gives the same ids and the app can drop the ones it already holds.
 */
import Papa from 'papaparse';
import { parse as uuidBytes, v5, v7 } from 'uuid';
import { z } from 'zod';
import { keyFromLabel, Term, termMatcher, type OrgConfig } from './config.ts';
import { FootfallEvent, KnownAs } from './events.ts';
import { countRecords, resolveRecords, type ResolvedRecord } from './counting.ts';
import type { DateRange } from './periods.ts';
import { dateOfDay, dayNumber, NONE, VISIT, type RecordColumns } from './recordColumns.ts';
import type { History } from './report.ts';
import { foldName } from './search.ts';
import { formatLocalDate, instantOf, localDateOf, localTimeOf, parseLocalDate, type LocalDate } from './time.ts';

export const RECORD_COLUMNS = [
  'kind',
  'date',
  'time',
  'site',
  'person',
  'services',
  'area',
  'place',
  'topics',
  'referrals',
  'needs',
  'support',
  'outcome',
] as const;
type Column = (typeof RECORD_COLUMNS)[number];
const REQUIRED: Column[] = ['kind', 'date'];
const LIST_SEPARATOR = ';';

type Kind = 'visit' | 'outreach' | 'casework';

/** "a site", "an area". */
function aOrAn(what: string): string {
  return `${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`;
}

/**
 * The columns that hold the organisation's terms: the list each is matched against, what one of
 * its terms is called, and whether a cell holds one term or a `;`-separated list.
 */
export const TERM_COLUMNS = {
  site: { list: 'sites', what: 'site', many: false },
  services: { list: 'services', what: 'service', many: true },
  area: { list: 'areas', what: 'area', many: false },
  place: { list: 'places', what: 'kind of place', many: false },
  topics: { list: 'caseworkTopics', what: 'topic', many: true },
  referrals: { list: 'referralDestinations', what: 'referral destination', many: true },
  needs: { list: 'needs', what: 'need', many: true },
  support: { list: 'support', what: 'kind of support', many: true },
  // A session has one outcome; the column is a list like the others so that a cell naming two is
  // read, and refused with its line, rather than taken for one unknown term.
  outcome: { list: 'caseworkOutcomes', what: 'outcome', many: true },
} as const satisfies Record<string, { list: keyof OrgConfig; what: string; many: boolean }>;
export type TermColumn = keyof typeof TERM_COLUMNS;
const TERM_COLUMN_NAMES = Object.keys(TERM_COLUMNS) as TermColumn[];
type ListColumn = { [C in TermColumn]: (typeof TERM_COLUMNS)[C]['many'] extends true ? C : never }[TermColumn];
type OneColumn = Exclude<TermColumn, ListColumn>;

/** The columns a kind of record may fill, beyond kind, date, time and person. */
const KIND_COLUMNS: Record<Kind, TermColumn[]> = {
  visit: ['site', 'services'],
  outreach: ['area', 'place', 'needs', 'support', 'referrals'],
  casework: ['topics', 'outcome', 'referrals'],
};
const RECORDS_OF: Record<Kind, string> = { visit: 'visits', outreach: 'outreach contacts', casework: 'casework sessions' };
const A_RECORD: Record<Kind, string> = { visit: 'a visit', outreach: 'an outreach contact', casework: 'a casework session' };

/** The terms a column is matched against, each with its label (a site's is its name). */
export function columnTerms(config: OrgConfig, column: TermColumn): Term[] {
  const list = TERM_COLUMNS[column].list;
  return list === 'sites' ? config.sites.map((s) => ({ key: s.key, label: s.name, retired: s.retired })) : config[list];
}

/** The records of a range (every record when null), oldest first. */
export function recordsCsv(history: History, range: DateRange | null): string {
  const { timeZone, sites } = history.config;
  const siteName = new Map(sites.map((s) => [s.key, s.name]));
  const inRange = (r: ResolvedRecord) => range === null || (r.date >= range.from && r.date <= range.to);
  const list = (items: readonly string[]) => items.join(LIST_SEPARATOR);
  const rows = history.records
    .filter(inRange)
    .map((r): Record<Column, string> => {
      const common = { date: r.date, time: localTimeOf(r.occurredAt, timeZone), person: r.womanId ?? '' };
      const none = { site: '', services: '', area: '', place: '', topics: '', referrals: '', needs: '', support: '', outcome: '' };
      switch (r.kind) {
        case 'visit':
          return { ...none, ...common, kind: 'visit', site: siteName.get(r.siteId) ?? r.siteId, services: list(r.services) };
        case 'outreach':
          return {
            ...none,
            ...common,
            kind: 'outreach',
            area: r.area,
            place: r.place,
            needs: list(r.needs),
            support: list(r.support),
            referrals: list(r.referrals),
          };
        case 'casework':
          return { ...none, ...common, kind: 'casework', topics: list(r.topics), outcome: r.outcome ?? '', referrals: list(r.referrals) };
      }
    });
  const key = (r: Record<Column, string>) => `${r.date} ${r.time} ${r.kind} ${r.site} ${r.person} ${r.services}${r.area}${r.topics}`;
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return Papa.unparse({ fields: [...RECORD_COLUMNS], data: rows.map((r) => RECORD_COLUMNS.map((c) => r[c])) }, { newline: '\r\n' });
}

/** A directory entry as the import needs it: a full profile does as well. */
export interface DirectoryEntry {
  id: string;
  knownAs: string;
}

export interface ImportContext {
  config: OrgConfig;
  /** The entries a name in the file is looked for among (merged-away duplicates left out), by id. */
  directory: ReadonlyMap<string, DirectoryEntry>;
  /**
   * Other ids the organisation knows: entries merged into another, and erased women. A row may
   * give one (her records count as before) without a new entry being made for her.
   */
  otherKnownIds?: ReadonlySet<string>;
  deviceId: string;
  staffId: string;
  /** Today in the organisation's time zone: a record dated after tomorrow is refused. Read from the clock when absent. */
  today?: LocalDate;
}

/** What a set of imported events adds, counted as the reports count (docs/counting.md). */
export interface ImportCounts {
  /** Records: visits' check-ins, outreach contacts and casework sessions, one per row. */
  records: number;
  /** Visits as reports count them: one woman at one site on one date, however many rows. */
  visits: number;
  outreachContacts: number;
  caseworkSessions: number;
  /** Women named in the file who are not in the directory: each is registered under that name. */
  newWomen: number;
  /**
   * Women given by an id not in the directory (an export from another organisation): each is
   * registered under that id with a placeholder name, "Imported" and the end of the id.
   */
  womenFromIds: number;
}

export interface ImportError {
  /** The line of the file, the header being line 1; a quoted field over several lines counts them all. */
  line: number;
  message: string;
}

/** How many line numbers a group of unknown values shows: enough to find them in the file. */
export const LINES_SHOWN = 5;

/** A value of the file that is none of the organisation's terms, with every spelling of it folded together. */
export interface UnknownTerm {
  column: TermColumn;
  /** As the file first writes it. */
  value: string;
  /** The rows that give it. */
  rows: number;
  /** The first of those rows' lines, at most LINES_SHOWN. */
  lines: number[];
  /** Terms it could equally be (it matches each as well as the others); empty when it matches none. */
  candidates: string[];
}

/** A term the admin chose to add while importing: added to the configuration with the records. */
export interface AddedTerm {
  column: TermColumn;
  key: string;
  label: string;
}

/**
 * What the admin decided for an unknown value: an existing term's key, a new term with this
 * label, or (in a list column) to leave the value out.
 */
const Decision = z.union([
  Term.shape.key,
  z.object({ add: Term.shape.label }).strict(),
  z.object({ leaveOut: z.literal(true) }).strict(),
]);
export type Decision = z.infer<typeof Decision>;

/** Per column, the decision for each unknown value as `UnknownTerm.value` gives it (any spelling of it will do). */
export const TermMapping = z
  .partialRecord(z.enum(TERM_COLUMN_NAMES), z.record(z.string(), Decision))
  .superRefine((mapping, ctx) => {
    for (const column of TERM_COLUMN_NAMES) {
      if (TERM_COLUMNS[column].many) continue;
      for (const [value, decision] of Object.entries(mapping[column] ?? {})) {
        if (typeof decision === 'object' && 'leaveOut' in decision) {
          const { what } = TERM_COLUMNS[column];
          ctx.addIssue({ code: 'custom', path: [column, value], message: `${what} “${value}” cannot be left out: every record with it needs ${aOrAn(what)}. Choose one, or add it.` });
        }
      }
    }
  });
export type TermMapping = z.infer<typeof TermMapping>;

export type ImportParse =
  | { ok: true; events: FootfallEvent[]; counts: ImportCounts; addedTerms: AddedTerm[] }
  /** Lines to fix in the file, and values to decide in the preview: either may be empty, not both. */
  | { ok: false; errors: ImportError[]; unknownTerms: UnknownTerm[] };

/** The known-as name given to a woman imported by an id from elsewhere, which brings no name with it. */
export function placeholderName(womanId: string): string {
  return `Imported ${womanId.slice(-8)}`;
}

/** Fixed, so that ids derived from a file are the same on every device and every day. */
const NAMESPACE = '0f6f2b1c-5d3e-4a8b-9c47-6a1e2f3d4b5c';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** A time of day, its seconds (as spreadsheets write a time cell) allowed and passed over. */
const TIME = /^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/;
/** A date written year first (the only order that cannot be misread), with - or /, its month and day in one or two digits, and perhaps a time after it (read as TIME). */
const YEAR_FIRST = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$/;
/** A date written day and month first: 03/04/2025 is 3 April in London and 4 March in a US spreadsheet. */
const DAY_OR_MONTH_FIRST = /^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b/;
/** The delimiters a spreadsheet may save a CSV file with: commas, or semicolons and tabs where the comma is a decimal mark. */
const DELIMITERS = [',', ';', '\t'] as const;
const NOON = '12:00';

/** A UUIDv7 for an instant whose other bits come from `name`: the same name gives the same id. */
function derivedId(ms: number, name: string): string {
  return v7({ msecs: ms, random: uuidBytes(v5(name, NAMESPACE)) });
}

interface Row {
  line: number;
  kind: Kind;
  occurredAt: string;
  ms: number;
  person: Person;
  siteId: string;
  area: string;
  place: string;
  services: string[];
  topics: string[];
  referrals: string[];
  needs: string[];
  support: string[];
  outcome: string | null;
}

type Person =
  | { kind: 'none' }
  | { kind: 'known'; id: string }
  /** A UUIDv7 not in the directory: she is registered under it. */
  | { kind: 'id'; id: string }
  /** A name not in the directory, folded: she is registered under it. */
  | { kind: 'name'; folded: string; knownAs: string };

/** What a decoder puts for bytes that are not text in its encoding. */
const UNREADABLE = '\uFFFD';

/**
 * A records file's text: UTF-8 (what Footfall and "CSV UTF-8" write, a byte order mark or not), or,
 * when the bytes are not UTF-8, Windows-1252, which older Excel writes in Britain ("CSV"): read as
 * UTF-8, its é, £ and ’ would become unreadable characters, and a name would no longer match hers.
 */
export function decodeRecordsFile(bytes: Uint8Array): { text: string; encoding: 'UTF-8' | 'Windows-1252' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'UTF-8' };
  } catch {
    // Some decoders (Node's without full ICU) read this label as ISO-8859-1, giving control
    // characters for bytes 0x80-0x9F: those are put right, so every platform reads ’ as ’.
    const text = new TextDecoder('windows-1252').decode(bytes).replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
    return { text, encoding: 'Windows-1252' };
  }
}

/** Windows-1252's characters for the bytes 0x80-0x9F (the WHATWG Encoding Standard's table; its five unused bytes stay as they are). */
const WINDOWS_1252_HIGH = [...'€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'];

/**
 * Reads a records file against the organisation's configuration and directory. `mapping` holds
 * the admin's decisions for values that match no term (from an earlier read's `unknownTerms`).
 * Throws when the mapping itself is not valid (a caller's mistake, not the file's).
 */
export function parseRecordsCsv(text: string, ctx: ImportContext, mapping: TermMapping = {}): ImportParse {
  const decided = TermMapping.safeParse(mapping);
  if (!decided.success) throw new Error(`The choices for the file’s terms cannot be used: ${decided.error.issues[0]?.message}`);
  // One kind of line break, so the lines counted are the lines a spreadsheet shows.
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const errors: ImportError[] = [];
  const rows: Row[] = [];
  const vocabulary = new Vocabulary(ctx.config, decided.data);
  const byName = namesOf(ctx.directory);

  let header: Column[] | null = null;
  let cursor = 0;
  let line = 1;
  const dates: DateReader = { timeZone: ctx.config.timeZone, latest: dateOfDay(dayNumber(ctx.today ?? localDateOf(Date.now(), ctx.config.timeZone)) + 1), instants: new Map() };
  Papa.parse<string[]>(normalised, {
    delimiter: delimiterOf(normalised),
    newline: '\n',
    step: (result, parser) => {
      const start = cursor;
      cursor = result.meta.cursor;
      const rowLine = line;
      line += countNewlines(normalised, start, cursor);
      const fields = result.data;
      if (result.errors.length > 0) {
        errors.push({ line: rowLine, message: `${result.errors[0]?.message ?? 'cannot be read'}: check the quotes on this line (a field that contains a comma or a line break is written inside double quotes, and a quote inside it is doubled).` });
        return;
      }
      if (fields.every((f) => f.trim() === '')) return; // blank lines, and rows of empty cells a spreadsheet leaves
      if (fields.some((f) => f.includes(UNREADABLE))) {
        errors.push({ line: rowLine, message: 'has characters that could not be read (shown as �): save the file again as “CSV UTF-8” and choose it again.' });
        return;
      }
      if (header === null) {
        const problem = headerProblem(fields);
        if (problem) {
          // Without a header no row can be read.
          errors.push({ line: rowLine, message: problem });
          parser.abort();
          return;
        }
        header = namedColumns(fields) as Column[];
        return;
      }
      // A spreadsheet pads or trims empty cells at the end of a row: only a value past the header's columns is lost.
      if (fields.slice(header.length).some((f) => f.trim() !== '')) {
        errors.push({
          line: rowLine,
          message: `has ${fields.length} fields but the header has ${header.length}: check for a comma inside a value that is not in double quotes, or a missing comma.`,
        });
        return;
      }
      const values = Object.fromEntries(header.map((c, i) => [c, (fields[i] ?? '').trim()])) as Partial<Record<Column, string>>;
      const row = readRow(values, rowLine, ctx, vocabulary, byName, dates);
      if ('problems' in row) {
        if (row.problems.length > 0) errors.push({ line: rowLine, message: row.problems.join(' ') });
      } else rows.push(row);
    },
  });
  if (header === null && errors.length === 0) {
    errors.push({ line: 1, message: `The file is empty: it needs a header row (${RECORD_COLUMNS.join(',')}) and a row per record.` });
  }
  const unknownTerms = vocabulary.unknownTerms();
  if (errors.length > 0 || unknownTerms.length > 0) return { ok: false, errors, unknownTerms };
  const events = eventsOf(rows, ctx);
  return { ok: true, events, counts: importCounts(events, ctx.config), addedTerms: vocabulary.addedTerms() };
}

/**
 * What importing these events adds, counted by the counting module itself (resolveRecords,
 * countRecords) so that the preview says what the report will: several check-ins of one woman at
 * one site on one date are one visit, and so is a check-in that joins a visit the organisation
 * already holds (`held`, the records of its history as columns), which adds none.
 */
export function importCounts(events: readonly FootfallEvent[], config: Pick<OrgConfig, 'timeZone'>, held?: RecordColumns): ImportCounts {
  const records = resolveRecords(events, config);
  const registered = events.flatMap((e) => (e.type === 'woman.registered' ? [e] : []));
  const womenFromIds = registered.filter((e) => e.knownAs === placeholderName(e.womanId)).length;
  const counts = { records: records.length, visits: 0, outreachContacts: 0, caseworkSessions: 0, newWomen: registered.length - womenFromIds, womenFromIds };
  if (records.length === 0) return counts;
  let from = records[0]!.date;
  let to = from;
  for (const r of records) {
    if (r.date < from) from = r.date;
    if (r.date > to) to = r.date;
  }
  const figures = countRecords(records, { from, to });
  return { ...counts, visits: held ? visitsAdded(records, held) : figures.visits, outreachContacts: figures.outreachContacts, caseworkSessions: figures.caseworkSessions };
}

/**
 * How many visits these records add to those `held` holds: each anonymous check-in is a visit of
 * its own, and a woman's check-ins add one per site and date she has no visit on yet
 * (docs/counting.md#visits). Women are named by their canonical ids on both sides.
 */
export function visitsAdded(records: readonly ResolvedRecord[], held: RecordColumns): number {
  const visitKey = (woman: string, site: string, day: number) => `${day} ${site} ${woman}`;
  const known = new Set<string>();
  for (let i = 0; i < held.size; i++) {
    if (held.kind[i] !== VISIT || held.woman[i] === NONE) continue;
    known.add(visitKey(held.strings[held.woman[i]!]!, held.strings[held.site[i]!]!, held.day[i]!));
  }
  const added = new Set<string>();
  let anonymous = 0;
  for (const r of records) {
    if (r.kind !== 'visit') continue;
    if (r.womanId === null) anonymous++;
    else {
      const key = visitKey(r.womanId, r.siteId, dayNumber(r.date));
      if (!known.has(key)) added.add(key);
    }
  }
  return added.size + anonymous;
}

/** The configuration with the terms an import added, each in its list (a term already there is kept as it is). */
export function withAddedTerms(config: OrgConfig, added: readonly AddedTerm[]): OrgConfig {
  let next = config;
  for (const { column, key, label } of added) {
    if (columnTerms(next, column).some((t) => t.key === key)) continue;
    const list = TERM_COLUMNS[column].list;
    next =
      list === 'sites'
        ? { ...next, sites: [...next.sites, { key, name: label, retired: false }] }
        : { ...next, [list]: [...next[list], { key, label, retired: false }] };
  }
  return next;
}

export const PROBLEM_COLUMNS = ['line', 'column', 'value', 'problem'] as const;

/**
 * Every problem of a file that cannot be imported yet, as CSV to work through beside the file
 * (docs/counting.md#import): a row per line to fix, whose problem names its column in its own
 * words, and a row per value that is none of the organisation's terms, with the lines that give it.
 */
export function problemsCsv(errors: readonly ImportError[], unknownTerms: readonly UnknownTerm[]): string {
  const lineRows = errors.map((e) => [String(e.line), '', '', e.message]);
  const termRows = unknownTerms.map((t) => {
    const { what } = TERM_COLUMNS[t.column];
    const rows = `${t.rows} ${t.rows === 1 ? 'row' : 'rows'}${t.rows > t.lines.length ? `, the first ${t.lines.length} listed` : ''}`;
    return [t.lines.join(LIST_SEPARATOR), t.column, t.value, `${what} “${t.value}” is not among the organisation’s terms (${rows}): choose what it means when importing, or correct the file.`];
  });
  // The values are the file's own: a spreadsheet would run one beginning "=" as a formula.
  return Papa.unparse({ fields: [...PROBLEM_COLUMNS], data: [...lineRows, ...termRows] }, { newline: '\r\n', escapeFormulae: true });
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The header's column names, without the unnamed columns a spreadsheet leaves at its end. */
function namedColumns(fields: readonly string[]): string[] {
  const names = fields.map((f) => f.trim().toLowerCase());
  while (names.length > 0 && names.at(-1) === '') names.pop();
  return names;
}

/**
 * The delimiter of the file: the one that splits its first line into the most of the record
 * columns (commas when none does better), so a file saved with semicolons or tabs is read too.
 */
function delimiterOf(text: string): string {
  // The first line that is not blank, found without splitting the whole file.
  const start = text.search(/\S/);
  const end = text.indexOf('\n', start);
  const first = start === -1 ? '' : text.slice(start, end === -1 ? undefined : end);
  const known = (d: string) => first.split(d).filter((n) => (RECORD_COLUMNS as readonly string[]).includes(n.trim().toLowerCase().replace(/^"|"$/g, ''))).length;
  return DELIMITERS.reduce((best, d) => (known(d) > known(best) ? d : best), DELIMITERS[0]);
}

function headerProblem(fields: string[]): string | null {
  const names = namedColumns(fields);
  const unknown = names.filter((n) => !(RECORD_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    const list = unknown.map((n) => (n === '' ? 'an empty column name' : `"${n}"`)).join(', ');
    return `Unknown ${unknown.length === 1 ? 'column' : 'columns'} ${list}: the columns are ${RECORD_COLUMNS.join(', ')}. Rename or remove ${unknown.length === 1 ? 'it' : 'them'}.`;
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) return `The column "${repeated[0]}" appears more than once: keep one.`;
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length > 0) return `The header has no ${missing.map((c) => `"${c}"`).join(' or ')} column: every file needs ${REQUIRED.join(' and ')}.`;
  return null;
}

/** Every spelling of a value that folds the same is one value to decide. */
function groupKey(value: string): string {
  return foldName(value) || value.trim();
}

type Resolved = { key: string } | { leaveOut: true } | { unknown: true };

/**
 * The organisation's terms as one read of a file meets them: each value is matched forgivingly,
 * then looked up among the admin's decisions; what is still unknown is gathered into groups.
 */
class Vocabulary {
  private readonly columns = new Map<TermColumn, { terms: Term[]; match: ReturnType<typeof termMatcher>; decisions: Map<string, Resolved> }>();
  private readonly added: AddedTerm[] = [];
  /** By column and folded value; `lastLine` so that a row naming a value twice counts once. */
  private readonly unknown = new Map<string, { group: UnknownTerm; lastLine: number }>();

  constructor(config: OrgConfig, mapping: TermMapping) {
    for (const column of TERM_COLUMN_NAMES) {
      const terms = columnTerms(config, column);
      const match = termMatcher(terms);
      const decisions = new Map<string, Resolved>();
      const newKeys = new Map<string, string>(); // by folded label: one new term however many values name it
      for (const [value, decision] of Object.entries(mapping[column] ?? {})) {
        decisions.set(groupKey(value), this.resolveDecision(column, terms, match, newKeys, value, decision));
      }
      this.columns.set(column, { terms, match, decisions });
    }
  }

  private resolveDecision(
    column: TermColumn,
    terms: Term[],
    match: ReturnType<typeof termMatcher>,
    newKeys: Map<string, string>,
    value: string,
    decision: Decision,
  ): Resolved {
    const { what } = TERM_COLUMNS[column];
    if (typeof decision === 'string') {
      if (!terms.some((t) => t.key === decision)) {
        throw new Error(`The ${what} chosen for “${value}” is no longer in Settings: choose again.`);
      }
      return { key: decision };
    }
    if ('leaveOut' in decision) return { leaveOut: true };
    // A label that is already a term's, in another spelling, is that term: never a twin of it.
    const existing = match(decision.add);
    if (existing.kind === 'one') return { key: existing.key };
    const folded = groupKey(decision.add);
    let key = newKeys.get(folded);
    if (key === undefined) {
      key = uniqueKey(decision.add, new Set([...terms.map((t) => t.key), ...newKeys.values()]));
      newKeys.set(folded, key);
      this.added.push({ column, key, label: decision.add });
    }
    return { key };
  }

  /** The term a value stands for; an unknown value is counted in its group, once per row. */
  resolve(column: TermColumn, value: string, line: number): Resolved {
    const { match, decisions } = this.columns.get(column)!;
    const found = match(value);
    if (found.kind === 'one') return { key: found.key };
    const decision = decisions.get(groupKey(value));
    if (decision) return decision;
    const id = `${column}\n${groupKey(value)}`;
    let tally = this.unknown.get(id);
    if (!tally) {
      tally = { group: { column, value, rows: 0, lines: [], candidates: found.kind === 'several' ? found.keys : [] }, lastLine: 0 };
      this.unknown.set(id, tally);
    }
    if (tally.lastLine !== line) {
      tally.lastLine = line;
      tally.group.rows++;
      if (tally.group.lines.length < LINES_SHOWN) tally.group.lines.push(line);
    }
    return { unknown: true };
  }

  /** The unknown values, column by column, the most frequent first. */
  unknownTerms(): UnknownTerm[] {
    const order = (c: TermColumn) => TERM_COLUMN_NAMES.indexOf(c);
    return [...this.unknown.values()].map((t) => t.group).sort((a, b) => order(a.column) - order(b.column) || b.rows - a.rows || a.lines[0]! - b.lines[0]!);
  }

  /** The new terms the decisions made. */
  addedTerms(): AddedTerm[] {
    return [...this.added];
  }

  /** What a row lacking this column's term needs, with the first term in use as an example. */
  needed(column: TermColumn, atLeastOne = false): string {
    const { what } = TERM_COLUMNS[column];
    const term = this.columns.get(column)!.terms.find((t) => !t.retired);
    return `${atLeastOne ? `at least one ${what}` : aOrAn(what)}${term ? `, such as “${term.label}”` : ''}`;
  }
}

/** A new term's key: made from its label, and numbered when a term already has that key. */
function uniqueKey(label: string, taken: ReadonlySet<string>): string {
  const base = keyFromLabel(label);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const key = `${base.slice(0, 60)}-${n}`;
    if (!taken.has(key)) return key;
  }
}

/** Directory ids by folded known-as name. */
function namesOf(directory: ReadonlyMap<string, DirectoryEntry>): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const w of directory.values()) {
    const folded = foldName(w.knownAs);
    byName.set(folded, [...(byName.get(folded) ?? []), w.id]);
  }
  return byName;
}

/**
 * A row as a record, or its problems. No problems and no record: the row waits on a decision
 * about one of its values (the file's `unknownTerms`).
 */
function readRow(
  values: Partial<Record<Column, string>>,
  line: number,
  ctx: ImportContext,
  vocabulary: Vocabulary,
  byName: Map<string, string[]>,
  dates: DateReader,
): Row | { problems: string[] } {
  const problems: string[] = [];
  const kindText = values.kind ?? '';
  const kind = kindText.toLowerCase();
  if (kind !== 'visit' && kind !== 'outreach' && kind !== 'casework') {
    return {
      problems: [kindText === '' ? 'kind is empty: write visit, outreach or casework.' : `kind "${kindText}" is not one Footfall knows: write visit, outreach or casework.`],
    };
  }

  const occurredAt = instantOfRow(values.date ?? '', values.time ?? '', dates, problems);

  for (const column of TERM_COLUMN_NAMES) {
    if (values[column] && !KIND_COLUMNS[kind].includes(column)) {
      const kinds = (Object.keys(KIND_COLUMNS) as Kind[]).filter((k) => KIND_COLUMNS[k].includes(column));
      problems.push(`${column} is only for ${kinds.map((k) => RECORDS_OF[k]).join(' and ')}: leave it empty on a ${kind} row, or change the kind.`);
    }
  }
  let undecided = false;
  const one = (column: OneColumn): string => {
    if (!KIND_COLUMNS[kind].includes(column)) return '';
    const value = values[column] ?? '';
    if (value === '') {
      problems.push(`${column} is empty: ${A_RECORD[kind]} needs ${vocabulary.needed(column)}.`);
      return '';
    }
    // Never left out: the mapping's schema refuses that for a column of one term.
    const found = vocabulary.resolve(column, value, line);
    if ('unknown' in found) undecided = true;
    return 'key' in found ? found.key : '';
  };
  const many = (column: ListColumn): string[] => {
    if (!KIND_COLUMNS[kind].includes(column)) return [];
    const keys: string[] = [];
    for (const item of (values[column] ?? '').split(LIST_SEPARATOR).map((s) => s.trim()).filter(Boolean)) {
      const found = vocabulary.resolve(column, item, line);
      if ('unknown' in found) undecided = true;
      else if ('key' in found && !keys.includes(found.key)) keys.push(found.key);
    }
    return keys;
  };
  const siteId = one('site');
  const area = one('area');
  const place = one('place');
  const services = many('services');
  const needs = many('needs');
  const support = many('support');
  const topics = many('topics');
  const outcomes = many('outcome');
  const referrals = many('referrals');
  if (kind === 'casework' && topics.length === 0 && !undecided) {
    problems.push(`topics is empty: a casework session needs ${vocabulary.needed('topics', true)}; separate several with "${LIST_SEPARATOR}".`);
  }
  if (outcomes.length > 1) {
    problems.push(`outcome names ${outcomes.length} outcomes: a casework session has one outcome, so keep one.`);
  }

  const person = personOf(values.person ?? '', ctx, byName, problems);
  if (kind === 'casework' && person?.kind === 'none') {
    problems.push('a casework session is always with a known woman: give her id or the name she is known by.');
  }

  if (problems.length > 0 || undecided || occurredAt === null || person === null) return { problems };
  return { line, kind, occurredAt, ms: Date.parse(occurredAt), person, siteId, area, place, services, topics, referrals, needs, support, outcome: outcomes[0] ?? null };
}

/** What reading a file's dates needs, and the instants already worked out (a file repeats few dates and times). */
interface DateReader {
  timeZone: string;
  /**
   * The last date a record may have: tomorrow, so a record saved by a device whose clock ran a
   * little ahead still exports and imports, and a mistyped year does not.
   */
  latest: LocalDate;
  instants: Map<string, string>;
}

/** A date cell as YYYY-MM-DD, and the time written after it if any; null when it is not written year first. */
function readDate(cell: string): { date: LocalDate; time: string } | null {
  const match = YEAR_FIRST.exec(cell);
  if (!match) return null;
  const date = formatLocalDate(Number(match[1]), Number(match[2]), Number(match[3]));
  try {
    parseLocalDate(date);
  } catch {
    return null;
  }
  return { date, time: match[4] ?? '' };
}

function instantOfRow(dateCell: string, timeCell: string, dates: DateReader, problems: string[]): string | null {
  const read = readDate(dateCell);
  // The date the record is dated on, once it is found good; its problems are said either way.
  let date: LocalDate | null = null;
  if (read === null) {
    problems.push(
      dateCell === ''
        ? 'date is empty: write the date as YYYY-MM-DD, such as 2025-04-01.'
        : DAY_OR_MONTH_FIRST.test(dateCell)
          ? `date "${dateCell}" is written day or month first, which cannot be told apart (3 April or 4 March): write it YYYY-MM-DD, such as 2025-04-01 (in a spreadsheet, format the date column as yyyy-mm-dd).`
          : `date "${dateCell}" is not a real date written YYYY-MM-DD, such as 2025-04-01.`,
    );
  } else if (read.date < '1970-01-01') {
    problems.push(`date ${read.date} is before 1970: check the year.`);
  } else if (read.date > dates.latest) {
    problems.push(`date ${read.date} is in the future: check the year.`);
  } else date = read.date;
  let hhmm = NOON; // a record with no time is dated at midday, well away from midnight and the clock changes
  const time = timeCell !== '' ? timeCell : (read?.time ?? '');
  if (time !== '') {
    const match = TIME.exec(time);
    if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) {
      problems.push(`time "${time}" is not a time of day written HH:MM, such as 09:30: correct it or leave it empty.`);
      return null;
    }
    hhmm = `${match[1]!.padStart(2, '0')}:${match[2]}`;
  }
  if (date === null) return null;
  const key = `${date} ${hhmm}`;
  let instant = dates.instants.get(key);
  if (instant === undefined) dates.instants.set(key, (instant = instantOf(date, hhmm, dates.timeZone)));
  return instant;
}

function personOf(value: string, ctx: ImportContext, byName: Map<string, string[]>, problems: string[]): Person | null {
  if (value === '') return { kind: 'none' };
  if (UUID.test(value)) {
    const id = value.toLowerCase();
    if (ctx.directory.has(id) || ctx.otherKnownIds?.has(id)) return { kind: 'known', id };
    if (!UUID_V7.test(id)) {
      problems.push(`person "${value}" looks like an id but is not a Footfall woman id: give her Footfall id or the name she is known by.`);
      return null;
    }
    return { kind: 'id', id };
  }
  const parsed = KnownAs.safeParse(value);
  const folded = foldName(value);
  if (!parsed.success || folded === '') {
    problems.push(`person "${value.slice(0, 60)}" is not a name she could be known by: ${parsed.success ? 'it needs letters or digits' : parsed.error.issues[0]?.message}.`);
    return null;
  }
  const ids = byName.get(folded) ?? [];
  if (ids.length === 1) return { kind: 'known', id: ids[0]! };
  if (ids.length > 1) {
    problems.push(`${ids.length} women in the directory are known as "${value}": write the id of the one this record is about instead of her name.`);
    return null;
  }
  return { kind: 'name', folded, knownAs: parsed.data };
}

/** The events of a clean file, every id derived from the rows. */
function eventsOf(rows: Row[], ctx: ImportContext): FootfallEvent[] {
  const who = { deviceId: ctx.deviceId, staffId: ctx.staffId };
  const events: FootfallEvent[] = [];

  // Each woman new to the directory is registered once, dated by her first record in the file.
  const newWomen = new Map<string, { id: string | null; knownAs: string; ms: number }>();
  for (const r of rows) {
    const p = r.person;
    if (p.kind !== 'id' && p.kind !== 'name') continue;
    const key = p.kind === 'id' ? `id:${p.id}` : `name:${p.folded}`;
    const seen = newWomen.get(key);
    if (!seen) {
      newWomen.set(key, { id: p.kind === 'id' ? p.id : null, knownAs: p.kind === 'id' ? placeholderName(p.id) : p.knownAs, ms: r.ms });
    } else if (r.ms < seen.ms) seen.ms = r.ms;
  }
  const womanIdOf = new Map<string, string>();
  for (const [key, w] of newWomen) {
    const womanId = w.id ?? derivedId(w.ms, `woman\n${key}`);
    womanIdOf.set(key, womanId);
    const at = new Date(w.ms).toISOString();
    events.push(
      FootfallEvent.parse({ ...who, id: derivedId(w.ms, `registered\n${womanId}`), at, type: 'woman.registered', womanId, knownAs: w.knownAs, details: {} }),
    );
  }

  const ordinals = new Map<string, number>();
  for (const r of rows) {
    const p = r.person;
    const womanId = p.kind === 'none' ? null : p.kind === 'known' ? p.id : (womanIdOf.get(p.kind === 'id' ? `id:${p.id}` : `name:${p.folded}`) as string);
    // Identical rows are separate records (two anonymous check-ins at the same time): the
    // ordinal among them keeps their ids apart and the same from one import to the next. Needs,
    // support and outcome came to the file later: a row without them is named as it was before,
    // so a file imported then adds nothing when imported again now.
    const later = r.needs.length > 0 || r.support.length > 0 || r.outcome !== null ? [r.needs, r.support, r.outcome] : [];
    const canonical = JSON.stringify([r.kind, r.occurredAt, r.siteId, womanId, r.services, r.area, r.place, r.topics, r.referrals, ...later]);
    const ordinal = ordinals.get(canonical) ?? 0;
    ordinals.set(canonical, ordinal + 1);
    const common = { ...who, id: derivedId(r.ms, `${canonical}\n${ordinal}`), at: r.occurredAt, occurredAt: r.occurredAt };
    switch (r.kind) {
      case 'visit':
        events.push(FootfallEvent.parse({ ...common, type: 'visit.checkedIn', womanId, siteId: r.siteId, services: r.services }));
        break;
      case 'outreach':
        events.push(
          FootfallEvent.parse({ ...common, type: 'outreach.contacted', womanId, area: r.area, place: r.place, needs: r.needs, support: r.support, referrals: r.referrals }),
        );
        break;
      case 'casework':
        events.push(
          FootfallEvent.parse({
            ...common,
            type: 'casework.session',
            womanId,
            topics: r.topics,
            referrals: r.referrals,
            ...(r.outcome !== null && { outcome: r.outcome }),
          }),
        );
        break;
    }
  }
  return events;
}
