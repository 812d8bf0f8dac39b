/**
 * Visits by month, this period beside the same months last year: a plain SVG drawn here (no
 * chart library, no third-party request), under a title of its own so it reads on paper too. It
 * is one image to assistive technology, with a text alternative that says what it shows; the
 * month-by-month table is the accessible data. Last year's bars are left out where the centre
 * had no records yet (the whole year, or its months before the first record): they would be
 * zeros that are not known to be zero.
 */
import { useId } from 'react';
import { NOT_RECORDED_THEN, previousKnown } from '../../../domain/report.ts';
import type { ShownReport } from './ReportFigures.tsx';
import { shown } from './ReportFigures.tsx';

// About as wide as the chart is drawn beside the headline figures, so its labels are read at
// about their own size there; wider on paper, narrower on a phone.
const WIDTH = 560;
const HEIGHT = 210;
const LEFT = 48;
const BOTTOM = 36;
const TOP = 16;

interface Bar {
  label: string;
  current: number | string;
  /** Null for a month last year before the first record held. */
  previous: number | string | null;
}

/** A published cell ("<5", a withheld dash) has no height: it is drawn as a mark with its text. */
function numeric(value: number | string): number | null {
  if (typeof value === 'number') return value;
  const n = Number(value.replace(/,/g, ''));
  return Number.isFinite(n) && value.trim() !== '' ? n : null;
}

/** Whole-number axis marks, at most five steps, from 0 to just past the largest value. */
function axisTicks(max: number): number[] {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(1, max / 4)));
  const step = [1, 2, 5, 10].find((s) => s * magnitude >= max / 5)! * magnitude;
  const top = Math.max(step, Math.ceil(max / step) * step);
  return Array.from({ length: top / step + 1 }, (_, i) => i * step);
}

export function VisitsChart({ report }: { report: ShownReport }) {
  const titleId = useId();
  const descId = useId();
  const months = report.tables.find((t) => t.id === 'months');
  const column = months?.columns.findIndex((c) => c.figure === 'visits') ?? -1;
  if (!months || column < 0) return null;
  const recorded = report.previousPeriod.recorded;
  const bars: Bar[] = months.rows.map((row) => ({
    label: row.label,
    current: row.cells[column]!.current,
    previous: previousKnown(report.previousPeriod, row) ? row.cells[column]!.previous : null,
  }));
  const total = months.totals[column]!;
  const from = report.previousPeriod.recordedFrom;

  const values = bars.flatMap((b) => [numeric(b.current), b.previous === null ? null : numeric(b.previous)]).filter((v): v is number => v !== null);
  const ticks = axisTicks(Math.max(0, ...values));
  const top = ticks[ticks.length - 1]!;
  const plotWidth = WIDTH - LEFT - 8;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const group = plotWidth / Math.max(1, bars.length);
  const barWidth = Math.max(2, Math.min(28, (group - 6) / 2));
  const y = (v: number) => TOP + plotHeight - (v / top) * plotHeight;
  let busiest: Bar | null = null;
  for (const b of bars) if ((numeric(b.current) ?? 0) > (busiest ? (numeric(busiest.current) ?? 0) : 0)) busiest = b;

  const title = `Visits by month, ${report.period.label} beside ${report.previousPeriod.label}`;
  const comparison = recorded
    ? `Bar chart of visits by month in ${report.period.label} (dark bars) beside the same months of ${report.previousPeriod.label} (grey bars${from === null ? '' : `, recorded from ${from}`}). ` +
      `${shown(total.current)} visits in the period against ${shown(total.previous)} the year before${from === null ? '' : ', from then'}.`
    : `Bar chart of visits by month in ${report.period.label}; ${report.previousPeriod.label} is ${NOT_RECORDED_THEN}. ${shown(total.current)} visits in the period.`;
  const description =
    comparison +
    (busiest ? ` The most visits were in ${busiest.label}: ${shown(busiest.current)}.` : '') +
    ' Every figure is in the month-by-month table.';

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${titleId} ${descId}`} preserveAspectRatio="xMidYMid meet">
        <title id={titleId}>{title}</title>
        <desc id={descId}>{description}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={LEFT} x2={WIDTH - 8} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={LEFT - 6} y={y(t) + 4} textAnchor="end" className="chart-axis">
              {t.toLocaleString('en-GB')}
            </text>
          </g>
        ))}
        {bars.map((b, i) => {
          const x = LEFT + i * group + (group - 2 * barWidth) / 2;
          return (
            <g key={b.label}>
              <BarMark x={x} width={barWidth} value={b.current} y={y} className="chart-current" />
              {b.previous !== null && <BarMark x={x + barWidth} width={barWidth} value={b.previous} y={y} className="chart-previous" />}
              <text x={LEFT + i * group + group / 2} y={HEIGHT - BOTTOM + 18} textAnchor="middle" className="chart-axis">
                {bars.length > 13 ? b.label.slice(0, 1) : b.label.slice(0, 3)}
              </text>
            </g>
          );
        })}
        <line x1={LEFT} x2={WIDTH - 8} y1={y(0)} y2={y(0)} className="chart-baseline" />
      </svg>
      <div className="chart-legend">
        <span className="legend">
          <span className="swatch chart-current" aria-hidden="true" /> {report.period.label}
        </span>
        <span className="legend">
          {recorded && <span className="swatch chart-previous" aria-hidden="true" />} {report.previousPeriod.label} (same months last year
          {recorded ? (from === null ? '' : `, recorded from ${from}`) : `: ${NOT_RECORDED_THEN}`})
        </span>
      </div>
    </figure>
  );
}

function BarMark({ x, width, value, y, className }: { x: number; width: number; value: number | string; y: (v: number) => number; className: string }) {
  const n = numeric(value);
  if (n === null) {
    return (
      <text x={x + width / 2} y={y(0) - 4} textAnchor="middle" className={`chart-axis ${className}-text`}>
        {String(value)}
      </text>
    );
  }
  return <rect x={x} width={width} y={y(n)} height={Math.max(0, y(0) - y(n))} className={className} />;
}
