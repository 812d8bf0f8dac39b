import { describe, it, expect } from 'vitest';
import Papa from 'papaparse';
import { figuresCsv, FIGURES_COLUMNS } from '../../src/domain/figuresCsv.ts';
import { buildReport, previousPeriodNote, resolveHistory } from '../../src/domain/report.ts';
import { publishReport } from '../../src/domain/disclosure.ts';
import { CONFIG, HISTORY, TERMS_HISTORY } from './reportFixture.ts';

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
    // Each table's rows and its totals row, column by column.
    const tableRows = exact.tables.reduce((n, t) => n + (t.rows.length + 1) * t.columns.length, 0);
    // + the three definitions no figure carries (local dates, identified visits, corrections), the statement, the four
    // notes (not for publication, the periods, service contacts, breakdowns), and the note that
    // 2024/25 began before the first record held.
    expect(rows).toHaveLength(sectionRows + tableRows + 3 + 1 + 4 + 1);
  });

  it('writes each table’s totals row, and the rules no figure carries as definitions of their own', () => {
    const rows = parse(figuresCsv(exact));
    expect(rows.find((r) => r.section === 'By site' && r.figure === 'uniqueWomen' && r.category === 'total')).toMatchObject({
      label: 'Unique women, All sites',
      value: String(exact.womenWhoVisited.current),
      previous_value: String(exact.womenWhoVisited.previous),
    });
    expect(rows.find((r) => r.section === 'Month by month' && r.figure === 'visits' && r.category === 'total')).toMatchObject({ label: 'Visits, Whole period', value: '9' });
    const definitions = rows.filter((r) => r.section === 'Definitions');
    expect(definitions.map((r) => r.figure)).toEqual(['dates', 'identifiedVisits', 'corrections']);
    expect(definitions.map((r) => r.definition).join(' ')).toMatch(/Clock changes/);
    expect(definitions.map((r) => r.definition).join(' ')).toMatch(/latest correction/i);
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

  it('ends with the statement, says an exact export is not for publication, and that last year was recorded in part', () => {
    const rows = parse(figuresCsv(exact));
    expect(rows.at(-6)).toMatchObject({ section: 'Statement', label: exact.statement, value: '' });
    expect(rows.at(-5)).toMatchObject({ section: 'Notes', label: expect.stringContaining('not safe to publish') });
    // What every export states: its period, and that it counts service contacts, not prevalence.
    expect(rows.at(-4)!.label).toMatch(/^Period: 2025\/26 \(2025-04-01 to 2026-03-31\)/);
    expect(rows.at(-3)!.label).toMatch(/do not measure how many women are affected \(prevalence\)/);
    expect(rows.at(-1)).toMatchObject({ section: 'Notes', label: previousPeriodNote(exact.previousPeriod) });
    expect(rows.at(-1)!.label).toMatch(/^The same period last year, 2024\/25 \(2024-04-01 to 2025-03-31\), began before the first record held/);
  });

  it('writes the published text of a published report, with its notes', () => {
    const published = publishReport(exact);
    const rows = parse(figuresCsv(published));
    expect(rows.find((r) => r.section === 'Summary' && r.figure === 'visits')).toMatchObject({ value: '10', previous_value: '<5' });
    const areas = rows.filter((r) => r.section === 'Outreach by area');
    expect(areas.map((r) => [r.figure, r.category, r.value])).toEqual([
      ['byArea', 'camden', '<5'],
      ['byArea', 'westminster', '<5'],
      ['byArea', 'total', '<5'],
      ['womenByArea', 'camden', '<5'],
      ['womenByArea', 'westminster', '<5'],
      ['womenByArea', 'total', '<5'],
    ]);
    for (const r of rows) expect(r.value).not.toMatch(/^[0-4]$/);
    const notes = rows.filter((r) => r.section === 'Notes').map((r) => r.label);
    expect(notes).toEqual([...published.notes, previousPeriodNote(published.previousPeriod)]);
    expect(rows.find((r) => r.section === 'Statement')?.label).toBe(published.statement);
  });

  it('writes every table of what outreach and casework recorded, a row per figure, with both definitions a row needs', () => {
    const report = buildReport(resolveHistory(TERMS_HISTORY, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
    const rows = parse(figuresCsv(report));
    const row = (section: string, figure: string, category: string) => rows.filter((r) => r.section === section && r.figure === figure && r.category === category);
    expect(row('Needs raised on outreach', 'needs', 'housing')).toEqual([
      expect.objectContaining({ label: 'Contacts, Housing', value: '3', previous_period: '2024/25', previous_value: '1', definition: expect.stringMatching(/^Outreach contacts at which each need was raised/) }),
    ]);
    expect(row('Needs raised on outreach', 'womenByNeed', 'housing')).toEqual([
      expect.objectContaining({ label: 'Women, Housing', value: '1', previous_value: '1', definition: expect.stringMatching(/^Different known women who raised each need/) }),
    ]);
    expect(row('Needs raised on outreach', 'needs', 'not-recorded')[0]).toMatchObject({ label: 'Contacts, None recorded', value: '2' });
    expect(row('Support given on outreach', 'womenBySupport', 'food')[0]).toMatchObject({ value: '2', previous_value: '1' });
    expect(row('Outreach by kind of place', 'byPlace', 'street')[0]).toMatchObject({ label: 'Contacts, Street', value: '4' });
    expect(row('Outreach by area', 'womenByArea', 'camden')[0]).toMatchObject({ label: 'Women reached, Camden', value: '3' });
    expect(row('Casework topics', 'womenByTopic', 'benefits')[0]).toMatchObject({ label: 'Women, Benefits', value: '2', previous_value: '0' });
    expect(row('Casework outcomes', 'outcomes', 'not-recorded')[0]).toMatchObject({ label: 'Sessions, Not recorded', value: '1' });
    expect(row('Advice and casework', 'caseworkWomen', '')[0]).toMatchObject({ value: '3' });
  });

  it('says the figures of a same period last year before the first record were not recorded then, not 0', () => {
    const report = buildReport(resolveHistory(TERMS_HISTORY, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2024 });
    const rows = parse(figuresCsv(report));
    const figures = rows.filter((r) => !['Statement', 'Notes', 'Definitions'].includes(r.section!));
    expect(new Set(figures.map((r) => `${r.previous_period}: ${r.previous_value}`))).toEqual(new Set(['2023/24: not recorded then']));
    expect(rows.filter((r) => r.section === 'Notes').map((r) => r.label)).toEqual([
      expect.stringContaining('not safe to publish'),
      expect.stringContaining('Period: 2024/25'),
      expect.stringContaining('(prevalence)'),
      expect.stringContaining('Breakdowns of women'),
      expect.stringContaining('2023/24 (2023-04-01 to 2024-03-31), ended before the first record held'),
    ]);
    const published = parse(figuresCsv(publishReport(report)));
    expect(published.find((r) => r.section === 'Summary' && r.figure === 'visits')).toMatchObject({ previous_value: 'not recorded then' });
  });

  it('says the months of a same period last year before its first record were not recorded then, and counts the rest', () => {
    // 2024/25 was recorded from 1 October 2024.
    const report = buildReport(resolveHistory(TERMS_HISTORY, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
    for (const rows of [parse(figuresCsv(report)), parse(figuresCsv(publishReport(report)))]) {
      const visits = rows.filter((r) => r.section === 'Month by month' && r.figure === 'visits' && r.category !== 'total');
      expect(visits.filter((r) => r.previous_value === 'not recorded then').map((r) => r.category)).toEqual(['2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09']);
      expect(visits.filter((r) => r.previous_value !== 'not recorded then')).toHaveLength(6);
      // The period's own figures, and last year's whole-period totals, are counted as they were.
      expect(rows.find((r) => r.section === 'Summary' && r.figure === 'visits')!.previous_value).not.toBe('not recorded then');
    }
  });

  it('keeps a label that looks like a formula from running in a spreadsheet', () => {
    const config = { ...CONFIG, services: [...CONFIG.services, { key: 'sum', label: '=SUM(A1)', retired: false }] };
    const report = buildReport(resolveHistory(HISTORY, config), config, { kind: 'financialYear', startYear: 2025 });
    const rows = parse(figuresCsv(report));
    expect(rows.find((r) => r.category === 'sum')?.label).toBe("'=SUM(A1)");
  });
});
