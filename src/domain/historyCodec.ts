/**
 * A resolved history (report.ts) in a compact, JSON-serialisable columnar form, so the admin's
 * device can keep the resolved records and open a year's report without resolving half a million
 * events again (docs/architecture.md#performance-targets: a financial year out of 500,000 stored events in under 3 s).
 *
 * Records are held column by column: every repeated string (women's ids, site, area and place
 * keys, services, needs, support, topics, referrals, outcomes) once in a dictionary and referred
 * to by index, each distinct list once, instants and dates as numbers (deltas from the record
 * before, which are short because records come roughly in time order). What a number cannot give
 * back exactly (an instant written without milliseconds, say) is kept as text beside it, so
 * decoding gives back exactly what was encoded. Decoded records with equal lists share one frozen
 * array, which nothing that reads a history changes.
 *
 * The configuration is not part of the encoded form: the records depend on it only through its
 * time zone, which is kept and checked, and the rest (labels, sites' names) is taken as it is now.
 */
import type { OrgConfig } from './config.ts';
import type { ResolvedCasework, ResolvedOutreach, ResolvedRecord, ResolvedVisit } from './counting.ts';
import type { WomanDetails } from './events.ts';
import { CASEWORK, dateOfDay, emptyColumns, FIRST_DAY, Interner, LAST_DAY, NONE, OUTREACH, recordDay, UNDATED, VISIT, type RecordColumns } from './recordColumns.ts';
import { historyOf, type History } from './report.ts';
import { digitsAt, instantMillis } from './time.ts';
import type { WomanProfile } from './women.ts';

export const HISTORY_CODEC_VERSION = 1;

/** Instants as milliseconds since the epoch, each a delta from the one before. */
interface Instants {
  delta: number[];
  /** [position, text] for each instant that `toISOString` would not give back exactly. */
  text: [number, string][];
}

export interface EncodedHistory {
  v: typeof HISTORY_CODEC_VERSION;
  /** The time zone that dated every record. */
  timeZone: string;
  /** Every repeated string, once; the columns below refer to them by index. */
  strings: string[];
  /** Every distinct list, once, as indexes into `strings`. */
  lists: number[][];
  records: {
    /** Per record, in order: 0 visit, 1 outreach contact, 2 casework session. */
    kind: number[];
    id: string[];
    /** Index into `strings`; -1 for no woman. */
    woman: number[];
    occurredAt: Instants;
    /** Days since 1970-01-01, each a delta from the record before. */
    day: number[];
    /** [position, text] for each date that is not the day number written out. */
    dateText: [number, string][];
    /** The columns below hold one entry per record of their kind, in record order. */
    site: number[];
    /** Indexes into `lists`. */
    services: number[];
    area: number[];
    place: number[];
    needs: number[];
    support: number[];
    /** Outreach contacts' and casework sessions' referrals, in record order. */
    referrals: number[];
    topics: number[];
    /** Index into `strings`; -1 for none (an imported session). */
    outcome: number[];
  };
  women: {
    /** Each entry's key in the map, and the profile's own id: indexes into `strings`. */
    key: number[];
    id: number[];
    knownAs: string[];
    /** Index into `details`. */
    details: number[];
    registeredAt: Instants;
  };
  /** Every distinct set of details, once. */
  details: WomanDetails[];
}

const DAY_MS = 86_400_000;

/**
 * The history in its encoded form. Its columns (recordColumns.ts), which counting its report made
 * already, give everything but the instants: strings and lists are numbered there once.
 */
export function encodeHistory(history: History): EncodedHistory {
  const c = history.columns;
  const strings = new Interner<string>((s) => s, c.strings);
  const details = new Interner<WomanDetails>((d) => JSON.stringify(d));

  const records: EncodedHistory['records'] = {
    kind: Array.from(c.kind),
    id: c.id.slice(),
    woman: Array.from(c.woman),
    occurredAt: { delta: [], text: [] },
    day: [],
    dateText: [],
    site: [],
    services: [],
    area: [],
    place: [],
    needs: [],
    support: [],
    referrals: [],
    topics: [],
    outcome: [],
  };
  const instants = instantWriter(records.occurredAt);
  let lastDay = 0;
  history.records.forEach((r, i) => {
    instants(r.occurredAt);
    const day = c.day[i] as number;
    if (day === UNDATED) records.dateText.push([i, r.date]);
    const value = day === UNDATED ? lastDay : day; // a delta of 0 where the text stands instead
    records.day.push(value - lastDay);
    lastDay = value;
    switch (c.kind[i]) {
      case VISIT:
        records.site.push(c.site[i] as number);
        records.services.push(c.services[i] as number);
        break;
      case OUTREACH:
        records.area.push(c.area[i] as number);
        records.place.push(c.place[i] as number);
        records.needs.push(c.needs[i] as number);
        records.support.push(c.support[i] as number);
        records.referrals.push(c.referrals[i] as number);
        break;
      case CASEWORK:
        records.topics.push(c.topics[i] as number);
        records.referrals.push(c.referrals[i] as number);
        records.outcome.push(c.outcome[i] as number);
        break;
    }
  });

  const women: EncodedHistory['women'] = { key: [], id: [], knownAs: [], details: [], registeredAt: { delta: [], text: [] } };
  const registeredAt = instantWriter(women.registeredAt);
  for (const [key, w] of history.women) {
    women.key.push(strings.index(key));
    women.id.push(strings.index(w.id));
    women.knownAs.push(w.knownAs);
    women.details.push(details.index(w.details));
    registeredAt(w.registeredAt);
  }

  return {
    v: HISTORY_CODEC_VERSION,
    timeZone: history.config.timeZone,
    lists: c.lists.map((l) => l.map((s) => strings.index(s))),
    strings: strings.values,
    records,
    women,
    details: details.values,
  };
}

/**
 * The history `encodeHistory` was given, with `config` as its configuration. Throws when the
 * encoded form is not of this version, was dated in another time zone, or does not hold together.
 *
 * Its columns (recordColumns.ts) are read straight from the encoded ones, which is all a report
 * counts; its records as objects are made only when something reads them (the raw records export).
 */
export function decodeHistory(encoded: EncodedHistory, config: OrgConfig): History {
  const e = encoded as Partial<EncodedHistory> | null;
  if (e?.v !== HISTORY_CODEC_VERSION || !e.records || !e.women || !Array.isArray(e.strings) || !Array.isArray(e.lists) || !Array.isArray(e.details)) {
    throw new Error('not a resolved history of this version');
  }
  if (e.timeZone !== config.timeZone) throw new Error(`the history was dated in ${String(e.timeZone)}, not ${config.timeZone}`);
  const { strings } = e;
  if (strings.some((s) => typeof s !== 'string')) throw new Error('a resolved history holds something other than text among its strings');
  // Counting tells women and terms apart by their index: each string must be there once.
  if (new Set(strings).size !== strings.length) throw new Error('a resolved history holds a string twice');
  const string = (i: number | undefined): number => {
    if (!Number.isInteger(i) || !((i as number) >= 0 && (i as number) < strings.length)) throw new Error('a resolved history refers to a string it does not hold');
    return i as number;
  };
  // Records with the same list share one array, frozen: most of a year's records have one of a
  // few dozen lists, and an array each would be most of what decoding allocates. Nothing that
  // reads a history changes its records; anything that tried would throw rather than change
  // other records too.
  const lists = e.lists.map((l) => Object.freeze(l.map((i) => strings[string(i)] as string)) as string[]);
  const list = (i: number | undefined): number => {
    if (typeof i !== 'number' || !lists[i]) throw new Error('a resolved history refers to a list it does not hold');
    return i;
  };

  const c = e.records;
  const n = c.kind.length;
  if (c.id.length !== n || c.woman.length !== n || c.day.length !== n || c.occurredAt.delta.length !== n) {
    throw new Error('a resolved history has columns of different lengths');
  }
  const columns = emptyColumns(n, strings, lists);
  const dateTexts = new Map(c.dateText);
  let day = 0;
  let site = 0;
  let outreach = 0;
  let referral = 0;
  let casework = 0;
  for (let i = 0; i < n; i++) {
    columns.id[i] = c.id[i] as string;
    const w = c.woman[i] as number;
    columns.woman[i] = w === -1 ? NONE : string(w);
    const delta = c.day[i];
    day += typeof delta === 'number' ? delta : NaN;
    const text = dateTexts.size > 0 ? dateTexts.get(i) : undefined;
    // A day outside the dates there are would be wrapped by the typed array into one that looks right.
    if (text === undefined && !(Number.isInteger(day) && day >= FIRST_DAY && day <= LAST_DAY)) throw new Error('a resolved history has a date that is not one');
    columns.day[i] = text === undefined ? day : recordDay(text);
    switch (c.kind[i]) {
      case VISIT:
        columns.kind[i] = VISIT;
        columns.site[i] = string(c.site[site]);
        columns.services[i] = list(c.services[site]);
        site++;
        break;
      case OUTREACH:
        columns.kind[i] = OUTREACH;
        columns.area[i] = string(c.area[outreach]);
        columns.place[i] = string(c.place[outreach]);
        columns.needs[i] = list(c.needs[outreach]);
        columns.support[i] = list(c.support[outreach]);
        columns.referrals[i] = list(c.referrals[referral]);
        outreach++;
        referral++;
        break;
      case CASEWORK: {
        if (w === -1) throw new Error('a resolved history has a casework session with no woman');
        columns.kind[i] = CASEWORK;
        columns.topics[i] = list(c.topics[casework]);
        columns.referrals[i] = list(c.referrals[referral]);
        const o = c.outcome[casework];
        columns.outcome[i] = o === -1 ? NONE : string(o);
        casework++;
        referral++;
        break;
      }
      default:
        throw new Error('a resolved history has a record of an unknown kind');
    }
  }
  if (site !== c.site.length || outreach !== c.area.length || casework !== c.topics.length || referral !== c.referrals.length) {
    throw new Error('a resolved history has columns that do not match its records');
  }
  checkInstants(c.occurredAt); // now, so that making the records later cannot fail

  const ww = e.women;
  const registeredAt = instantReader(ww.registeredAt);
  const women = new Map<string, WomanProfile>();
  for (let i = 0; i < ww.key.length; i++) {
    const details = e.details[ww.details[i] as number];
    if (!details) throw new Error('a resolved history refers to details it does not hold');
    women.set(strings[string(ww.key[i])] as string, {
      id: strings[string(ww.id[i])] as string,
      knownAs: ww.knownAs[i] as string,
      details: copyDetails(details),
      registeredAt: registeredAt(i),
    });
  }
  return historyOf(() => recordsOf(columns, c.occurredAt, dateTexts), () => columns, women, config);
}

/** The records as objects, from columns decodeHistory has checked. */
function recordsOf(columns: RecordColumns, instants: Instants, dateTexts: ReadonlyMap<number, string>): ResolvedRecord[] {
  const { strings, lists } = columns;
  const occurredAt = instantReader(instants);
  const records: ResolvedRecord[] = new Array(columns.size);
  let lastDay = NaN;
  let date = '';
  for (let i = 0; i < columns.size; i++) {
    const id = columns.id[i] as string;
    const w = columns.woman[i] as number;
    const womanId = w === NONE ? null : (strings[w] as string);
    const at = occurredAt(i);
    const day = columns.day[i] as number;
    if (day !== lastDay) {
      date = dateOfDay(day);
      lastDay = day;
    }
    const localDate = dateTexts.size > 0 ? (dateTexts.get(i) ?? date) : date;
    switch (columns.kind[i]) {
      case VISIT: {
        const record: ResolvedVisit = {
          kind: 'visit',
          id,
          womanId,
          siteId: strings[columns.site[i] as number] as string,
          occurredAt: at,
          date: localDate,
          services: lists[columns.services[i] as number] as string[],
        };
        records[i] = record;
        break;
      }
      case OUTREACH: {
        const record: ResolvedOutreach = {
          kind: 'outreach',
          id,
          womanId,
          occurredAt: at,
          date: localDate,
          area: strings[columns.area[i] as number] as string,
          place: strings[columns.place[i] as number] as string,
          needs: lists[columns.needs[i] as number] as string[],
          support: lists[columns.support[i] as number] as string[],
          referrals: lists[columns.referrals[i] as number] as string[],
        };
        records[i] = record;
        break;
      }
      default: {
        const o = columns.outcome[i] as number;
        const record: ResolvedCasework = {
          kind: 'casework',
          id,
          womanId: womanId as string,
          occurredAt: at,
          date: localDate,
          topics: lists[columns.topics[i] as number] as string[],
          referrals: lists[columns.referrals[i] as number] as string[],
          outcome: o === NONE ? null : (strings[o] as string),
        };
        records[i] = record;
        break;
      }
    }
  }
  return records;
}

function instantWriter(into: Instants): (instant: string) => void {
  let last = 0;
  const dateOf = isoDates();
  return (instant) => {
    const ms = instantMillis(instant);
    const exact = Number.isFinite(ms) && writtenAsISO(instant, ms, dateOf);
    if (!exact) into.text.push([into.delta.length, instant]);
    const value = exact ? ms : last; // a delta of 0 where the text stands instead
    into.delta.push(value - last);
    last = value;
  };
}

/**
 * "YYYY-MM-DD" of each day (days since 1970-01-01) as `toISOString` writes it, made once a day;
 * null for a day whose year it writes otherwise (past 9999).
 */
function isoDates(): (day: number) => string | null {
  const dates = new Map<number, string | null>();
  return (day) => {
    let date = dates.get(day);
    if (date === undefined) {
      const text = new Date(day * DAY_MS).toISOString();
      dates.set(day, (date = text.length === 24 ? text.slice(0, 10) : null));
    }
    return date;
  };
}

/**
 * Whether `new Date(ms).toISOString()` is exactly `instant`, found without building it: a year's
 * history has hundreds of thousands.
 */
function writtenAsISO(instant: string, ms: number, dateOf: (day: number) => string | null): boolean {
  if (instant.length !== 24 || instant[10] !== 'T' || instant[13] !== ':' || instant[16] !== ':' || instant[19] !== '.' || instant[23] !== 'Z') return false;
  const day = Math.floor(ms / DAY_MS);
  const date = dateOf(day);
  if (date === null || !instant.startsWith(date)) return false;
  const h = digitsAt(instant, 11, 2);
  const m = digitsAt(instant, 14, 2);
  const sec = digitsAt(instant, 17, 2);
  const milli = digitsAt(instant, 20, 3);
  return h < 24 && m < 60 && sec < 60 && ((h * 60 + m) * 60 + sec) * 1000 + milli === ms - day * DAY_MS;
}

/** Throws unless every instant instantReader would write is one: a number of a Date's range, or text. */
function checkInstants(from: Instants): void {
  const texts = new Set(from.text.map(([position, text]) => (typeof text === 'string' ? position : -1)));
  let ms = 0;
  for (let i = 0; i < from.delta.length; i++) {
    const delta = from.delta[i];
    if (typeof delta !== 'number') throw new Error('a resolved history has an instant that is not one');
    ms += delta;
    if (!(Math.abs(ms) <= MAX_DATE_MS) && !texts.has(i)) throw new Error('a resolved history has an instant that is not one');
  }
}

/** The furthest a Date reaches either side of 1970. */
const MAX_DATE_MS = 8.64e15;

function instantReader(from: Instants): (position: number) => string {
  const texts = new Map(from.text);
  const iso = isoWriter();
  let ms = 0;
  return (position) => {
    ms += from.delta[position] as number;
    const text = texts.size > 0 ? texts.get(position) : undefined;
    return text ?? iso(ms);
  };
}

/**
 * `new Date(ms).toISOString()`, written character by character into one string, from the day's
 * "YYYY-MM-DD" (isoDates) and the time of day: toISOString itself, a microsecond each, was most
 * of what decoding a year's history cost.
 */
function isoWriter(): (ms: number) => string {
  const dateOf = isoDates();
  const digit = (n: number) => 48 + n;
  return (ms) => {
    const day = Math.floor(ms / DAY_MS);
    const date = dateOf(day);
    if (date === null || !Number.isInteger(ms)) return new Date(ms).toISOString();
    const inDay = ms - day * DAY_MS;
    const seconds = Math.floor(inDay / 1000);
    const minutes = Math.floor(seconds / 60);
    const h = Math.floor(minutes / 60);
    const m = minutes - h * 60;
    const s = seconds - minutes * 60;
    const milli = inDay - seconds * 1000;
    const at = (i: number) => date.charCodeAt(i);
    return String.fromCharCode(
      at(0), at(1), at(2), at(3), 45, at(5), at(6), 45, at(8), at(9), 84,
      digit(Math.floor(h / 10)), digit(h % 10), 58,
      digit(Math.floor(m / 10)), digit(m % 10), 58,
      digit(Math.floor(s / 10)), digit(s % 10), 46,
      digit(Math.floor(milli / 100)), digit(Math.floor(milli / 10) % 10), digit(milli % 10), 90,
    );
  };
}


/** A profile's own copy of a set of details (several women may have had the same). */
function copyDetails(details: WomanDetails): WomanDetails {
  const copy: WomanDetails = { ...details };
  if (details.exploitation) copy.exploitation = details.exploitation.slice();
  return copy;
}
