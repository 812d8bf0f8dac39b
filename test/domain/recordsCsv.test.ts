import { describe, it, expect } from 'vitest';
import Papa from 'papaparse';
import { parseRecordsCsv, recordsCsv, RECORD_COLUMNS, type ImportContext, type ImportParse } from '../../src/domain/recordsCsv.ts';
import { resolveHistory } from '../../src/domain/report.ts';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';
import { A, B, C, CONFIG, HISTORY } from './reportFixture.ts';
import { v7Id } from './fixtures.ts';

const history = resolveHistory(HISTORY, CONFIG);
const HEADER = RECORD_COLUMNS.join(',');

function ctx(directory: { id: string; knownAs: string }[] = []): ImportContext {
  return { config: CONFIG, directory: new Map(directory.map((w) => [w.id, w])), deviceId: 'laptop-1', staffId: 'admin-1' };
}
function clean(result: ImportParse): Extract<ImportParse, { ok: true }> {
  if (!result.ok) throw new Error(`expected a clean file: ${JSON.stringify(result.errors)}`);
  return result;
}
function errorsOf(result: ImportParse) {
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}
const ofType = <T extends FootfallEvent['type']>(events: FootfallEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);

describe('recordsCsv', () => {
  const rows = Papa.parse<Record<string, string>>(recordsCsv(history, null), { header: true, skipEmptyLines: true }).data;

  it('writes one row per record as it stands now, in the import format, oldest first', () => {
    expect(Object.keys(rows[0]!)).toEqual([...RECORD_COLUMNS]);
    // 3 visits last year; 12 check-ins this year less 1 voided; 2 contacts; 2 sessions.
    expect(rows).toHaveLength(3 + 11 + 2 + 2);
    expect(rows.map((r) => r.date)).toEqual([...rows.map((r) => r.date)].sort());
    expect(rows[0]).toEqual({ kind: 'visit', date: '2024-05-01', time: '11:00', site: 'North Centre', person: A, services: 'meal', area: '', place: '', topics: '', referrals: '' });
  });

  it('dates and times each record locally, across the year boundary and the clock changes', () => {
    const at = (date: string) => rows.filter((r) => r.date === date).map((r) => `${r.time} ${r.person || 'anonymous'}`);
    expect(at('2025-03-31')).toEqual([`23:30 ${B}`]);
    expect(at('2025-04-01')).toEqual([`00:30 ${A}`]);
    expect(at('2025-10-26')).toEqual([`01:30 ${C}`, `01:30 ${C}`]); // BST, then GMT
    expect(at('2026-03-29')).toEqual(['00:59 anonymous', '02:00 anonymous']);
  });

  it('applies corrections, leaves voided records out and names women only by id', () => {
    expect(rows.find((r) => r.date === '2025-08-05')).toMatchObject({ site: 'South Centre', person: C, services: 'laundry' });
    expect(rows.find((r) => r.date === '2026-03-30')).toMatchObject({ person: B, services: 'clothes' });
    expect(rows.some((r) => r.date === '2025-09-10')).toBe(false);
    expect(rows.find((r) => r.kind === 'outreach' && r.person === '')).toMatchObject({ area: 'westminster', place: 'street', referrals: 'gp;police' });
    expect(rows.find((r) => r.kind === 'casework' && r.person === C)).toMatchObject({ topics: 'housing', referrals: 'housing-options' });
    expect(recordsCsv(history, null)).not.toContain('Jo');
  });

  it('keeps to a range when given one', () => {
    const march = Papa.parse<Record<string, string>>(recordsCsv(history, { from: '2026-03-01', to: '2026-03-31' }), { header: true, skipEmptyLines: true }).data;
    expect(march.map((r) => r.date)).toEqual(['2026-03-28', '2026-03-29', '2026-03-29', '2026-03-30']);
  });
});

describe('parseRecordsCsv', () => {
  it('reads columns in any order, keys or labels in any case, and a byte-order mark and CRLF', () => {
    const text = '\uFEFFdate,Kind,person,site,services\r\n2025-06-01,visit,,north centre,Meal;SHOWER; clean clothes\r\n2025-06-01,Visit,,SOUTH,\r\n';
    const result = clean(parseRecordsCsv(text, ctx()));
    const visits = ofType(result.events, 'visit.checkedIn');
    expect(visits.map((v) => [v.siteId, v.womanId, v.services])).toEqual([
      ['north', null, ['meal', 'shower', 'clothes']],
      ['south', null, []],
    ]);
    expect(visits[0]).toMatchObject({ occurredAt: '2025-06-01T11:00:00.000Z', at: '2025-06-01T11:00:00.000Z', deviceId: 'laptop-1', staffId: 'admin-1' });
    expect(result.counts).toEqual({ rows: 2, visits: 2, outreachContacts: 0, caseworkSessions: 0, newWomen: 0, womenFromIds: 0 });
  });

  it('dates a record with no time at midday local time, and a time in the GMT winter as GMT', () => {
    const text = `kind,date,time,site\nvisit,2025-07-01,,north\nvisit,2025-12-01,9:05,north\n`;
    expect(ofType(clean(parseRecordsCsv(text, ctx())).events, 'visit.checkedIn').map((v) => v.occurredAt)).toEqual([
      '2025-07-01T11:00:00.000Z',
      '2025-12-01T09:05:00.000Z',
    ]);
  });

  it('finds women by id or by name, and registers each new name once', () => {
    const known = v7Id(900);
    const other = v7Id(901);
    const text = [
      'kind,date,person,site,area,place,topics',
      `visit,2025-06-01,${known.toUpperCase()},north,,,`,
      'visit,2025-06-02,zoë,north,,,',
      'outreach,2025-06-03,Anne-Marie,,camden,street,',
      'casework,2025-06-01,anne marie,,,,housing',
      `casework,2025-06-04,${other},,,,Benefits;housing`,
      'outreach,2025-06-05,,,Camden,Phone,',
    ].join('\n');
    const result = clean(parseRecordsCsv(text, ctx([{ id: known, knownAs: 'Kim' }, { id: v7Id(902), knownAs: 'Zoe' }])));
    const registrations = ofType(result.events, 'woman.registered');
    expect(registrations.map((r) => r.knownAs)).toEqual(['Anne-Marie', `Imported ${other.slice(-8)}`]);
    const anne = registrations[0]!;
    expect(anne.at).toBe('2025-06-01T11:00:00.000Z'); // her first record in the file
    expect(registrations[1]!.womanId).toBe(other);
    const records = result.events.filter((e) => e.type !== 'woman.registered') as { womanId: string | null }[];
    expect(records.map((r) => r.womanId)).toEqual([known, v7Id(902), anne.womanId, anne.womanId, other, null]);
    expect(ofType(result.events, 'casework.session')[1]).toMatchObject({ topics: ['benefits', 'housing'], referrals: [] });
    expect(ofType(result.events, 'casework.session')[1]).not.toHaveProperty('outcome');
    expect(ofType(result.events, 'outreach.contacted')[1]).toMatchObject({ area: 'camden', place: 'phone', needs: [], support: [] });
    expect(result.counts).toEqual({ rows: 6, visits: 2, outreachContacts: 2, caseworkSessions: 2, newWomen: 1, womenFromIds: 1 });
  });

  it('accepts an erased woman by id without bringing her entry back', () => {
    const gone = v7Id(903);
    const result = clean(parseRecordsCsv(`kind,date,person,site\nvisit,2025-06-01,${gone},north`, { ...ctx(), otherKnownIds: new Set([gone]) }));
    expect(result.events.map((e) => e.type)).toEqual(['visit.checkedIn']);
  });

  it('gives the same ids every time, and identical rows ids of their own', () => {
    const text = `${HEADER}\nvisit,2025-06-01,10:00,north,,meal,,,,\nvisit,2025-06-01,10:00,north,,meal,,,,\nvisit,2025-06-01,10:00,north,Jo,,,,,\n`;
    const first = clean(parseRecordsCsv(text, ctx()));
    const again = clean(parseRecordsCsv(text, ctx()));
    expect(again.events).toEqual(first.events);
    const ids = first.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Importing it once more after Jo is in the directory gives the same record ids and no new registration.
    const jo = ofType(first.events, 'woman.registered')[0]!;
    const third = clean(parseRecordsCsv(text, ctx([{ id: jo.womanId, knownAs: 'Jo' }])));
    expect(third.events.map((e) => e.id)).toEqual(ids.filter((id) => id !== jo.id));
  });

  it('refuses unknown columns by name, and a header without the required columns', () => {
    expect(errorsOf(parseRecordsCsv('kind,date,Notes,name\nvisit,2025-06-01,x,y\n', ctx()))).toEqual([
      { line: 1, message: expect.stringMatching(/^Unknown columns "notes", "name": the columns are kind, date, time/) },
    ]);
    expect(errorsOf(parseRecordsCsv('kind,site\nvisit,north\n', ctx()))[0]).toEqual({ line: 1, message: expect.stringContaining('no "date" column') });
    expect(errorsOf(parseRecordsCsv('kind,date,date\n', ctx()))[0]?.message).toContain('"date" appears more than once');
    expect(errorsOf(parseRecordsCsv('', ctx()))[0]).toEqual({ line: 1, message: expect.stringContaining('The file is empty') });
  });

  it('reports every bad row by its line in the file, counting lines inside quoted fields, and returns no events', () => {
    const text = [
      'kind,date,time,site,person,services,referrals', // 1
      'visit,2025-06-01,10:00,north,,meal,', // 2
      'visit,2025-06-01,10:00,north,"Ann', // 3: a name over two lines
      'Marie",meal,', // 4
      'visit,01/06/2025,10:00,north,,meal,', // 5
      '', // 6
      'visit,2025-06-31,25:00,nowhere,,meal;soup,', // 7
      'outreach,2025-06-01,,north,,,gp', // 8
      'casework,2025-06-01,,,,,gp', // 9
      'walk,2025-06-01,,,,,', // 10
      'visit,2025-06-01,,north,,meal', // 11
      'visit,2025-06-01,,"north,,meal,', // 12: a quote never closed
    ].join('\n');
    const errors = errorsOf(parseRecordsCsv(text, ctx()));
    expect(errors.map((e) => e.line)).toEqual([3, 5, 7, 8, 9, 10, 11, 12]);
    const message = (line: number) => errors.find((e) => e.line === line)?.message;
    expect(message(3)).toContain('single line');
    expect(message(5)).toBe('date "01/06/2025" is not a real date written YYYY-MM-DD, such as 2025-04-01.');
    expect(message(7)).toContain('date "2025-06-31" is not a real date');
    expect(message(7)).toContain('time "25:00" is not a time of day');
    expect(message(7)).toContain('site "nowhere" is not one of the centre\'s: use one of North Centre (north), South Centre (south).');
    expect(message(7)).toContain('service "soup" is not one of the centre\'s: use one of meal, shower, laundry, clothes, advice');
    expect(message(8)).toContain('site is only for visits');
    expect(message(8)).toContain('a contact needs an area: one of barking-and-dagenham');
    expect(message(9)).toContain('needs at least one topic');
    expect(message(9)).toContain('always with a known woman');
    expect(message(10)).toBe('kind "walk" is not one Footfall knows: write visit, outreach or casework.');
    expect(message(11)).toContain('has 6 fields but the header has 7');
    expect(message(12)).toContain('check the quotes');
  });

  it('asks for an id when two women share the name given', () => {
    const errors = errorsOf(parseRecordsCsv('kind,date,site,person\nvisit,2025-06-01,north,JO\n', ctx([{ id: v7Id(1), knownAs: 'Jo' }, { id: v7Id(2), knownAs: 'jo' }])));
    expect(errors).toEqual([{ line: 2, message: '2 women in the directory are known as "JO": write the id of the one this record is about instead of her name.' }]);
  });

  it('refuses an id that is not a Footfall id', () => {
    const errors = errorsOf(parseRecordsCsv('kind,date,site,person\nvisit,2025-06-01,north,123e4567-e89b-12d3-a456-426614174000\n', ctx()));
    expect(errors[0]?.message).toContain('is not a Footfall woman id');
  });
});
