import { describe, it, expect } from 'vitest';
import Papa from 'papaparse';
import { figuresCsv, FIGURES_COLUMNS } from '../../src/domain/figuresCsv.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import { publishReport } from '../../src/domain/disclosure.ts';
import { CONFIG, HISTORY } from './reportFixture.ts';

const exact = buildReport(resolveHistory(HISTORY, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });

function parse(text: string) {
  const result = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  expect(result.errors).toEqual([]);
  expect(result.meta.fields).toEqual([...FIGURES_COLUMNS]);
  return result.data;
}

describe('figuresCsv', () => {
  it('writes one row per figure, each with its period, last year and definition', () => {
    const rows = parse(figuresCsv(exact));
    const visits = rows.find((r) => r.section === 'Summary' && r.figure === 'visits');
    expect(visits).toEqual({
      period: '2025/26',
      period_start: '2025-04-01',
      period_end: '2026-03-31',
      section: 'Summary',
      figure: 'visits',
      category: '',
      label: 'Visits',
      value: '9',
      previous_period: '2024/25',
      previous_value: '3',
      definition: expect.stringContaining('One woman at one site on one date is one visit'),
    });
    const sectionRows = exact.sections.reduce((n, s) => n + s.rows.length, 0);
    const tableRows = exact.tables.reduce((n, t) => n + t.rows.length * t.columns.length, 0);
    expect(rows).toHaveLength(sectionRows + tableRows + 2); // + statement + one note
  });

  it('names categories by key and label, quoting labels with commas', () => {
    const rows = parse(figuresCsv(exact));
    expect(rows.find((r) => r.figure === 'services' && r.category === 'meal')).toMatchObject({ label: 'Meal', value: '5', previous_value: '3' });
    expect(rows.find((r) => r.section === 'Women by ethnicity' && r.category === 'black')).toMatchObject({
      label: 'Black, Black British, Caribbean or African',
      value: '0',
    });
    expect(rows.find((r) => r.section === 'Month by month' && r.figure === 'visits' && r.category === '2026-03')).toMatchObject({
      label: 'Visits, Mar 2026',
      value: '4',
      previous_value: '1',
      definition: expect.stringContaining('Each month counted on its own'),
    });
    expect(rows.find((r) => r.section === 'By site' && r.category === 'south' && r.figure === 'visits')?.value).toBe('2');
  });

  it('ends with the statement, and says an exact export is not for publication', () => {
    const rows = parse(figuresCsv(exact));
    expect(rows.at(-2)).toMatchObject({ section: 'Statement', label: exact.statement, value: '' });
    expect(rows.at(-1)).toMatchObject({ section: 'Notes', label: expect.stringContaining('not safe to publish') });
  });

  it('writes the published text of a published report, with its notes', () => {
    const published = publishReport(exact);
    const rows = parse(figuresCsv(published));
    expect(rows.find((r) => r.section === 'Summary' && r.figure === 'visits')).toMatchObject({ value: '10', previous_value: '<5' });
    const areas = rows.filter((r) => r.section === 'Outreach contacts by area');
    expect(new Set(areas.map((r) => r.value))).toEqual(new Set(['<5']));
    for (const r of rows) expect(r.value).not.toMatch(/^[0-4]$/);
    const notes = rows.filter((r) => r.section === 'Notes').map((r) => r.label);
    expect(notes).toEqual(published.notes);
    expect(rows.find((r) => r.section === 'Statement')?.label).toBe(published.statement);
  });

  it('keeps a label that looks like a formula from running in a spreadsheet', () => {
    const config = { ...CONFIG, services: [...CONFIG.services, { key: 'sum', label: '=SUM(A1)', retired: false }] };
    const report = buildReport(resolveHistory(HISTORY, config), config, { kind: 'financialYear', startYear: 2025 });
    const rows = parse(figuresCsv(report));
    expect(rows.find((r) => r.category === 'sum')?.label).toBe("'=SUM(A1)");
  });
});
