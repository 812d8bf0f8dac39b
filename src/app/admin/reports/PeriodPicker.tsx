/**
 * Choosing the period of a report: financial year (the default, the current one), calendar year,
 * quarter, month or a custom range. What is chosen is checked with the domain's Period schema;
 * an impossible custom range is explained and the last good period stays on screen.
 */
import { useId, useState } from 'react';
import { financialYearOf, Period, periodRange } from '../../../domain/periods.ts';
import { formatLocalDate, parseLocalDate } from '../../../domain/time.ts';

type Kind = Period['kind'];

const KINDS: [Kind, string][] = [
  ['financialYear', 'Financial year'],
  ['calendarYear', 'Calendar year'],
  ['quarter', 'Quarter'],
  ['month', 'Month'],
  ['custom', 'Custom range'],
];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const QUARTERS = ['Q1 (January to March)', 'Q2 (April to June)', 'Q3 (July to September)', 'Q4 (October to December)'];

interface Draft {
  kind: Kind;
  year: number;
  quarter: number;
  month: number;
  from: string;
  to: string;
}

/** The current financial year, as the screen opens. */
export function currentFinancialYear(today: string, startMonth: number): Period {
  return { kind: 'financialYear', startYear: financialYearOf(today, startMonth) };
}

function draftFor(today: string, startMonth: number): Draft {
  const [y, m] = parseLocalDate(today);
  const fy = financialYearOf(today, startMonth);
  return { kind: 'financialYear', year: fy, quarter: Math.ceil(m / 3), month: m, from: formatLocalDate(fy, startMonth, 1), to: today };
}

function periodOf(d: Draft): ReturnType<typeof Period.safeParse> {
  switch (d.kind) {
    case 'financialYear':
      return Period.safeParse({ kind: d.kind, startYear: d.year });
    case 'calendarYear':
      return Period.safeParse({ kind: d.kind, year: d.year });
    case 'quarter':
      return Period.safeParse({ kind: d.kind, year: d.year, quarter: d.quarter });
    case 'month':
      return Period.safeParse({ kind: d.kind, year: d.year, month: d.month });
    case 'custom':
      return Period.safeParse({ kind: d.kind, from: d.from, to: d.to });
  }
}

export function PeriodPicker({
  today,
  startMonth,
  years,
  onChange,
}: {
  today: string;
  startMonth: number;
  /** The years to offer, oldest first. */
  years: number[];
  onChange: (period: Period) => void;
}) {
  const [draft, setDraft] = useState(() => draftFor(today, startMonth));
  const [problem, setProblem] = useState<string | null>(null);
  const problemId = useId();

  function update(patch: Partial<Draft>) {
    // A new kind of period starts at the current one: this year, this quarter, this month.
    const next = patch.kind ? { ...draftFor(today, startMonth), from: draft.from, to: draft.to, ...patch } : { ...draft, ...patch };
    if (patch.kind && patch.kind !== 'financialYear') next.year = Number(today.slice(0, 4));
    setDraft(next);
    const parsed = periodOf(next);
    if (parsed.success) {
      setProblem(null);
      onChange(parsed.data);
    } else {
      setProblem(`That period cannot be reported: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    }
  }

  const yearChoices = draft.kind === 'financialYear' ? years.map((y) => [y, periodRange({ kind: 'financialYear', startYear: y }, startMonth).label] as const) : years.map((y) => [y, String(y)] as const);

  return (
    <fieldset className="period-picker">
      <legend>Period</legend>
      <div className="period-fields">
        <label>
          Kind of period
          <select autoComplete="off" value={draft.kind} onChange={(e) => update({ kind: e.target.value as Kind })}>
            {KINDS.map(([kind, label]) => (
              <option key={kind} value={kind}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {draft.kind !== 'custom' && (
          <label>
            {draft.kind === 'financialYear' ? 'Financial year' : 'Year'}
            <select autoComplete="off" value={draft.year} onChange={(e) => update({ year: Number(e.target.value) })}>
              {yearChoices.map(([y, label]) => (
                <option key={y} value={y}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        )}
        {draft.kind === 'quarter' && (
          <label>
            Quarter
            <select autoComplete="off" value={draft.quarter} onChange={(e) => update({ quarter: Number(e.target.value) })}>
              {QUARTERS.map((label, i) => (
                <option key={label} value={i + 1}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        )}
        {draft.kind === 'month' && (
          <label>
            Month
            <select autoComplete="off" value={draft.month} onChange={(e) => update({ month: Number(e.target.value) })}>
              {MONTHS.map((label, i) => (
                <option key={label} value={i + 1}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        )}
        {draft.kind === 'custom' && (
          <>
            <label>
              From
              <input autoComplete="off" type="date" value={draft.from} aria-describedby={problem ? problemId : undefined} onChange={(e) => update({ from: e.target.value })} />
            </label>
            <label>
              To (inclusive)
              <input autoComplete="off" type="date" value={draft.to} aria-describedby={problem ? problemId : undefined} onChange={(e) => update({ to: e.target.value })} />
            </label>
          </>
        )}
      </div>
      {problem && (
        <p role="alert" id={problemId} className="error">
          {problem} The report below is still for the last period that could be counted.
        </p>
      )}
    </fieldset>
  );
}
