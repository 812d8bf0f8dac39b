/**
 * The screen's and the printable report's figures (src/app/admin/reports), rendered to static
 * markup without a DOM: they draw every section and table of the report model, number footnotes
 * in the order they appear, and show a same period last year before the first record as not
 * recorded rather than 0. The whole reports screen is tested in test/app/reports.test.tsx.
 */
import { createElement, Fragment } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Definitions, ReportFigures, type ShownReport } from '../../src/app/admin/reports/ReportFigures.tsx';
import { VisitsChart } from '../../src/app/admin/reports/VisitsChart.tsx';
import { publishReport } from '../../src/domain/disclosure.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import { CONFIG, TERMS_HISTORY } from './reportFixture.ts';

const history = resolveHistory(TERMS_HISTORY, CONFIG);
const thisYear = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2025 });
/** 2024/25, beside 2023/24: before the first record. */
const lastYear = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2024 });

const render = (report: ShownReport) =>
  renderToStaticMarkup(
    createElement(Fragment, null, createElement(VisitsChart, { report }), createElement(ReportFigures, { report }), createElement(Definitions, { report })),
  );
const text = (html: string) => html.replace(/<[^>]+>/g, '');

describe('the report figures as the screen and the printable report draw them', () => {
  it('draws a table for every section and table of the model, with its rows', () => {
    const html = render(thisYear);
    for (const s of thisYear.sections) expect(html).toContain(`<caption>${s.title}`);
    for (const t of thisYear.tables) {
      expect(html).toContain(`>${t.title}, 2025/26 beside the same period last year`);
      for (const r of t.rows) expect(text(html)).toContain(r.label);
    }
    expect(html).toContain('<th scope="col">Need</th>');
    expect(text(html)).toContain('None recorded');
  });

  it('numbers footnotes in the order they first appear, and lists the definitions in that order', () => {
    const html = render(thisYear);
    const [figures, definitions] = html.split('<h2');
    const marks = [...figures!.matchAll(/see definition <\/span>(\d+)<\/sup>/g)].map((m) => Number(m[1]));
    const firsts = marks.filter((n, i) => marks.indexOf(n) === i);
    expect(firsts).toEqual(firsts.map((_, i) => i + 1));
    expect(firsts.length).toBeGreaterThan(20);
    // Definition 1 is the first row's: visits, the first row of the summary.
    const items = [...definitions!.matchAll(/<li><strong>([^<]+)\.<\/strong>/g)].map((m) => m[1]);
    expect(items.slice(0, 3)).toEqual(['Visits', 'Unique women', 'New women']);
    expect(items).toHaveLength(thisYear.definitions.length);
    expect(new Set(items)).toEqual(new Set(thisYear.definitions.map((d) => d.term)));
  });

  it('gives the chart a title of its own', () => {
    expect(render(thisYear)).toContain('<figcaption class="chart-title">Visits by month, 2025/26 beside 2024/25</figcaption>');
  });

  it('shows last year before the first record as not recorded, never 0, exact or published', () => {
    for (const report of [lastYear, publishReport(lastYear)]) {
      const html = render(report);
      expect(text(html)).toContain('2023/24 (2023-04-01 to 2024-03-31), ended before the first record held');
      const cells = [...html.matchAll(/<td class="num">(.*?)<\/td>/g)].map((m) => m[1]);
      const previous = cells.filter((_, i) => i % 2 === 1);
      expect(new Set(previous)).toEqual(new Set(['<span aria-hidden="true">—</span><span class="visually-hidden">not recorded then</span>']));
      expect(html).not.toContain('class="chart-previous"');
      expect(text(html)).toContain('2023/24 (same months last year: not recorded then)');
    }
    const recorded = render(thisYear);
    expect(recorded).toContain('class="chart-previous"');
    // 2024/25 was recorded from 1 October 2024: its months before show as not recorded, in the
    // table and the chart, and nothing else does.
    const months = recorded.slice(recorded.indexOf('<caption id'), recorded.indexOf('</table>', recorded.indexOf('Month by month, 2025/26')));
    const rows = [...months.matchAll(/<tr><th scope="row">([^<]+)<\/th>(.*?)<\/tr>/g)].map((m) => [m[1], m[2]!.includes('not recorded then')]);
    expect(rows.filter(([, marked]) => marked).map(([month]) => month)).toEqual(['Apr 2025', 'May 2025', 'Jun 2025', 'Jul 2025', 'Aug 2025', 'Sep 2025']);
    expect(recorded.split('not recorded then')).toHaveLength(6 * 5 + 1); // five columns a month
    expect(recorded.match(/class="chart-previous"/g)).toHaveLength(6); // last year's bars, October to March
  });
});
