/**
 * Reporting periods (docs/counting.md#periods): financial year, calendar year, quarter, month and custom range.
 * Each becomes inclusive local-date bounds and the label a funder would expect to read.
 */
import { z } from 'zod';
import { daysInMonth, formatLocalDate, parseLocalDate, type LocalDate } from './time.ts';

const Year = z.number().int('a year is a whole number').min(1900, 'a year from 1900').max(2999, 'a year before 3000');
const Month = z.number().int('a month is 1 to 12').min(1, 'a month is 1 to 12').max(12, 'a month is 1 to 12');

const LocalDateField = z.string().refine((s) => {
  try {
    parseLocalDate(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a real date YYYY-MM-DD');

export const Period = z.discriminatedUnion('kind', [
  /** The financial year that starts in `startYear`, in the organisation's start month. */
  z.object({ kind: z.literal('financialYear'), startYear: Year }).strict(),
  z.object({ kind: z.literal('calendarYear'), year: Year }).strict(),
  /** Calendar quarters: Q1 is January to March. */
  z.object({ kind: z.literal('quarter'), year: Year, quarter: z.number().int().min(1, 'a quarter is 1 to 4').max(4, 'a quarter is 1 to 4') }).strict(),
  z.object({ kind: z.literal('month'), year: Year, month: Month }).strict(),
  /** Both ends inclusive. */
  z
    .object({ kind: z.literal('custom'), from: LocalDateField, to: LocalDateField })
    .strict()
    .refine((p) => p.from <= p.to, { message: 'the start date must not be after the end date', path: ['to'] }),
]);
export type Period = z.infer<typeof Period>;

/** Inclusive local-date bounds. */
export interface DateRange {
  from: LocalDate;
  to: LocalDate;
}
export interface PeriodRange extends DateRange {
  label: string;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

// Fixed names, not Intl: en-GB has changed "Sep" to "Sept" between ICU versions, and a report's
// label must not depend on the browser that printed it.
function monthName(month: number): string {
  return MONTHS[month - 1] ?? String(month);
}

/** "1 Apr 2025". */
function shortDate(date: LocalDate): string {
  const [y, m, d] = parseLocalDate(date);
  return `${d} ${monthName(m).slice(0, 3)} ${y}`;
}

function lastDay(year: number, month: number): LocalDate {
  return formatLocalDate(year, month, daysInMonth(year, month));
}

/** "2025/26", or "2025" when the financial year is the calendar year. */
function financialYearLabel(startYear: number, startMonth: number): string {
  if (startMonth === 1) return String(startYear);
  return `${startYear}/${String((startYear + 1) % 100).padStart(2, '0')}`;
}

/** The inclusive bounds and label of a period. Throws a ZodError naming the problem if it is invalid. */
export function periodRange(period: Period, financialYearStartMonth: number): PeriodRange {
  const p = Period.parse(period);
  switch (p.kind) {
    case 'financialYear': {
      const start = Month.parse(financialYearStartMonth);
      // The year ends on the last day of the month before the start month, twelve months on.
      const endYear = start === 1 ? p.startYear : p.startYear + 1;
      const endMonth = start === 1 ? 12 : start - 1;
      return {
        from: formatLocalDate(p.startYear, start, 1),
        to: lastDay(endYear, endMonth),
        label: financialYearLabel(p.startYear, start),
      };
    }
    case 'calendarYear':
      return { from: formatLocalDate(p.year, 1, 1), to: formatLocalDate(p.year, 12, 31), label: String(p.year) };
    case 'quarter': {
      const firstMonth = (p.quarter - 1) * 3 + 1;
      return {
        from: formatLocalDate(p.year, firstMonth, 1),
        to: lastDay(p.year, firstMonth + 2),
        label: `Q${p.quarter} ${p.year}`,
      };
    }
    case 'month':
      return {
        from: formatLocalDate(p.year, p.month, 1),
        to: lastDay(p.year, p.month),
        label: `${monthName(p.month)} ${p.year}`,
      };
    case 'custom':
      return { from: p.from, to: p.to, label: `${shortDate(p.from)} – ${shortDate(p.to)}` };
  }
}

/** The same date a year earlier; 29 February becomes 28 February. */
function yearEarlier(date: LocalDate): LocalDate {
  const [y, m, d] = parseLocalDate(date);
  return formatLocalDate(y - 1, m, Math.min(d, daysInMonth(y - 1, m)));
}

/** The same period one year earlier, for "the same period last year" beside a report. */
export function previousPeriod(period: Period): Period {
  const p = Period.parse(period);
  switch (p.kind) {
    case 'financialYear':
      return Period.parse({ ...p, startYear: p.startYear - 1 });
    case 'calendarYear':
    case 'quarter':
    case 'month':
      return Period.parse({ ...p, year: p.year - 1 });
    case 'custom':
      return Period.parse({ ...p, from: yearEarlier(p.from), to: yearEarlier(p.to) });
  }
}

/** The start year of the financial year containing a local date. */
export function financialYearOf(date: LocalDate, financialYearStartMonth: number): number {
  const [y, m] = parseLocalDate(date);
  return m >= financialYearStartMonth ? y : y - 1;
}

/** Every month, YYYY-MM, that a range touches, in order. */
export function monthsOf(range: DateRange): string[] {
  let [y, m] = parseLocalDate(range.from);
  const [toY, toM] = parseLocalDate(range.to);
  const months: string[] = [];
  while (y < toY || (y === toY && m <= toM)) {
    months.push(formatLocalDate(y, m, 1).slice(0, 7));
    if (++m > 12) [y, m] = [y + 1, 1];
  }
  return months;
}
