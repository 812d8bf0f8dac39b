/**
 * Resolved records held column by column, as numbers: what counting reads (counting.ts). A year's
 * report counts hundreds of thousands of records twice over (the period and the same period last
 * year); read as objects, each record cost a lookup of its woman's id in a map and a walk through
 * her visits, and that was most of opening a report from the kept resolution
 * (docs/architecture.md#reports). As columns, a woman is an index into arrays and a date a day number.
 *
 * Every string a record names (a woman's id, a site, an area, a kind of place, an outcome) is an
 * index into `strings`, each string once; every list (services, needs, support, topics,
 * referrals) an index into `lists`. A column a kind of record does not have holds -1.
 */
import type { ResolvedRecord } from './counting.ts';
import { parseLocalDate, type LocalDate, formatLocalDate } from './time.ts';

export const VISIT = 0;
export const OUTREACH = 1;
export const CASEWORK = 2;

/** No string, list or woman. */
export const NONE = -1;

export interface RecordColumns {
  readonly size: number;
  /** VISIT, OUTREACH or CASEWORK. */
  readonly kind: Uint8Array;
  /** The record's own id (the event that made it). */
  readonly id: readonly string[];
  /** The woman's canonical id, into `strings`; NONE for no known woman. */
  readonly woman: Int32Array;
  /** The local date, as days since 1970-01-01 (dayNumber). */
  readonly day: Int32Array;
  /** Into `strings`. */
  readonly site: Int32Array;
  readonly area: Int32Array;
  readonly place: Int32Array;
  readonly outcome: Int32Array;
  /** Into `lists`. */
  readonly services: Int32Array;
  readonly needs: Int32Array;
  readonly support: Int32Array;
  readonly topics: Int32Array;
  readonly referrals: Int32Array;
  /** Each distinct, once: counting tells women and terms apart by index. */
  readonly strings: readonly string[];
  readonly lists: readonly (readonly string[])[];
}

/** Columns of `size` records, every entry NONE, to be filled in. */
export function emptyColumns(size: number, strings: readonly string[], lists: readonly (readonly string[])[]): RecordColumns & { id: string[] } {
  const column = () => new Int32Array(size).fill(NONE);
  return {
    size,
    kind: new Uint8Array(size),
    id: new Array<string>(size),
    woman: column(),
    day: new Int32Array(size),
    site: column(),
    area: column(),
    place: column(),
    outcome: column(),
    services: column(),
    needs: column(),
    support: column(),
    topics: column(),
    referrals: column(),
    strings,
    lists,
  };
}

/**
 * The records as columns, after those of `base` when given (a history with records folded on):
 * base's strings and lists keep their indexes.
 */
export function columnsOf(records: readonly ResolvedRecord[], base?: RecordColumns): RecordColumns {
  const strings = new Interner<string>((s) => s, base?.strings);
  const string = (s: string) => strings.index(s);
  // Resolved records share one array for each distinct list (counting.ts sortedSets): found by
  // identity first, and by content only for an array not seen before.
  const lists = new Interner<readonly string[]>((l) => JSON.stringify(l), base?.lists);
  const byArray = new Map<readonly string[], number>();
  const list = (l: readonly string[]): number => {
    let i = byArray.get(l);
    if (i === undefined) byArray.set(l, (i = lists.index(l)));
    return i;
  };
  const days = new Map<LocalDate, number>();
  const dayOf = (date: LocalDate): number => {
    let d = days.get(date);
    if (d === undefined) days.set(date, (d = recordDay(date)));
    return d;
  };

  const offset = base?.size ?? 0;
  const c = emptyColumns(offset + records.length, strings.values, lists.values);
  if (base) {
    for (const key of ['kind', 'woman', 'day', 'site', 'area', 'place', 'outcome', 'services', 'needs', 'support', 'topics', 'referrals'] as const) {
      c[key].set(base[key]);
    }
    for (let i = 0; i < offset; i++) c.id[i] = base.id[i] as string;
  }
  records.forEach((r, at) => {
    const i = offset + at;
    c.id[i] = r.id;
    c.woman[i] = r.womanId === null ? NONE : string(r.womanId);
    c.day[i] = dayOf(r.date);
    switch (r.kind) {
      case 'visit':
        c.kind[i] = VISIT;
        c.site[i] = string(r.siteId);
        c.services[i] = list(r.services);
        break;
      case 'outreach':
        c.kind[i] = OUTREACH;
        c.area[i] = string(r.area);
        c.place[i] = string(r.place);
        c.needs[i] = list(r.needs);
        c.support[i] = list(r.support);
        c.referrals[i] = list(r.referrals);
        break;
      case 'casework':
        c.kind[i] = CASEWORK;
        c.topics[i] = list(r.topics);
        c.referrals[i] = list(r.referrals);
        c.outcome[i] = r.outcome === null ? NONE : string(r.outcome);
        break;
    }
  });
  return c;
}

/** Each distinct value once, in the order first seen, by a key that tells values apart. */
export class Interner<T> {
  readonly values: T[];
  private readonly indexes: Map<string, number>;
  /** `values`: those numbered already, each once, keeping their numbers. */
  constructor(
    private readonly keyOf: (value: T) => string,
    values: readonly T[] = [],
  ) {
    this.values = values.slice();
    this.indexes = new Map(values.map((v, i) => [keyOf(v), i]));
  }

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

/** Days since 1970-01-01 of a local date (as parseLocalDate reads it): in the same order as the dates. */
export function dayNumber(date: LocalDate): number {
  const [y, m, d] = parseLocalDate(date);
  return daysFromCivil(y, m, d);
}

/**
 * The day of a record that has no date YYYY-MM-DD (an instant before the year 1000, which Intl
 * writes with fewer digits): before every day, so that no range counts it.
 */
export const UNDATED = -0x80000000;

/** The first and last day a date YYYY-MM-DD can be (parseLocalDate reads no year before 0100). */
export const FIRST_DAY = dayNumber('0100-01-01');
export const LAST_DAY = dayNumber('9999-12-31');

/** dayNumber of a record's date, or UNDATED. */
export function recordDay(date: LocalDate): number {
  try {
    return dayNumber(date);
  } catch {
    return UNDATED;
  }
}

/** The local date of a day number. */
export function dateOfDay(day: number): LocalDate {
  const [y, m, d] = civilFromDays(day);
  return formatLocalDate(y, m, d);
}

/** The month of a day number as year * 12 + month - 1: consecutive months are consecutive numbers. */
export function monthNumber(day: number): number {
  const [y, m] = civilFromDays(day);
  return y * 12 + m - 1;
}

// The proleptic Gregorian calendar's day arithmetic (H. Hinnant, "chrono-compatible low-level date
// algorithms"): exact for every year, with no Date, whose UTC reads years 0 to 99 as 1900 to 1999.
function daysFromCivil(year: number, m: number, d: number): number {
  const y = m <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(day: number): [number, number, number] {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}
