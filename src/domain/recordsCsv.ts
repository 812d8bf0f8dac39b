/**
 * Raw records as CSV, in the one format Footfall both exports and imports (docs/counting.md#records-csv):
 *
 *   kind,date,time,site,person,services,area,place,topics,referrals
 *
 * One row per visit, outreach contact or casework session as it stands now (corrections applied,
 * voided records left out). Dates and times are local to the organisation; a woman appears by her
 * internal id, never her name. Exporting an organisation's records and importing them into a new
 * one reproduces every figure of its reports.
 *
 * Importing checks the whole file before anything is made: every bad row is reported with its
 * line and what to fix, and events come back only when the file is clean. Event and woman ids are
 * derived from the file's content, so importing the same file twice gives the same ids and the
 * app can drop the ones it already holds.
 */
import Papa from 'papaparse';
import { parse as uuidBytes, v5, v7 } from 'uuid';
import type { OrgConfig } from './config.ts';
import { FootfallEvent, KnownAs } from './events.ts';
import type { ResolvedRecord } from './counting.ts';
import type { DateRange } from './periods.ts';
import type { History } from './report.ts';
import { foldName } from './search.ts';
import { instantOf, localTimeOf, parseLocalDate } from './time.ts';

export const RECORD_COLUMNS = ['kind', 'date', 'time', 'site', 'person', 'services', 'area', 'place', 'topics', 'referrals'] as const;
type Column = (typeof RECORD_COLUMNS)[number];
const REQUIRED: Column[] = ['kind', 'date'];
const LIST_SEPARATOR = ';';

/** The records of a range (every record when null), oldest first. */
export function recordsCsv(history: History, range: DateRange | null): string {
  const { timeZone, sites } = history.config;
  const siteName = new Map(sites.map((s) => [s.key, s.name]));
  const inRange = (r: ResolvedRecord) => range === null || (r.date >= range.from && r.date <= range.to);
  const rows = history.records
    .filter(inRange)
    .map((r): Record<Column, string> => {
      const common = { date: r.date, time: localTimeOf(r.occurredAt, timeZone), person: r.womanId ?? '' };
      const none = { site: '', services: '', area: '', place: '', topics: '', referrals: '' };
      switch (r.kind) {
        case 'visit':
          return { ...none, ...common, kind: 'visit', site: siteName.get(r.siteId) ?? r.siteId, services: r.services.join(LIST_SEPARATOR) };
        case 'outreach':
          return { ...none, ...common, kind: 'outreach', area: r.area, place: r.place, referrals: r.referrals.join(LIST_SEPARATOR) };
        case 'casework':
          return { ...none, ...common, kind: 'casework', topics: r.topics.join(LIST_SEPARATOR), referrals: r.referrals.join(LIST_SEPARATOR) };
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
}

export interface ImportCounts {
  rows: number;
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

export type ImportParse = { ok: true; events: FootfallEvent[]; counts: ImportCounts } | { ok: false; errors: ImportError[] };

/** The known-as name given to a woman imported by an id from elsewhere, which brings no name with it. */
export function placeholderName(womanId: string): string {
  return `Imported ${womanId.slice(-8)}`;
}

/** Fixed, so that ids derived from a file are the same on every device and every day. */
const NAMESPACE = '0f6f2b1c-5d3e-4a8b-9c47-6a1e2f3d4b5c';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TIME = /^(\d{1,2}):(\d{2})$/;
const NOON = '12:00';

/** A UUIDv7 for an instant whose other bits come from `name`: the same name gives the same id. */
function derivedId(ms: number, name: string): string {
  return v7({ msecs: ms, random: uuidBytes(v5(name, NAMESPACE)) });
}

interface Row {
  line: number;
  kind: 'visit' | 'outreach' | 'casework';
  occurredAt: string;
  ms: number;
  siteId: string;
  person: Person;
  services: string[];
  area: string;
  place: string;
  topics: string[];
  referrals: string[];
}

type Person =
  | { kind: 'none' }
  | { kind: 'known'; id: string }
  /** A UUIDv7 not in the directory: she is registered under it. */
  | { kind: 'id'; id: string }
  /** A name not in the directory, folded: she is registered under it. */
  | { kind: 'name'; folded: string; knownAs: string };

export function parseRecordsCsv(text: string, ctx: ImportContext): ImportParse {
  // One kind of line break, so the lines counted are the lines a spreadsheet shows.
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const errors: ImportError[] = [];
  const rows: Row[] = [];
  const vocabulary = vocabularyOf(ctx.config);
  const byName = namesOf(ctx.directory);

  let header: Column[] | null = null;
  let cursor = 0;
  let line = 1;
  Papa.parse<string[]>(normalised, {
    delimiter: ',',
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
      if (header === null) {
        const problem = headerProblem(fields);
        if (problem) {
          // Without a header no row can be read.
          errors.push({ line: rowLine, message: problem });
          parser.abort();
          return;
        }
        header = fields.map((f) => f.trim().toLowerCase() as Column);
        return;
      }
      if (fields.length !== header.length) {
        errors.push({
          line: rowLine,
          message: `has ${fields.length} fields but the header has ${header.length}: check for a comma inside a value that is not in double quotes, or a missing comma.`,
        });
        return;
      }
      const values = Object.fromEntries(header.map((c, i) => [c, (fields[i] ?? '').trim()])) as Partial<Record<Column, string>>;
      const row = readRow(values, rowLine, ctx, vocabulary, byName);
      if ('problems' in row) errors.push({ line: rowLine, message: row.problems.join(' ') });
      else rows.push(row);
    },
  });
  if (header === null && errors.length === 0) {
    errors.push({ line: 1, message: `The file is empty: it needs a header row (${RECORD_COLUMNS.join(',')}) and a row per record.` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, ...eventsOf(rows, ctx) };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function headerProblem(fields: string[]): string | null {
  const names = fields.map((f) => f.trim().toLowerCase());
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

/** A term list as the import reads it: by key or by label, ignoring case. */
interface Terms {
  what: string;
  find: (value: string) => string | undefined;
  accepted: string;
}

function termsOf(what: string, list: readonly { key: string; label?: string; name?: string }[]): Terms {
  const lookup = new Map<string, string>();
  for (const t of list) {
    const label = t.label ?? t.name;
    if (label !== undefined) lookup.set(label.toLowerCase(), t.key);
  }
  for (const t of list) lookup.set(t.key.toLowerCase(), t.key); // a key wins over another term's label
  return {
    what,
    find: (value) => lookup.get(value.toLowerCase()),
    accepted: list.map((t) => t.key).join(', '),
  };
}

type Vocabulary = Record<'site' | 'services' | 'area' | 'place' | 'topics' | 'referrals', Terms>;

function vocabularyOf(config: OrgConfig): Vocabulary {
  const site = termsOf('site', config.sites);
  return {
    site: { ...site, accepted: config.sites.map((s) => `${s.name} (${s.key})`).join(', ') },
    services: termsOf('service', config.services),
    area: termsOf('area', config.areas),
    place: termsOf('place', config.places),
    topics: termsOf('topic', config.caseworkTopics),
    referrals: termsOf('referral destination', config.referralDestinations),
  };
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

const KIND_COLUMNS: Record<Row['kind'], Column[]> = {
  visit: ['site', 'services'],
  outreach: ['area', 'place', 'referrals'],
  casework: ['topics', 'referrals'],
};
const KIND_OF_COLUMN: Partial<Record<Column, string>> = {
  site: 'visits',
  services: 'visits',
  area: 'outreach contacts',
  place: 'outreach contacts',
  topics: 'casework sessions',
  referrals: 'outreach contacts and casework sessions',
};

function readRow(
  values: Partial<Record<Column, string>>,
  line: number,
  ctx: ImportContext,
  vocabulary: Vocabulary,
  byName: Map<string, string[]>,
): Row | { problems: string[] } {
  const problems: string[] = [];
  const kindText = values.kind ?? '';
  const kind = kindText.toLowerCase();
  if (kind !== 'visit' && kind !== 'outreach' && kind !== 'casework') {
    return {
      problems: [kindText === '' ? 'kind is empty: write visit, outreach or casework.' : `kind "${kindText}" is not one Footfall knows: write visit, outreach or casework.`],
    };
  }

  const occurredAt = instantOfRow(values.date ?? '', values.time ?? '', ctx.config.timeZone, problems);

  for (const column of RECORD_COLUMNS) {
    const only = KIND_OF_COLUMN[column];
    if (only && values[column] && !KIND_COLUMNS[kind].includes(column)) {
      problems.push(`${column} is only for ${only}: leave it empty on a ${kind} row, or change the kind.`);
    }
  }
  const one = (column: 'site' | 'area' | 'place'): string => {
    const value = values[column] ?? '';
    if (!KIND_COLUMNS[kind].includes(column)) return '';
    const terms = vocabulary[column];
    if (value === '') {
      problems.push(`a ${kind === 'visit' ? 'visit' : 'contact'} needs ${/^[aeiou]/.test(terms.what) ? 'an' : 'a'} ${terms.what}: one of ${terms.accepted}.`);
      return '';
    }
    const key = terms.find(value);
    if (key === undefined) problems.push(`${terms.what} "${value}" is not one of the centre's: use one of ${terms.accepted}.`);
    return key ?? '';
  };
  const many = (column: 'services' | 'topics' | 'referrals'): string[] => {
    if (!KIND_COLUMNS[kind].includes(column)) return [];
    const terms = vocabulary[column];
    const keys: string[] = [];
    for (const item of (values[column] ?? '').split(LIST_SEPARATOR).map((s) => s.trim()).filter(Boolean)) {
      const key = terms.find(item);
      if (key === undefined) problems.push(`${terms.what} "${item}" is not one of the centre's: use one of ${terms.accepted}, separated by "${LIST_SEPARATOR}".`);
      else if (!keys.includes(key)) keys.push(key);
    }
    return keys;
  };
  const siteId = one('site');
  const area = one('area');
  const place = one('place');
  const services = many('services');
  const topics = many('topics');
  const referrals = many('referrals');
  if (kind === 'casework' && topics.length === 0 && !problems.some((p) => p.startsWith('topic'))) {
    problems.push(`a casework session needs at least one topic: one of ${vocabulary.topics.accepted}, separated by "${LIST_SEPARATOR}".`);
  }

  const person = personOf(values.person ?? '', ctx, byName, problems);
  if (kind === 'casework' && person?.kind === 'none') {
    problems.push('a casework session is always with a known woman: give her id or the name she is known by.');
  }

  if (problems.length > 0 || occurredAt === null || person === null) return { problems };
  return { line, kind, occurredAt, ms: Date.parse(occurredAt), siteId, person, services, area, place, topics, referrals };
}

function instantOfRow(date: string, time: string, timeZone: string, problems: string[]): string | null {
  let dateOk = true;
  try {
    const [y] = parseLocalDate(date);
    if (y < 1970) {
      problems.push(`date ${date} is before 1970: check the year.`);
      dateOk = false;
    }
  } catch {
    problems.push(date === '' ? 'date is empty: write the date as YYYY-MM-DD, such as 2025-04-01.' : `date "${date}" is not a real date written YYYY-MM-DD, such as 2025-04-01.`);
    dateOk = false;
  }
  let hhmm = NOON; // a record with no time is dated at midday, well away from midnight and the clock changes
  if (time !== '') {
    const match = TIME.exec(time);
    if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) {
      problems.push(`time "${time}" is not a time of day written HH:MM, such as 09:30: correct it or leave it empty.`);
      return null;
    }
    hhmm = `${match[1]!.padStart(2, '0')}:${match[2]}`;
  }
  return dateOk ? instantOf(date, hhmm, timeZone) : null;
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
function eventsOf(rows: Row[], ctx: ImportContext): { events: FootfallEvent[]; counts: ImportCounts } {
  const who = { deviceId: ctx.deviceId, staffId: ctx.staffId };
  const events: FootfallEvent[] = [];
  const counts: ImportCounts = { rows: rows.length, visits: 0, outreachContacts: 0, caseworkSessions: 0, newWomen: 0, womenFromIds: 0 };

  // Each woman new to the directory is registered once, dated by her first record in the file.
  const newWomen = new Map<string, { id: string | null; knownAs: string; ms: number; fromId: boolean }>();
  for (const r of rows) {
    const p = r.person;
    if (p.kind !== 'id' && p.kind !== 'name') continue;
    const key = p.kind === 'id' ? `id:${p.id}` : `name:${p.folded}`;
    const seen = newWomen.get(key);
    if (!seen) {
      newWomen.set(key, {
        id: p.kind === 'id' ? p.id : null,
        knownAs: p.kind === 'id' ? placeholderName(p.id) : p.knownAs,
        ms: r.ms,
        fromId: p.kind === 'id',
      });
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
    if (w.fromId) counts.womenFromIds++;
    else counts.newWomen++;
  }

  const ordinals = new Map<string, number>();
  for (const r of rows) {
    const p = r.person;
    const womanId = p.kind === 'none' ? null : p.kind === 'known' ? p.id : (womanIdOf.get(p.kind === 'id' ? `id:${p.id}` : `name:${p.folded}`) as string);
    // Identical rows are separate records (two anonymous check-ins at the same time): the
    // ordinal among them keeps their ids apart and the same from one import to the next.
    const canonical = JSON.stringify([r.kind, r.occurredAt, r.siteId, womanId, r.services, r.area, r.place, r.topics, r.referrals]);
    const ordinal = ordinals.get(canonical) ?? 0;
    ordinals.set(canonical, ordinal + 1);
    const common = { ...who, id: derivedId(r.ms, `${canonical}\n${ordinal}`), at: r.occurredAt, occurredAt: r.occurredAt };
    switch (r.kind) {
      case 'visit':
        counts.visits++;
        events.push(FootfallEvent.parse({ ...common, type: 'visit.checkedIn', womanId, siteId: r.siteId, services: r.services }));
        break;
      case 'outreach':
        counts.outreachContacts++;
        events.push(
          FootfallEvent.parse({ ...common, type: 'outreach.contacted', womanId, area: r.area, place: r.place, needs: [], support: [], referrals: r.referrals }),
        );
        break;
      case 'casework':
        counts.caseworkSessions++;
        events.push(FootfallEvent.parse({ ...common, type: 'casework.session', womanId, topics: r.topics, referrals: r.referrals }));
        break;
    }
  }
  return { events, counts };
}
