import { describe, it, expect } from 'vitest';
import { financialYearOf, monthsOf, periodRange, previousPeriod, Period } from '../../src/domain/periods.ts';
import { formatLocalDate } from '../../src/domain/time.ts';

describe('periodRange', () => {
  it.each([
    // [start month, start year, from, to, label]
    [4, 2025, '2025-04-01', '2026-03-31', '2025/26'],
    [4, 2024, '2024-04-01', '2025-03-31', '2024/25'],
    [4, 1999, '1999-04-01', '2000-03-31', '1999/00'],
    [1, 2025, '2025-01-01', '2025-12-31', '2025'],
    [10, 2025, '2025-10-01', '2026-09-30', '2025/26'],
    [12, 2025, '2025-12-01', '2026-11-30', '2025/26'],
    [3, 2023, '2023-03-01', '2024-02-29', '2023/24'], // ends on a leap day
    [3, 2024, '2024-03-01', '2025-02-28', '2024/25'],
  ])('financial year starting in month %i of %i is %s to %s, "%s"', (startMonth, startYear, from, to, label) => {
    expect(periodRange({ kind: 'financialYear', startYear }, startMonth)).toEqual({ from, to, label });
  });

  it.each([
    [{ kind: 'calendarYear', year: 2024 }, '2024-01-01', '2024-12-31', '2024'],
    [{ kind: 'quarter', year: 2025, quarter: 1 }, '2025-01-01', '2025-03-31', 'Q1 2025'],
    [{ kind: 'quarter', year: 2025, quarter: 2 }, '2025-04-01', '2025-06-30', 'Q2 2025'],
    [{ kind: 'quarter', year: 2025, quarter: 3 }, '2025-07-01', '2025-09-30', 'Q3 2025'],
    [{ kind: 'quarter', year: 2025, quarter: 4 }, '2025-10-01', '2025-12-31', 'Q4 2025'],
    [{ kind: 'month', year: 2025, month: 4 }, '2025-04-01', '2025-04-30', 'April 2025'],
    [{ kind: 'month', year: 2025, month: 9 }, '2025-09-01', '2025-09-30', 'September 2025'],
    [{ kind: 'month', year: 2025, month: 12 }, '2025-12-01', '2025-12-31', 'December 2025'],
    [{ kind: 'month', year: 2024, month: 2 }, '2024-02-01', '2024-02-29', 'February 2024'],
    [{ kind: 'month', year: 2025, month: 2 }, '2025-02-01', '2025-02-28', 'February 2025'],
    [{ kind: 'month', year: 2000, month: 2 }, '2000-02-01', '2000-02-29', 'February 2000'],
    [{ kind: 'month', year: 2100, month: 2 }, '2100-02-01', '2100-02-28', 'February 2100'],
    [{ kind: 'custom', from: '2025-04-01', to: '2025-06-30' }, '2025-04-01', '2025-06-30', '1 Apr 2025 – 30 Jun 2025'],
    [{ kind: 'custom', from: '2025-09-07', to: '2025-09-07' }, '2025-09-07', '2025-09-07', '7 Sep 2025 – 7 Sep 2025'],
    [{ kind: 'custom', from: '2024-02-29', to: '2025-01-05' }, '2024-02-29', '2025-01-05', '29 Feb 2024 – 5 Jan 2025'],
  ] as [Period, string, string, string][])('%o is %s to %s, "%s"', (period, from, to, label) => {
    expect(periodRange(period, 4)).toEqual({ from, to, label });
  });

  it('ignores the financial year start month for every other kind of period', () => {
    for (const startMonth of [1, 4, 10]) {
      expect(periodRange({ kind: 'calendarYear', year: 2025 }, startMonth).to).toBe('2025-12-31');
      expect(periodRange({ kind: 'quarter', year: 2025, quarter: 1 }, startMonth).from).toBe('2025-01-01');
    }
  });

  it.each([
    ['a custom range that ends before it starts', { kind: 'custom', from: '2025-06-30', to: '2025-04-01' }, /start date must not be after the end date/],
    ['a date that does not exist', { kind: 'custom', from: '2025-02-29', to: '2025-03-01' }, /real date/],
    ['a date in the wrong format', { kind: 'custom', from: '2025-4-1', to: '2025-06-30' }, /real date/],
    ['quarter 5', { kind: 'quarter', year: 2025, quarter: 5 }, /a quarter is 1 to 4/],
    ['month 0', { kind: 'month', year: 2025, month: 0 }, /a month is 1 to 12/],
    ['month 13', { kind: 'month', year: 2025, month: 13 }, /a month is 1 to 12/],
    ['a fractional year', { kind: 'calendarYear', year: 2025.5 }, /a year is a whole number/],
    ['a year before 1900', { kind: 'calendarYear', year: 1899 }, /from 1900/],
    ['an unknown kind', { kind: 'week', year: 2025 }, /kind/],
    ['an extra field', { kind: 'calendarYear', year: 2025, month: 3 }, /month/],
  ])('refuses %s with a clear error', (_name, period, message) => {
    expect(() => periodRange(period as Period, 4)).toThrow(message);
    expect(Period.safeParse(period).success).toBe(false);
  });

  it.each([0, 13, 4.5])('refuses financial year start month %s', (startMonth) => {
    expect(() => periodRange({ kind: 'financialYear', startYear: 2025 }, startMonth)).toThrow(/a month is 1 to 12/);
  });
});

describe('previousPeriod', () => {
  it.each([
    [{ kind: 'financialYear', startYear: 2025 }, { kind: 'financialYear', startYear: 2024 }],
    [{ kind: 'calendarYear', year: 2025 }, { kind: 'calendarYear', year: 2024 }],
    [{ kind: 'quarter', year: 2025, quarter: 3 }, { kind: 'quarter', year: 2024, quarter: 3 }],
    [{ kind: 'month', year: 2025, month: 1 }, { kind: 'month', year: 2024, month: 1 }],
    [
      { kind: 'custom', from: '2025-04-01', to: '2025-06-30' },
      { kind: 'custom', from: '2024-04-01', to: '2024-06-30' },
    ],
    [
      { kind: 'custom', from: '2024-02-29', to: '2024-02-29' },
      { kind: 'custom', from: '2023-02-28', to: '2023-02-28' },
    ],
  ] as [Period, Period][])('the period before %o is %o', (period, previous) => {
    expect(previousPeriod(period)).toEqual(previous);
  });

  it('gives "the same period last year" for a financial year with any start month', () => {
    for (const startMonth of [1, 4, 10]) {
      const last = periodRange(previousPeriod({ kind: 'financialYear', startYear: 2025 }), startMonth);
      expect(last).toEqual(periodRange({ kind: 'financialYear', startYear: 2024 }, startMonth));
    }
  });

  it('refuses to go before 1900', () => {
    expect(() => previousPeriod({ kind: 'calendarYear', year: 1900 })).toThrow(/from 1900/);
  });
});

describe('financialYearOf', () => {
  it.each([
    ['2025-04-01', 4, 2025],
    ['2025-03-31', 4, 2024],
    ['2026-03-31', 4, 2025],
    ['2025-01-01', 1, 2025],
    ['2025-12-31', 1, 2025],
    ['2025-09-30', 10, 2024],
    ['2025-10-01', 10, 2025],
    ['2024-02-29', 3, 2023],
  ])('%s with start month %i is in the year starting %i', (date, startMonth, startYear) => {
    expect(financialYearOf(date, startMonth)).toBe(startYear);
  });

  it('names the financial year whose range contains the date, for every day and start month', () => {
    for (let startMonth = 1; startMonth <= 12; startMonth++) {
      for (let day = new Date(Date.UTC(2023, 11, 25)); day < new Date(Date.UTC(2025, 0, 8)); day.setUTCDate(day.getUTCDate() + 1)) {
        const date = formatLocalDate(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate());
        const range = periodRange({ kind: 'financialYear', startYear: financialYearOf(date, startMonth) }, startMonth);
        expect(range.from <= date && date <= range.to, `${date} in FY starting month ${startMonth}`).toBe(true);
      }
    }
  });

  it('refuses a date that does not exist', () => {
    expect(() => financialYearOf('2025-02-29', 4)).toThrow(/no such date/);
  });
});

describe('monthsOf', () => {
  it.each([
    [{ from: '2025-04-01', to: '2025-04-30' }, ['2025-04']],
    [{ from: '2025-04-15', to: '2025-04-15' }, ['2025-04']],
    [{ from: '2025-11-30', to: '2026-02-01' }, ['2025-11', '2025-12', '2026-01', '2026-02']],
  ])('%o touches %o', (range, months) => {
    expect(monthsOf(range)).toEqual(months);
  });

  it('lists the twelve months of a financial year in order', () => {
    expect(monthsOf(periodRange({ kind: 'financialYear', startYear: 2025 }, 4))).toEqual([
      '2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09',
      '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03',
    ]);
  });
});
