import { describe, it, expect } from 'vitest';
import Papa from 'papaparse';
import {
  decodeRecordsFile,
  importCounts,
  LINES_SHOWN,
  parseRecordsCsv,
  problemsCsv,
  recordsCsv,
  RECORD_COLUMNS,
  withAddedTerms,
  type ImportContext,
  type ImportParse,
} from '../../src/domain/recordsCsv.ts';
import { resolveHistory } from '../../src/domain/report.ts';
import { countRecords } from '../../src/domain/counting.ts';
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
function unknownOf(result: ImportParse) {
  if (result.ok) throw new Error('expected unknown terms');
  return result.unknownTerms;
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
    expect(rows[0]).toEqual({
      kind: 'visit',
      date: '2024-05-01',
      time: '11:00',
      site: 'North Centre',
      person: A,
      services: 'meal',
      area: '',
      place: '',
      topics: '',
      referrals: '',
      needs: '',
      support: '',
      outcome: '',
    });
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
    expect(rows.find((r) => r.kind === 'casework' && r.person === C)).toMatchObject({ topics: 'housing', referrals: 'housing-options', outcome: 'advice-given' });
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
    expect(result.counts).toEqual({ records: 2, visits: 2, outreachContacts: 0, caseworkSessions: 0, newWomen: 0, womenFromIds: 0 });
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
    expect(result.counts).toEqual({ records: 6, visits: 2, outreachContacts: 2, caseworkSessions: 2, newWomen: 1, womenFromIds: 1 });
  });

  it('accepts an erased woman by id without bringing her entry back', () => {
    const gone = v7Id(903);
    const result = clean(parseRecordsCsv(`kind,date,person,site\nvisit,2025-06-01,${gone},north`, { ...ctx(), otherKnownIds: new Set([gone]) }));
    expect(result.events.map((e) => e.type)).toEqual(['visit.checkedIn']);
  });

  it('gives the same ids every time, and identical rows ids of their own', () => {
    const text = `${HEADER}\nvisit,2025-06-01,10:00,north,,meal,,,,,,,\nvisit,2025-06-01,10:00,north,,meal,,,,,,,\nvisit,2025-06-01,10:00,north,Jo,,,,,,,,\n`;
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
      'visit,2025-06-31,25:00,,,meal,', // 7
      'outreach,2025-06-01,,north,,,gp', // 8
      'casework,2025-06-01,,,,,gp', // 9
      'walk,2025-06-01,,,,,', // 10
      'visit,2025-06-01,,north,,meal,,lost', // 11: a value past the header's columns
      'visit,2025-06-01,,"north,,meal,', // 12: a quote never closed
    ].join('\n');
    const result = parseRecordsCsv(text, ctx());
    const errors = errorsOf(result);
    expect(unknownOf(result)).toEqual([]);
    expect(errors.map((e) => e.line)).toEqual([3, 5, 7, 8, 9, 10, 11, 12]);
    const message = (line: number) => errors.find((e) => e.line === line)?.message;
    expect(message(3)).toContain('single line');
    expect(message(5)).toBe(
      'date "01/06/2025" is written day or month first, which cannot be told apart (3 April or 4 March): write it YYYY-MM-DD, such as 2025-04-01 (in a spreadsheet, format the date column as yyyy-mm-dd).',
    );
    expect(message(7)).toContain('date "2025-06-31" is not a real date');
    expect(message(7)).toContain('time "25:00" is not a time of day');
    expect(message(7)).toContain('site is empty: a visit needs a site, such as “North Centre”.');
    expect(message(8)).toContain('site is only for visits');
    expect(message(8)).toContain('area is empty: an outreach contact needs an area, such as “Barking and Dagenham”.');
    expect(message(9)).toBe(
      'topics is empty: a casework session needs at least one topic, such as “Housing”; separate several with ";". a casework session is always with a known woman: give her id or the name she is known by.',
    );
    expect(message(10)).toBe('kind "walk" is not one Footfall knows: write visit, outreach or casework.');
    expect(message(11)).toContain('has 8 fields but the header has 7');
    expect(message(12)).toContain('check the quotes');
  });

  it('reads files as spreadsheets save them: semicolons or tabs, empty cells trimmed or padded at the end, dates and times in other unambiguous forms', () => {
    const comma = clean(parseRecordsCsv('kind,date,time,site,services\nvisit,2025-06-01,10:00,north,meal;shower\n', ctx())).events;
    const same = (text: string) => expect(clean(parseRecordsCsv(text, ctx())).events).toEqual(comma);
    // European Excel: semicolons, a list quoted; tabs.
    same('kind;date;time;site;services\nvisit;2025-06-01;10:00;north;"meal;shower"\n');
    same('kind\tdate\ttime\tsite\tservices\nvisit\t2025-06-01\t10:00\tnorth\tmeal;shower\n');
    // Unnamed empty columns after the header's last, and empty cells past it or missing at the end.
    same('kind,date,time,site,services,,\nvisit,2025-06-01,10:00,north,meal;shower,,\n');
    same('kind,date,time,site,services,referrals\nvisit,2025-06-01,10:00,north,meal;shower\n');
    // Year first with slashes or one-digit parts, a time with seconds, or the time after the date.
    same('kind,date,time,site,services\nvisit,2025/6/1,10:00:00,north,meal;shower\n');
    same('kind,date,site,services\nvisit,2025-06-01 10:00,north,meal;shower\n');
    same('kind,date,site,services\nvisit,2025-06-01T10:00:00,north,meal;shower\n');
  });

  it('refuses a date in the future (tomorrow allowed, for a clock a little ahead), and characters that could not be read, by line', () => {
    const today = { ...ctx(), today: '2025-06-01' };
    expect(clean(parseRecordsCsv('kind,date,site\nvisit,2025-06-01,north\nvisit,2025-06-02,north\n', today)).events).toHaveLength(2);
    expect(errorsOf(parseRecordsCsv('kind,date,site\nvisit,2025-06-03,north\nvisit,2205-04-03,north\n', today))).toEqual([
      { line: 2, message: 'date 2025-06-03 is in the future: check the year.' },
      { line: 3, message: 'date 2205-04-03 is in the future: check the year.' },
    ]);
    expect(errorsOf(parseRecordsCsv('kind,date,site,person\nvisit,2025-06-01,north,Ren\uFFFDe\n', today))).toEqual([
      { line: 2, message: 'has characters that could not be read (shown as �): save the file again as “CSV UTF-8” and choose it again.' },
    ]);
  });

  it('decodes a file saved as UTF-8, or else as older Excel saves it (Windows-1252), so a name with an accent still finds her', () => {
    const renee = { id: v7Id(7_001), knownAs: 'Renée O’Brien' };
    const utf8 = new TextEncoder().encode('\uFEFFkind,date,site,person\nvisit,2025-06-01,north,Renée O’Brien\n');
    // The same text as Windows-1252 bytes: é is 0xE9, ’ is 0x92.
    const cp1252 = Uint8Array.from([...'kind,date,site,person\nvisit,2025-06-01,north,Ren'].map((c) => c.charCodeAt(0)).concat([0xe9, 0x65, 0x20, 0x4f, 0x92, 0x42, 0x72, 0x69, 0x65, 0x6e, 0x0a]));
    for (const [bytes, encoding] of [[utf8, 'UTF-8'], [cp1252, 'Windows-1252']] as const) {
      const decoded = decodeRecordsFile(bytes);
      expect(decoded.encoding).toBe(encoding);
      const [visit] = clean(parseRecordsCsv(decoded.text, ctx([renee]))).events;
      expect(visit).toMatchObject({ type: 'visit.checkedIn', womanId: renee.id });
    }
  });

  it('never lists every accepted term in a message, and names terms by their labels', () => {
    const text = 'kind,date,area,place,person\noutreach,2025-06-01,,,\n';
    const [error] = errorsOf(parseRecordsCsv(text, ctx()));
    expect(error?.message).toBe(
      'area is empty: an outreach contact needs an area, such as “Barking and Dagenham”. place is empty: an outreach contact needs a kind of place, such as “Street”.',
    );
    expect(error?.message).not.toContain('barking-and-dagenham');
    expect(error?.message).not.toContain('Camden');
  });

  it('reads needs, support and an outcome, and refuses them on the wrong kind of record or two outcomes', () => {
    const text = [
      'kind,date,person,area,place,needs,support,topics,outcome,referrals',
      'outreach,2025-06-01,,camden,street,Food; housing,hygiene kit;Signposting,,,gp', // 2
      'casework,2025-06-02,Jo,,,,,housing,Resolved,', // 3
      'casework,2025-06-03,Jo,,,,,housing,,', // 4
    ].join('\n');
    const result = clean(parseRecordsCsv(text, ctx()));
    expect(ofType(result.events, 'outreach.contacted')[0]).toMatchObject({ needs: ['food', 'housing'], support: ['hygiene-kit', 'signposting'], referrals: ['gp'] });
    const sessions = ofType(result.events, 'casework.session');
    expect(sessions[0]).toMatchObject({ outcome: 'resolved' });
    expect(sessions[1]).not.toHaveProperty('outcome');

    const bad = [
      'kind,date,person,site,area,place,needs,topics,outcome',
      'visit,2025-06-01,,north,,,food,,resolved', // 2
      'casework,2025-06-02,Jo,,,,,housing,resolved;advice-given', // 3
    ].join('\n');
    const errors = errorsOf(parseRecordsCsv(bad, ctx()));
    expect(errors).toEqual([
      {
        line: 2,
        message:
          'needs is only for outreach contacts: leave it empty on a visit row, or change the kind. outcome is only for casework sessions: leave it empty on a visit row, or change the kind.',
      },
      { line: 3, message: 'outcome names 2 outcomes: a casework session has one outcome, so keep one.' },
    ]);
  });

  it('matches terms whatever the apostrophes, dashes, spaces, case and accents, and by the words a key was made from', () => {
    const config = {
      ...CONFIG,
      // A site added in Settings typed with a straight apostrophe, and one whose name changed since its key was made.
      sites: [...CONFIG.sites, { key: 'king-s-cross', name: "King's Cross", retired: false }, { key: 'old-kent-road', name: 'Bermondsey hub', retired: false }],
      services: [...CONFIG.services, { key: 'cafe', label: 'Café', retired: false }, { key: 'follow-up', label: 'Follow-up call', retired: false }],
    };
    const text = [
      'kind,date,site,services',
      'visit,2025-06-01,King’s Cross,CAFE; follow up call',
      'visit,2025-06-01,  kings   cross ,café;Follow–up  Call',
      'visit,2025-06-01,Old Kent Road,clean clothes',
    ].join('\n');
    const visits = ofType(clean(parseRecordsCsv(text, { ...ctx(), config })).events, 'visit.checkedIn');
    expect(visits.map((v) => [v.siteId, v.services])).toEqual([
      ['king-s-cross', ['cafe', 'follow-up']],
      ['king-s-cross', ['cafe', 'follow-up']],
      ['old-kent-road', ['clothes']],
    ]);
  });
});

describe('unknown terms', () => {
  const header = 'kind,date,site,person,services,area,place,topics,referrals';
  /** 8 rows whose only fault is a word the centre does not use, some twice, spelled two ways. */
  const text = [
    header,
    'visit,2025-06-01,north,,meal;Soup,,,,', // 2
    'visit,2025-06-02,Riverside,,soup;SOUP,,,,', // 3: soup twice in one row counts once
    'visit,2025-06-03,riverside,,,,,,', // 4
    'visit,2025-06-04,north,,soup ,,,,', // 5
    'visit,2025-06-05,north,,Soup,,,,', // 6
    'visit,2025-06-06,north,,soup,,,,', // 7
    'visit,2025-06-07,north,,soup,,,,', // 8
    'outreach,2025-06-08,,,,Camden,car park,,gp;N/A', // 9
  ].join('\n');

  it('groups each unknown value with how many rows give it and their first lines, instead of an error per line', () => {
    expect(LINES_SHOWN).toBe(5);
    const result = parseRecordsCsv(text, ctx());
    expect(errorsOf(result)).toEqual([]);
    expect(unknownOf(result)).toEqual([
      { column: 'site', value: 'Riverside', rows: 2, lines: [3, 4], candidates: [] },
      { column: 'services', value: 'Soup', rows: 6, lines: [2, 3, 5, 6, 7], candidates: [] }, // the first LINES_SHOWN
      { column: 'place', value: 'car park', rows: 1, lines: [9], candidates: [] },
      { column: 'referrals', value: 'N/A', rows: 1, lines: [9], candidates: [] },
    ]);
  });

  it('still reports the lines to fix beside the values to decide', () => {
    const result = parseRecordsCsv(`${text}\nvisit,2025-13-01,north,,soup,,,,`, ctx());
    expect(errorsOf(result)).toEqual([{ line: 10, message: expect.stringContaining('date "2025-13-01" is not a real date') }]);
    // The row with a bad date gives soup too: it still needs deciding, whatever the date.
    expect(unknownOf(result).find((g) => g.column === 'services')).toMatchObject({ rows: 7, lines: [2, 3, 5, 6, 7] });
  });

  it('imports once each value is mapped to a term, added as a new one, or left out of a list', () => {
    const mapping = {
      site: { Riverside: { add: 'Riverside' } },
      services: { soup: 'meal' },
      place: { 'Car park': { add: 'Car park' } },
      referrals: { 'n/a': { leaveOut: true as const } },
    };
    const result = clean(parseRecordsCsv(text, ctx(), mapping));
    expect(result.addedTerms).toEqual([
      { column: 'site', key: 'riverside', label: 'Riverside' },
      { column: 'place', key: 'car-park', label: 'Car park' },
    ]);
    const visits = ofType(result.events, 'visit.checkedIn');
    expect(visits.map((v) => [v.siteId, v.services])).toEqual([
      ['north', ['meal']],
      ['riverside', ['meal']],
      ['riverside', []],
      ['north', ['meal']],
      ['north', ['meal']],
      ['north', ['meal']],
      ['north', ['meal']],
    ]);
    expect(ofType(result.events, 'outreach.contacted')[0]).toMatchObject({ place: 'car-park', referrals: ['gp'] });

    const config = withAddedTerms(CONFIG, result.addedTerms);
    expect(config.sites.at(-1)).toEqual({ key: 'riverside', name: 'Riverside', retired: false });
    expect(config.places.at(-1)).toEqual({ key: 'car-park', label: 'Car park', retired: false });
    expect(config.services).toBe(CONFIG.services);
    // Once added, the terms are the organisation's: the file reads with no mapping for them.
    const again = parseRecordsCsv(text, { ...ctx(), config }, { services: mapping.services, referrals: mapping.referrals });
    expect(clean(again).events).toEqual(result.events);
    expect(withAddedTerms(config, result.addedTerms)).toEqual(config);
  });

  it('uses the existing term when a new one would be the same in another spelling, and gives a clashing key a number', () => {
    const config = { ...CONFIG, places: [...CONFIG.places, { key: 'car-park', label: 'Multi-storey', retired: false }] };
    const result = clean(
      parseRecordsCsv('kind,date,area,place\noutreach,2025-06-01,camden,car park\noutreach,2025-06-02,camden,lay-by\n', { ...ctx(), config }, {
        place: { 'lay-by': { add: 'STREET' } },
      }),
    );
    // "car park" found the key made from it; "STREET" is the street already there.
    expect(ofType(result.events, 'outreach.contacted').map((c) => c.place)).toEqual(['car-park', 'street']);
    expect(result.addedTerms).toEqual([]);

    // Labels with no letter a key can hold all make the key "item": each new one is numbered.
    const numbered = clean(
      parseRecordsCsv('kind,date,site,services\nvisit,2025-06-01,north,Кафе;Чай;чай\n', ctx(), { services: { кафе: { add: 'Кафе' }, Чай: { add: 'Чай' } } }),
    );
    expect(numbered.addedTerms).toEqual([
      { column: 'services', key: 'item', label: 'Кафе' },
      { column: 'services', key: 'item-2', label: 'Чай' },
    ]);
    expect(ofType(numbered.events, 'visit.checkedIn')[0]?.services).toEqual(['item', 'item-2']);
  });

  it('asks which term is meant when a value folds to two, and refuses choices that cannot be used', () => {
    const config = { ...CONFIG, services: [...CONFIG.services, { key: 'hot-meal', label: 'Meal!', retired: true }] };
    // The key "meal" itself decides first.
    expect(ofType(clean(parseRecordsCsv('kind,date,site,services\nvisit,2025-06-01,north,MEAL \n', { ...ctx(), config })).events, 'visit.checkedIn')[0]?.services).toEqual(['meal']);
    const twice = unknownOf(parseRecordsCsv('kind,date,site,services\nvisit,2025-06-01,north,meal!\n', { ...ctx(), config }));
    expect(twice).toEqual([{ column: 'services', value: 'meal!', rows: 1, lines: [2], candidates: ['meal', 'hot-meal'] }]);

    expect(() => parseRecordsCsv('kind,date\n', ctx(), { site: { Riverside: { leaveOut: true } } })).toThrow(
      'site “Riverside” cannot be left out: every record with it needs a site. Choose one, or add it.',
    );
    expect(() => parseRecordsCsv('kind,date\n', ctx(), { services: { soup: 'soup' } })).toThrow('The service chosen for “soup” is no longer in Settings: choose again.');
    expect(() => parseRecordsCsv('kind,date\n', ctx(), { services: { soup: { add: ' ' } } })).toThrow('a label is needed');
  });
});

describe('importCounts', () => {
  it('counts visits as the report does: one woman at one site on one local date, however many rows', () => {
    const text = [
      'kind,date,time,site,person,services',
      'visit,2025-06-01,09:00,north,Jo,meal',
      'visit,2025-06-01,15:00,north,jo,shower', // the same visit
      'visit,2025-06-01,15:00,south,Jo,', // another site: another visit
      'visit,2025-06-02,09:00,north,Jo,', // another day
      'visit,2025-06-01,09:00,north,,', // anonymous check-ins are a visit each
      'visit,2025-06-01,09:00,north,,',
    ].join('\n');
    const result = clean(parseRecordsCsv(text, ctx()));
    expect(result.counts).toEqual({ records: 6, visits: 5, outreachContacts: 0, caseworkSessions: 0, newWomen: 1, womenFromIds: 0 });
    expect(importCounts([], CONFIG)).toEqual({ records: 0, visits: 0, outreachContacts: 0, caseworkSessions: 0, newWomen: 0, womenFromIds: 0 });
  });

  it('counts a check-in that joins a visit the organisation already holds as no new visit, as the report will', () => {
    const first = clean(parseRecordsCsv(['kind,date,time,site,person,services', 'visit,2025-06-01,10:00,north,Jo,meal'].join('\n'), ctx()));
    const jo = ofType(first.events, 'woman.registered')[0]!;
    const held = resolveHistory(first.events, CONFIG);
    const text = [
      'kind,date,time,site,person,services',
      'visit,2025-06-01,09:00,north,Jo,shower', // joins the visit held
      'visit,2025-06-01,15:00,south,Jo,', // another site: a new visit
      'visit,2025-06-02,09:00,north,Jo,', // another day
      'visit,2025-06-02,11:00,north,Jo,', // the same new visit again
      'visit,2025-06-01,09:00,north,,', // anonymous check-ins are a visit each
      'visit,2025-06-01,10:00,north,,',
    ].join('\n');
    const second = clean(parseRecordsCsv(text, ctx([{ id: jo.womanId, knownAs: 'Jo' }])));
    expect(importCounts(second.events, CONFIG, held.columns).visits).toBe(4);
    // Among the file's records alone, the check-in that joins the held visit would be one more.
    expect(importCounts(second.events, CONFIG).visits).toBe(5);
    const all = { from: '2025-01-01', to: '2025-12-31' } as const;
    const after = countRecords(resolveHistory([...first.events, ...second.events], CONFIG).records, all).visits;
    expect(after - countRecords(held.records, all).visits).toBe(4);
  });
});

describe('parseRecordsCsv, more', () => {
  it('names a record without needs, support or outcome as it did before those columns, so a file imported then adds nothing now', () => {
    const text = [
      'kind,date,time,site,person,services,area,place,topics,referrals',
      'visit,2025-06-01,10:00,north,,meal,,,,',
      'outreach,2025-06-02,21:30,,,,camden,street,,gp',
      'casework,2025-06-03,14:00,,Jo,,,,housing,housing-options',
    ].join('\n');
    // Ids worked out by the import before the needs, support and outcome columns existed.
    expect(clean(parseRecordsCsv(text, { ...ctx(), deviceId: 'd', staffId: 's' })).events.map((e) => [e.type, e.id])).toEqual([
      ['woman.registered', '019735e0-9480-75c6-9a98-32f867a5a310'],
      ['visit.checkedIn', '01972ab8-2280-75da-9609-f4d3559c65a3'],
      ['outreach.contacted', '01973256-3540-7545-be65-7cf1eed411cc'],
      ['casework.session', '019735e0-9480-7593-aaa9-940408a57b48'],
    ]);
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

describe('problemsCsv', () => {
  it('writes a row per line to fix and a row per value to decide, with the lines that give it', () => {
    // Seven rows give "=Soup" (a spreadsheet would run it as a formula); the group keeps the first five lines.
    const text = [
      'kind,date,site,person,services',
      'visit,01/06/2025,north,,meal', // 2: a line to fix
      ...Array.from({ length: 7 }, () => 'visit,2025-06-01,north,,=Soup'), // 3 to 9
      'visit,2025-06-01,Riverside,,meal', // 10
    ].join('\n');
    const result = parseRecordsCsv(text, ctx());
    const rows = Papa.parse<string[]>(problemsCsv(errorsOf(result), unknownOf(result)), { skipEmptyLines: true }).data;
    expect(rows).toEqual([
      ['line', 'column', 'value', 'problem'],
      ['2', '', '', 'date "01/06/2025" is written day or month first, which cannot be told apart (3 April or 4 March): write it YYYY-MM-DD, such as 2025-04-01 (in a spreadsheet, format the date column as yyyy-mm-dd).'],
      ['10', 'site', 'Riverside', 'site “Riverside” is not among the organisation’s terms (1 row): choose what it means when importing, or correct the file.'],
      [
        '3;4;5;6;7',
        'services',
        "'=Soup",
        'service “=Soup” is not among the organisation’s terms (7 rows, the first 5 listed): choose what it means when importing, or correct the file.',
      ],
    ]);
  });
});
