/**
 * Local dates in the organisation's time zone. Every count is by local date (docs/counting.md#dates-and-time-zone):
 * 00:30 BST on 1 April belongs to 1 April, and a daylight-saving change never moves a record.
 */
import { TZDate } from '@date-fns/tz';

/** A calendar date, YYYY-MM-DD. Compared as strings: the format sorts chronologically. */
export type LocalDate = string;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

// Every zone offset in use is a multiple of 15 minutes, so all instants in one quarter-hour share
// a local date. Caching per quarter-hour keeps a report over 500,000 events fast.
const QUARTER_HOUR = 15 * 60 * 1000;
const dateCache = new Map<string, LocalDate>();

/** The local date of an instant in a time zone. */
export function localDateOf(instant: string | number | Date, timeZone: string): LocalDate {
  const ms = typeof instant === 'number' ? instant : new Date(instant).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not a valid instant: ${String(instant)}`);
  const cacheKey = `${timeZone}|${Math.floor(ms / QUARTER_HOUR)}`;
  let date = dateCache.get(cacheKey);
  if (date === undefined) {
    date = formatterFor(timeZone).format(ms);
    if (dateCache.size > 200_000) dateCache.clear();
    dateCache.set(cacheKey, date);
  }
  return date;
}

/**
 * localDateOf for many instants in one time zone, as a report needs. Its cache is private and
 * keyed by number, which is several times faster than hashing a fresh string key per instant.
 */
export function localDateReader(timeZone: string): (instant: string) => LocalDate {
  const format = formatterFor(timeZone);
  const cache = new Map<number, LocalDate>();
  return (instant) => {
    const ms = instantMillis(instant);
    if (Number.isNaN(ms)) throw new RangeError(`not a valid instant: ${instant}`);
    const quarterHour = Math.floor(ms / QUARTER_HOUR);
    let date = cache.get(quarterHour);
    if (date === undefined) {
      date = format.format(ms);
      cache.set(quarterHour, date);
    }
    return date;
  };
}

/**
 * `new Date(instant).getTime()`, read straight from the digits when the instant is written as
 * `toISOString` writes it (as every device writes them): parsing the text is most of what dating
 * a record costs, and a report dates hundreds of thousands. Anything else goes to the Date parser.
 */
export function instantMillis(instant: string): number {
  if (instant.length === 24 && instant.charCodeAt(23) === 90 /* Z */ && instant[4] === '-' && instant[7] === '-' && instant[10] === 'T' && instant[13] === ':' && instant[16] === ':' && instant[19] === '.') {
    const month = digitsAt(instant, 5, 2);
    const day = digitsAt(instant, 8, 2);
    const hour = digitsAt(instant, 11, 2);
    const minute = digitsAt(instant, 14, 2);
    const second = digitsAt(instant, 17, 2);
    // Within these the parser agrees with Date.UTC (it too carries 30 February into March).
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second < 60) {
      const year = digitsAt(instant, 0, 4);
      const milli = digitsAt(instant, 20, 3);
      // Date.UTC reads years 0 to 99 as 1900 to 1999: those go to the parser.
      if (year >= 1000 && milli >= 0) return Date.UTC(year, month - 1, day, hour, minute, second, milli);
    }
  }
  return new Date(instant).getTime();
}

/** The number written with `length` decimal digits from `from`; NaN if any is not a digit. */
export function digitsAt(text: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Local wall-clock time HH:MM of an instant in a time zone. */
export function localTimeOf(instant: string | number | Date, timeZone: string): string {
  const d = new TZDate(new Date(instant).getTime(), timeZone);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The instant of a local date and time in a time zone. Where the clocks go forward the missing
 * hour maps forward; where they go back the later (GMT) of the two moments is taken.
 */
export function instantOf(date: LocalDate, time: string, timeZone: string): string {
  const [y, m, d] = parseLocalDate(date);
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) throw new RangeError(`not a time HH:MM: ${time}`);
  const t = new TZDate(y, m - 1, d, Number(match[1]), Number(match[2]), 0, timeZone);
  return new Date(t.getTime()).toISOString();
}

export function parseLocalDate(date: string): [number, number, number] {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`no such date: ${date}`);
  }
  return [y, m, d];
}

export function formatLocalDate(y: number, m: number, d: number): LocalDate {
  return `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;
}

/** The last day of a month (1-12). */
export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The local dates from `days - 1` days before `date` up to `date`, oldest first. */
export function datesUpTo(date: LocalDate, days: number): LocalDate[] {
  const [y, m, d] = parseLocalDate(date);
  return Array.from({ length: days }, (_, i) => {
    const at = new Date(Date.UTC(y, m - 1, d - (days - 1 - i)));
    return formatLocalDate(at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate());
  });
}
