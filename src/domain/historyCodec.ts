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
import type { History } from './report.ts';
import { digitsAt, formatLocalDate, instantMillis } from './time.ts';
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

const VISIT = 0;
const OUTREACH = 1;
const CASEWORK = 2;
const DAY_MS = 86_400_000;

export function encodeHistory(history: History): EncodedHistory {
  const strings = new Interner<string>((s) => s);
  const lists = new ListInterner();
  const details = new Interner<WomanDetails>((d) => JSON.stringify(d));

  const records: EncodedHistory['records'] = {
    kind: [],
    id: [],
    woman: [],
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
  const days = dayReader();
  let lastDay = 0;
  history.records.forEach((r, i) => {
    records.id.push(r.id);
    records.woman.push(r.womanId === null ? -1 : strings.index(r.womanId));
    instants(r.occurredAt);
    const day = days(r.date);
    if (Number.isNaN(day)) records.dateText.push([i, r.date]);
    const value = Number.isNaN(day) ? lastDay : day; // a delta of 0 where the text stands instead
    records.day.push(value - lastDay);
    lastDay = value;
    switch (r.kind) {
      case 'visit':
        records.kind.push(VISIT);
        records.site.push(strings.index(r.siteId));
        records.services.push(lists.index(r.services));
        break;
      case 'outreach':
        records.kind.push(OUTREACH);
        records.area.push(strings.index(r.area));
        records.place.push(strings.index(r.place));
        records.needs.push(lists.index(r.needs));
        records.support.push(lists.index(r.support));
        records.referrals.push(lists.index(r.referrals));
        break;
      case 'casework':
        records.kind.push(CASEWORK);
        records.topics.push(lists.index(r.topics));
        records.referrals.push(lists.index(r.referrals));
        records.outcome.push(r.outcome === null ? -1 : strings.index(r.outcome));
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
    strings: strings.values,
    lists: lists.values.map((l) => l.map((s) => strings.index(s))),
    records,
    women,
    details: details.values,
  };
}

/**
 * The history `encodeHistory` was given, with `config` as its configuration. Throws when the
 * encoded form is not of this version, was dated in another time zone, or does not hold together.
 */
export function decodeHistory(encoded: EncodedHistory, config: OrgConfig): History {
  const e = encoded as Partial<EncodedHistory> | null;
  if (e?.v !== HISTORY_CODEC_VERSION || !e.records || !e.women || !Array.isArray(e.strings) || !Array.isArray(e.lists) || !Array.isArray(e.details)) {
    throw new Error('not a resolved history of this version');
  }
  if (e.timeZone !== config.timeZone) throw new Error(`the history was dated in ${String(e.timeZone)}, not ${config.timeZone}`);
  const { strings } = e;
  const string = (i: number): string => {
    const s = strings[i];
    if (typeof s !== 'string') throw new Error('a resolved history refers to a string it does not hold');
    return s;
  };
  // Records with the same list share one array, frozen: most of a year's records have one of a
  // few dozen lists, and an array each would be most of what decoding allocates. Nothing that
  // reads a history changes its records; anything that tried would throw rather than change
  // other records too.
  const lists = e.lists.map((l) => Object.freeze(l.map(string)) as string[]);
  const list = (i: number | undefined): string[] => {
    const l = lists[i as number];
    if (!l) throw new Error('a resolved history refers to a list it does not hold');
    return l;
  };

  const c = e.records;
  const n = c.kind.length;
  if (c.id.length !== n || c.woman.length !== n || c.day.length !== n || c.occurredAt.delta.length !== n) {
    throw new Error('a resolved history has columns of different lengths');
  }
  const occurredAt = instantReader(c.occurredAt);
  const dateTexts = new Map(c.dateText);
  const records: ResolvedRecord[] = new Array(n);
  let day = 0;
  let lastDay = NaN;
  let date = '';
  let site = 0;
  let outreach = 0;
  let referral = 0;
  let casework = 0;
  for (let i = 0; i < n; i++) {
    const id = c.id[i] as string;
    const w = c.woman[i] as number;
    const womanId = w === -1 ? null : string(w);
    const at = occurredAt(i);
    day += c.day[i] as number;
    if (day !== lastDay) {
      date = dayText(day);
      lastDay = day;
    }
    const localDate = dateTexts.size > 0 ? (dateTexts.get(i) ?? date) : date;
    switch (c.kind[i]) {
      case VISIT: {
        const record: ResolvedVisit = {
          kind: 'visit',
          id,
          womanId,
          siteId: string(c.site[site] as number),
          occurredAt: at,
          date: localDate,
          services: list(c.services[site]),
        };
        site++;
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
          area: string(c.area[outreach] as number),
          place: string(c.place[outreach] as number),
          needs: list(c.needs[outreach]),
          support: list(c.support[outreach]),
          referrals: list(c.referrals[referral]),
        };
        outreach++;
        referral++;
        records[i] = record;
        break;
      }
      case CASEWORK: {
        if (womanId === null) throw new Error('a resolved history has a casework session with no woman');
        const o = c.outcome[casework];
        const record: ResolvedCasework = {
          kind: 'casework',
          id,
          womanId,
          occurredAt: at,
          date: localDate,
          topics: list(c.topics[casework]),
          referrals: list(c.referrals[referral]),
          outcome: o === -1 ? null : string(o as number),
        };
        casework++;
        referral++;
        records[i] = record;
        break;
      }
      default:
        throw new Error('a resolved history has a record of an unknown kind');
    }
  }
  if (site !== c.site.length || outreach !== c.area.length || casework !== c.topics.length || referral !== c.referrals.length) {
    throw new Error('a resolved history has columns that do not match its records');
  }

  const ww = e.women;
  const registeredAt = instantReader(ww.registeredAt);
  const women = new Map<string, WomanProfile>();
  for (let i = 0; i < ww.key.length; i++) {
    const details = e.details[ww.details[i] as number];
    if (!details) throw new Error('a resolved history refers to details it does not hold');
    women.set(string(ww.key[i] as number), {
      id: string(ww.id[i] as number),
      knownAs: ww.knownAs[i] as string,
      details: copyDetails(details),
      registeredAt: registeredAt(i),
    });
  }
  return { records, women, config };
}

/** Each distinct value once, in the order first seen, by a key that tells values apart. */
class Interner<T> {
  readonly values: T[] = [];
  private readonly indexes = new Map<string, number>();
  constructor(private readonly keyOf: (value: T) => string) {}

  index(value: T): number {
    const key = this.keyOf(value);
    let i = this.indexes.get(key);
    if (i === undefined) {
      i = this.values.push(value) - 1;
      this.indexes.set(key, i);
    }
    return i;
  }
}

/** Each distinct list once, found element by element: no key is built for each of a year's lists. */
class ListInterner {
  readonly values: (readonly string[])[] = [];
  private readonly root: ListNode = { index: -1, next: new Map() };

  index(list: readonly string[]): number {
    let node = this.root;
    for (const item of list) {
      let next = node.next.get(item);
      if (next === undefined) node.next.set(item, (next = { index: -1, next: new Map() }));
      node = next;
    }
    if (node.index === -1) node.index = this.values.push(list) - 1;
    return node.index;
  }
}

interface ListNode {
  index: number;
  next: Map<string, ListNode>;
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

/**
 * Days since 1970-01-01 of a date as dayText writes it; NaN for anything else (kept as text).
 * Cached by date: a year's records share a few hundred.
 */
function dayReader(): (date: string) => number {
  const cache = new Map<string, number>();
  return (date) => {
    let day = cache.get(date);
    if (day === undefined) {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
      day = match ? Math.round(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS) : NaN;
      if (!Number.isFinite(day) || dayText(day) !== date) day = NaN;
      cache.set(date, day);
    }
    return day;
  };
}

function dayText(day: number): string {
  const d = new Date(day * DAY_MS);
  return formatLocalDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** A profile's own copy of a set of details (several women may have had the same). */
function copyDetails(details: WomanDetails): WomanDetails {
  const copy: WomanDetails = { ...details };
  if (details.exploitation) copy.exploitation = details.exploitation.slice();
  return copy;
}
