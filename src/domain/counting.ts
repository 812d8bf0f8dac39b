/**
 * The counting rules of docs/counting.md: the product's contract. Every published figure comes from
 * here, and DEFINITIONS below is printed beside it, so the two must say the same thing.
 *
 * Counting happens in two steps. `resolveRecords` folds the event history into records as they
 * stand now (corrections, voids, services added later, merged women). `countRecords` then counts
 * those records for a date range, read as columns of numbers (recordColumns.ts), and
 * `countTerms` breaks the range's outreach contacts and casework sessions down by what was
 * recorded on them. Visits, outreach contacts and casework
 * sessions are the three kinds of record; a woman counts through any of them.
 */
import { compareEvents, type EventOf, type FootfallEvent } from './events.ts';
import type { OrgConfig } from './config.ts';
import { canonicalIds } from './directory.ts';
import { monthsOf, type DateRange } from './periods.ts';
import { CASEWORK, columnsOf, dayNumber, monthNumber, NONE, OUTREACH, UNDATED, VISIT, type RecordColumns } from './recordColumns.ts';
import { localDateReader, parseLocalDate, type LocalDate } from './time.ts';

/** A visit as it stands after every correction, with its woman resolved through merges. */
export interface ResolvedVisit {
  kind: 'visit';
  /** The id of the check-in event that created it. */
  id: string;
  /** The canonical id of the woman after merges; null for an anonymous visit. */
  womanId: string | null;
  siteId: string;
  occurredAt: string;
  /** The local date of `occurredAt` in the organisation's time zone. */
  date: LocalDate;
  /** Sorted, without repeats. */
  services: string[];
}

/** An outreach contact as it stands after every correction. */
export interface ResolvedOutreach {
  kind: 'outreach';
  /** The id of the event that recorded it. */
  id: string;
  /** The canonical id of the woman after merges; null when she was not known. */
  womanId: string | null;
  occurredAt: string;
  date: LocalDate;
  area: string;
  place: string;
  /** Each sorted, without repeats. */
  needs: string[];
  support: string[];
  referrals: string[];
}

/** An advice or casework session as it stands after every correction. Always with a known woman. */
export interface ResolvedCasework {
  kind: 'casework';
  id: string;
  /** The canonical id of the woman after merges. */
  womanId: string;
  occurredAt: string;
  date: LocalDate;
  /** Each sorted, without repeats. */
  topics: string[];
  referrals: string[];
  /** Null for a session imported from a historic spreadsheet, which records none. */
  outcome: string | null;
}

/** Every kind of record that counts. */
export type ResolvedRecord = ResolvedVisit | ResolvedOutreach | ResolvedCasework;

/** The service key that counts a visit towards women supported with advice and casework. */
export const ADVICE_SERVICE = 'advice';

/**
 * The key of the row for records with none of a breakdown's terms (a contact that raised no need,
 * a session with no outcome) and for women with none (in the breakdowns of women, a question not
 * asked): a row of its own, so that every record and every woman is in some row.
 */
export const NOT_RECORDED = 'not-recorded';

export interface SiteFigures {
  visits: number;
  uniqueWomen: number;
  anonymousVisits: number;
}

export interface MonthFigures extends SiteFigures {
  newWomen: number;
  outreachContacts: number;
}

export interface Figures {
  visits: number;
  anonymousVisits: number;
  identifiedVisits: number;
  /** Distinct known women with a visit, outreach contact or casework session in the range. */
  uniqueWomen: number;
  /** Unique women whose first record of any kind falls in the range. */
  newWomen: number;
  /** Visits that included each service, by service key. A service no visit had is absent. */
  services: Record<string, number>;
  /** Every outreach contact in the range, known woman or not. */
  outreachContacts: number;
  /** Distinct known women with an outreach contact in the range. */
  womenReached: number;
  /** Outreach contacts with no known woman. */
  unknownContacts: number;
  caseworkSessions: number;
  /** Distinct women with an advice service on a visit, or a casework session, in the range. */
  womenSupported: number;
  /** By destination: outreach contacts and casework sessions that made each referral. */
  referrals: Record<string, number>;
  /** Outreach contacts by area key. An area with no contacts is absent. */
  byArea: Record<string, number>;
  /** By site key. A site with no visits in the range is absent. */
  bySite: Record<string, SiteFigures>;
  /** By month, YYYY-MM: every month the range touches, counted within the range only. */
  byMonth: Record<string, MonthFigures>;
}

export type FigureKey = Exclude<keyof Figures, 'bySite' | 'byMonth'>;

/**
 * What outreach contacts and casework sessions recorded, term by term (docs/counting.md#needs-and-support,
 * docs/counting.md#outreach-by-area-and-kind-of-place, docs/counting.md#casework-topics-and-outcomes):
 * each breakdown counts records with each term and, apart, the distinct known women (after
 * merges) whose records had it. A term with no records is absent.
 */
export interface TermFigures {
  /** Outreach contacts by kind of place: one each. */
  byPlace: Record<string, number>;
  /** Known women with a contact in each area, and in each kind of place. */
  womenByArea: Record<string, number>;
  womenByPlace: Record<string, number>;
  /** Outreach contacts that raised each need; NOT_RECORDED: contacts that raised none. */
  needs: Record<string, number>;
  /** Known women who raised each need; NOT_RECORDED: women reached who raised none at all. */
  womenByNeed: Record<string, number>;
  /** The same for support given. */
  support: Record<string, number>;
  womenBySupport: Record<string, number>;
  /** Casework sessions that covered each topic (every session covers at least one). */
  topics: Record<string, number>;
  womenByTopic: Record<string, number>;
  /** Casework sessions by outcome; NOT_RECORDED: sessions with none (imported ones). */
  outcomes: Record<string, number>;
  /** Distinct known women with a casework session: what women by topic is out of. */
  caseworkWomen: number;
}

export type TermFigureKey = keyof TermFigures;

/** Plain-English definitions, printed as footnotes on every report and export. */
export const DEFINITIONS: readonly { figure: FigureKey | TermFigureKey | 'dates' | 'corrections'; term: string; text: string }[] = [
  {
    figure: 'dates',
    term: 'Dates',
    text: "Every record is dated by the local date in the organisation's time zone, so a visit at 00:30 on 1 April counts on 1 April. Clock changes neither move nor double a record.",
  },
  {
    figure: 'visits',
    term: 'Visits',
    text: 'One woman at one site on one date is one visit, however many times she was checked in that day. Each anonymous check-in is one visit.',
  },
  {
    figure: 'identifiedVisits',
    term: 'Visits by known women',
    text: 'Visits by women recorded in the directory, counted as above.',
  },
  {
    figure: 'anonymousVisits',
    term: 'Anonymous visits',
    text: 'Check-ins without a named woman. Each counts as one visit; they are never counted as women.',
  },
  {
    figure: 'uniqueWomen',
    term: 'Unique women',
    text: 'Different known women with at least one visit, outreach contact or advice and casework session in the period. Records found to be the same woman count once. Anonymous visits and unknown contacts are not included.',
  },
  {
    figure: 'newWomen',
    term: 'New women',
    text: 'Unique women whose first record ever, whether a visit, an outreach contact or a casework session, falls in the period.',
  },
  {
    figure: 'services',
    term: 'Services',
    text: "The number of visits that included each service. A service given at more than one of a woman's check-ins at the same site on the same day counts once.",
  },
  {
    figure: 'outreachContacts',
    term: 'Outreach contacts',
    text: 'Every contact made by outreach workers counts, whether or not the woman was known, including several with the same woman.',
  },
  {
    figure: 'womenReached',
    term: 'Women reached by outreach',
    text: 'Different known women with at least one outreach contact in the period, counted once each.',
  },
  {
    figure: 'unknownContacts',
    term: 'Contacts with unknown women',
    text: 'Outreach contacts where the woman was not known or not named. They are never counted as women.',
  },
  {
    figure: 'caseworkSessions',
    term: 'Casework sessions',
    text: 'Every advice or casework session with a woman counts, including several with the same woman.',
  },
  {
    figure: 'womenSupported',
    term: 'Women supported with advice and casework',
    text: 'Different known women given the advice service at a visit, or with a casework session, in the period. Other services do not count here.',
  },
  {
    figure: 'referrals',
    term: 'Referrals',
    text: 'Counted by destination: each outreach contact or casework session that referred a woman to a destination counts once for it.',
  },
  {
    figure: 'byArea',
    term: 'Contacts by area',
    text: 'Outreach contacts counted by the area where they happened.',
  },
  {
    figure: 'womenByArea',
    term: 'Women reached by area',
    text: 'Different known women with at least one outreach contact in each area. A woman met in two areas counts once in each, so the areas add up to at least the women reached.',
  },
  {
    figure: 'byPlace',
    term: 'Contacts by kind of place',
    text: 'Outreach contacts counted by the kind of place where they happened, such as the street or a hostel. Each contact has one.',
  },
  {
    figure: 'womenByPlace',
    term: 'Women reached by kind of place',
    text: 'Different known women with at least one outreach contact in each kind of place. A woman met in two kinds of place counts once in each.',
  },
  {
    figure: 'needs',
    term: 'Needs raised',
    text: 'Outreach contacts at which each need was raised. A contact that raised several needs counts once for each; "None recorded" counts contacts that raised none.',
  },
  {
    figure: 'womenByNeed',
    term: 'Women who raised each need',
    text: 'Different known women who raised each need at one or more contacts, counted once per need however often; merged records count once. "None recorded": women reached who raised none.',
  },
  {
    figure: 'support',
    term: 'Support given',
    text: 'Outreach contacts at which each kind of support was given. A contact that gave several counts once for each; "None recorded" counts contacts that gave none.',
  },
  {
    figure: 'womenBySupport',
    term: 'Women given each kind of support',
    text: 'Different known women given each kind of support at one or more contacts, counted once per kind however often; merged records count once. "None recorded": women reached given none.',
  },
  {
    figure: 'caseworkWomen',
    term: 'Women with casework sessions',
    text: 'Different known women with at least one advice or casework session in the period, counted once each. Unlike women supported, the advice service at a visit does not count here.',
  },
  {
    figure: 'topics',
    term: 'Casework topics',
    text: 'Casework sessions that covered each topic. A session that covered several topics counts once for each.',
  },
  {
    figure: 'womenByTopic',
    term: 'Women by casework topic',
    text: 'Different known women with at least one casework session covering each topic, counted once per topic however many sessions covered it; merged records count once.',
  },
  {
    figure: 'outcomes',
    term: 'Casework outcomes',
    text: 'Casework sessions by how each one ended, each counted once. Sessions imported from old spreadsheets record no outcome and are "Not recorded".',
  },
  {
    figure: 'corrections',
    term: 'Corrections',
    text: 'Corrections are records too: the latest correction of each detail wins, and deleted records count nowhere.',
  },
];

type Change = EventOf<'visit.serviceAdded' | 'visit.serviceRemoved' | 'record.corrected' | 'record.voided'>;

/**
 * Folds an event history into the records as they stand now. Events may come in any order and
 * more than once (a sync may deliver a batch twice): each id takes effect once, and changes are
 * applied in `compareEvents` order, so the latest change of each field wins.
 */
export function resolveRecords(
  events: Iterable<FootfallEvent>,
  config: Pick<OrgConfig, 'timeZone'>,
): ResolvedRecord[] {
  // Each record is built once and finished in place: a year's report resolves hundreds of
  // thousands of them, so allocation is most of the cost. Until a change replaces it, a record's
  // arrays are the creating event's own, never mutated.
  const records = new Map<string, ResolvedRecord>();
  const changes: Change[] = [];
  const merges: EventOf<'woman.merged'>[] = [];

  for (const e of events) {
    switch (e.type) {
      case 'visit.checkedIn':
        // A check-in delivered twice replaces itself with the same record.
        records.set(e.id, {
          kind: 'visit',
          id: e.id,
          womanId: e.womanId,
          siteId: e.siteId,
          occurredAt: e.occurredAt,
          date: '', // set once corrections are applied
          services: e.services,
        });
        break;
      case 'outreach.contacted':
        records.set(e.id, {
          kind: 'outreach',
          id: e.id,
          womanId: e.womanId,
          occurredAt: e.occurredAt,
          date: '',
          area: e.area,
          place: e.place,
          needs: e.needs,
          support: e.support,
          referrals: e.referrals,
        });
        break;
      case 'casework.session':
        records.set(e.id, {
          kind: 'casework',
          id: e.id,
          womanId: e.womanId,
          occurredAt: e.occurredAt,
          date: '',
          topics: e.topics,
          referrals: e.referrals,
          outcome: e.outcome ?? null,
        });
        break;
      case 'visit.serviceAdded':
      case 'visit.serviceRemoved':
      case 'record.corrected':
      case 'record.voided':
        changes.push(e);
        break;
      case 'woman.merged':
        merges.push(e); // merging twice is the same as merging once
        break;
      case 'woman.registered':
      case 'woman.updated':
      case 'woman.erased':
        break; // a woman counts through her records, not her directory entry
      case 'org.configured':
      case 'org.keyRotated':
        break;
    }
  }

  // A change applies to its record even when its device time is earlier than the check-in's:
  // device clocks differ, and a device can only change a record it already had. Copies of a
  // change delivered twice sort next to each other, and applying one twice in a row is the same
  // as applying it once.
  changes.sort(compareEvents);
  for (const c of changes) {
    const targetId = c.type === 'visit.serviceAdded' || c.type === 'visit.serviceRemoved' ? c.visitId : c.targetId;
    const record = records.get(targetId);
    if (!record) continue; // not delivered yet, or voided
    switch (c.type) {
      case 'visit.serviceAdded':
        if (record.kind !== 'visit') break; // services belong to visits only
        if (!record.services.includes(c.service)) record.services = [...record.services, c.service];
        break;
      case 'visit.serviceRemoved':
        if (record.kind !== 'visit') break;
        record.services = record.services.filter((s) => s !== c.service);
        break;
      case 'record.corrected':
        applyCorrection(record, c.changes);
        break;
      case 'record.voided':
        // Gone for good: later changes find nothing to change, and it is never counted.
        records.delete(targetId);
        break;
    }
  }

  // Who each record's woman is counted under: the directory's one rule for merges.
  const canonical = canonicalIds(merges);
  const localDate = localDateReader(config.timeZone);
  const sortedSet = sortedSets();
  const resolved: ResolvedRecord[] = [];
  for (const r of records.values()) {
    r.date = localDate(r.occurredAt);
    switch (r.kind) {
      case 'visit':
        if (r.womanId !== null) r.womanId = canonical(r.womanId);
        r.services = sortedSet(r.services);
        break;
      case 'outreach':
        if (r.womanId !== null) r.womanId = canonical(r.womanId);
        r.needs = sortedSet(r.needs);
        r.support = sortedSet(r.support);
        r.referrals = sortedSet(r.referrals);
        break;
      case 'casework':
        r.womanId = canonical(r.womanId);
        r.topics = sortedSet(r.topics);
        r.referrals = sortedSet(r.referrals);
        break;
    }
    resolved.push(r);
  }
  return resolved;
}

/**
 * Applies the fields of a correction that the record's kind has; the others are ignored (one
 * correction shape serves every kind). A casework session is always with a known woman, so a
 * correction of its woman to nobody is ignored too.
 */
function applyCorrection(record: ResolvedRecord, changes: EventOf<'record.corrected'>['changes']): void {
  if (changes.occurredAt !== undefined) record.occurredAt = changes.occurredAt;
  switch (record.kind) {
    case 'visit':
      if (changes.womanId !== undefined) record.womanId = changes.womanId;
      if (changes.siteId !== undefined) record.siteId = changes.siteId;
      if (changes.services !== undefined) record.services = changes.services;
      break;
    case 'outreach':
      if (changes.womanId !== undefined) record.womanId = changes.womanId;
      if (changes.area !== undefined) record.area = changes.area;
      if (changes.place !== undefined) record.place = changes.place;
      if (changes.needs !== undefined) record.needs = changes.needs;
      if (changes.support !== undefined) record.support = changes.support;
      if (changes.referrals !== undefined) record.referrals = changes.referrals;
      break;
    case 'casework':
      if (changes.womanId !== undefined && changes.womanId !== null) record.womanId = changes.womanId;
      if (changes.topics !== undefined) record.topics = changes.topics;
      if (changes.referrals !== undefined) record.referrals = changes.referrals;
      if (changes.outcome !== undefined) record.outcome = changes.outcome;
      break;
  }
}

/**
 * Lists sorted and without repeats, each distinct one once, frozen and shared by every record that
 * has it (as decodeHistory gives them back): a year has a few dozen distinct lists and hundreds of
 * thousands of records, and an array kept for each was most of what resolving kept alive. Never an
 * event's own array. Nothing that reads records changes their lists; anything that tried would
 * throw rather than change other records too.
 */
function sortedSets(): (items: readonly string[]) => string[] {
  const root: ListNode = { list: Object.freeze([] as string[]) as string[], next: new Map() };
  return (items) => {
    const sorted = items.length < 2 || isSortedSet(items) ? items : [...new Set(items)].sort();
    let node = root;
    for (const item of sorted) {
      let next = node.next.get(item);
      if (next === undefined) node.next.set(item, (next = { list: null, next: new Map() }));
      node = next;
    }
    return (node.list ??= Object.freeze(sorted.slice()) as string[]);
  };
}

interface ListNode {
  list: string[] | null;
  next: Map<string, ListNode>;
}

function isSortedSet(items: readonly string[]): boolean {
  for (let i = 1; i < items.length; i++) if ((items[i - 1] as string) >= (items[i] as string)) return false;
  return true;
}

/** Records as objects, or the same as columns (recordColumns.ts): counting reads columns. */
export type Countable = readonly ResolvedRecord[] | RecordColumns;

function columnsFrom(records: Countable): RecordColumns {
  return Array.isArray(records) ? columnsOf(records) : (records as RecordColumns);
}

/**
 * The day number (recordColumns.ts dayNumber) of each known woman's first record ever, by her
 * index in the columns' strings: what "new women" is counted from. Pass it to `countRange` when
 * counting several ranges of the same records.
 */
export function firstRecordDays(columns: RecordColumns): Int32Array {
  // A woman with no dated record keeps the latest day there is, and no range counts her anyway.
  const first = new Int32Array(columns.strings.length).fill(0x7fffffff);
  const { woman, day } = columns;
  for (let i = 0; i < columns.size; i++) {
    const w = woman[i] as number;
    const d = day[i] as number;
    if (w !== NONE && d !== UNDATED && d < (first[w] as number)) first[w] = d;
  }
  return first;
}

/** Counts records for an inclusive range. */
export function countRecords(records: Countable, range: DateRange): Figures {
  const columns = columnsFrom(records);
  return countRange(columns, range, firstRecordDays(columns)).figures;
}

/** What countRange finds: the figures, and who they counted. */
export interface RangeCount {
  figures: Figures;
  /** The known women with a record in the range (uniqueWomen of them), in the order first counted. */
  women: string[];
  /** How many of them visited. */
  visitedWomen: number;
}

// What counting one range keeps about each woman, as bits of one byte.
const COUNTED = 1;
const REACHED = 2;
const SUPPORTED = 4;
const VISITED = 8;

/**
 * countRecords, with the women it counted: a report breaks them down by what the directory says
 * of each, and so need not go through the records again to find them. `firstDays` is
 * firstRecordDays of the same columns.
 */
export function countRange(columns: RecordColumns, range: DateRange, firstDays: Int32Array): RangeCount {
  checkRange(range);
  const from = dayNumber(range.from);
  const to = dayNumber(range.to);
  const firstMonth = monthNumber(from);
  const monthKeys = monthsOf(range);
  const months: MonthFigures[] = monthKeys.map(() => ({ visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 }));
  const { kind, woman, day, site, area, services, referrals, strings, lists } = columns;

  const totals = {
    visits: 0,
    anonymousVisits: 0,
    identifiedVisits: 0,
    outreachContacts: 0,
    unknownContacts: 0,
    caseworkSessions: 0,
  };
  // Lists are counted by how many records had each, and each list's items added up once at the end.
  const anonymousServices = new Int32Array(lists.length);
  const visitServices = new Int32Array(lists.length);
  const listedReferrals = new Int32Array(lists.length);
  const hasAdvice = lists.map((l) => l.includes(ADVICE_SERVICE));
  /** Services a later check-in added to a visit already counted. */
  const addedServices = new Map<string, number>();
  const areas = new Int32Array(strings.length);
  const sites: (SiteFigures | undefined)[] = [];

  // Each known woman by her index in `strings`.
  const flags = new Uint8Array(strings.length);
  const mark = (w: number, flag: number) => (flags[w] = (flags[w] as number) | flag);
  const counted: number[] = [];
  /** The month of her record counted last; `monthsSeen` (woman * months + month) holds all of hers. */
  const lastMonth = new Int32Array(strings.length).fill(NONE);
  const monthsSeen = new Set<number>();
  /** The site of her first visit, and any others (mostly there are none). */
  const firstSite = new Int32Array(strings.length).fill(NONE);
  const otherSites = new Map<number, number[]>();
  // Her visits (one per site and date), newest first, linked through `visitNext`; the latest date
  // of them (UNDATED, before every day, until she has one): a later record cannot be a visit
  // already counted.
  const lastVisitDay = new Int32Array(strings.length).fill(UNDATED);
  const visitHead = new Int32Array(strings.length).fill(NONE);
  const visitNext: number[] = [];
  const visitDay: number[] = [];
  const visitSite: number[] = [];
  /** The services counted for each visit: the first check-in's own list until a later one adds to it. */
  const visitCounted: (readonly string[])[] = [];

  // Records mostly come in date order, so the month of the record before is usually this one's.
  let lastDay = UNDATED; // no range holds it
  let m = 0;
  let month = months[0] as MonthFigures;
  for (let i = 0; i < columns.size; i++) {
    const d = day[i] as number;
    if (d < from || d > to) continue;
    if (d !== lastDay) {
      m = monthNumber(d) - firstMonth;
      month = months[m] as MonthFigures;
      lastDay = d;
    }
    const w = woman[i] as number;
    if (w !== NONE) {
      if (flags[w] === 0) {
        flags[w] = COUNTED;
        counted.push(w);
      }
      if (lastMonth[w] !== m) {
        lastMonth[w] = m;
        const key = w * months.length + m;
        if (!monthsSeen.has(key)) {
          monthsSeen.add(key);
          month.uniqueWomen++;
        }
      }
    }

    const k = kind[i];
    if (k === OUTREACH) {
      totals.outreachContacts++;
      month.outreachContacts++;
      bump(areas, area[i] as number);
      if (w === NONE) totals.unknownContacts++;
      else mark(w, REACHED);
      bump(listedReferrals, referrals[i] as number);
      continue;
    }
    if (k === CASEWORK) {
      totals.caseworkSessions++;
      mark(w, SUPPORTED);
      bump(listedReferrals, referrals[i] as number);
      continue;
    }

    const s = site[i] as number;
    const l = services[i] as number;
    const siteFigures = (sites[s] ??= { visits: 0, uniqueWomen: 0, anonymousVisits: 0 });
    if (w === NONE) {
      // Each anonymous check-in is a visit of its own, with every service it lists.
      totals.visits++;
      siteFigures.visits++;
      month.visits++;
      totals.anonymousVisits++;
      siteFigures.anonymousVisits++;
      month.anonymousVisits++;
      bump(anonymousServices, l);
      continue;
    }

    // A second check-in of the same woman at the same site that day is the same visit, and adds
    // only the services not counted for it before.
    let visit = NONE;
    if (d <= (lastVisitDay[w] as number)) {
      for (let v = visitHead[w] as number; v !== NONE; v = visitNext[v] as number) {
        if (visitDay[v] === d && visitSite[v] === s) {
          visit = v;
          break;
        }
      }
    }
    if (visit === NONE) {
      totals.visits++;
      siteFigures.visits++;
      month.visits++;
      totals.identifiedVisits++;
      if (firstSite[w] === NONE) {
        firstSite[w] = s;
        siteFigures.uniqueWomen++;
      } else if (firstSite[w] !== s) {
        let others = otherSites.get(w);
        if (!others) otherSites.set(w, (others = []));
        if (!others.includes(s)) {
          others.push(s);
          siteFigures.uniqueWomen++;
        }
      }
      visitNext.push(visitHead[w] as number);
      visitHead[w] = visitDay.push(d) - 1;
      visitSite.push(s);
      visitCounted.push(lists[l] as readonly string[]);
      if (d > (lastVisitDay[w] as number)) lastVisitDay[w] = d;
      mark(w, VISITED);
      bump(visitServices, l);
      if (hasAdvice[l]) mark(w, SUPPORTED);
      continue;
    }
    for (const service of lists[l] as readonly string[]) {
      const before = visitCounted[visit] as readonly string[];
      if (before.includes(service)) continue;
      visitCounted[visit] = [...before, service];
      addedServices.set(service, (addedServices.get(service) ?? 0) + 1);
      if (service === ADVICE_SERVICE) mark(w, SUPPORTED);
    }
  }

  let newWomen = 0;
  let reached = 0;
  let supported = 0;
  let visited = 0;
  for (const w of counted) {
    const f = flags[w] as number;
    if (f & REACHED) reached++;
    if (f & SUPPORTED) supported++;
    if (f & VISITED) visited++;
    // She has a record in the range, so her first record cannot be after it.
    const first = firstDays[w] as number;
    if (first < from) continue;
    newWomen++;
    (months[monthNumber(first) - firstMonth] as MonthFigures).newWomen++;
  }

  const serviceCounts = new Map(addedServices);
  const referralCounts = new Map<string, number>();
  const add = (into: Map<string, number>, key: string, n: number) => into.set(key, (into.get(key) ?? 0) + n);
  lists.forEach((list, l) => {
    // An anonymous check-in counts every service it lists; a visit each service once, however often listed.
    for (const s of list) {
      if (anonymousServices[l]) add(serviceCounts, s, anonymousServices[l] as number);
      if (listedReferrals[l]) add(referralCounts, s, listedReferrals[l] as number);
    }
    if (visitServices[l]) list.forEach((s, at) => list.indexOf(s) === at && add(serviceCounts, s, visitServices[l] as number));
  });
  const areaCounts = new Map<string, number>();
  areas.forEach((n, a) => n > 0 && add(areaCounts, strings[a] as string, n));

  const figures: Figures = {
    visits: totals.visits,
    anonymousVisits: totals.anonymousVisits,
    identifiedVisits: totals.identifiedVisits,
    uniqueWomen: counted.length,
    newWomen,
    services: Object.fromEntries([...serviceCounts].sort(byKey)),
    outreachContacts: totals.outreachContacts,
    womenReached: reached,
    unknownContacts: totals.unknownContacts,
    caseworkSessions: totals.caseworkSessions,
    womenSupported: supported,
    referrals: Object.fromEntries([...referralCounts].sort(byKey)),
    byArea: Object.fromEntries([...areaCounts].sort(byKey)),
    bySite: Object.fromEntries(sites.flatMap((f, s): [string, SiteFigures][] => (f ? [[strings[s] as string, f]] : [])).sort(byKey)),
    byMonth: Object.fromEntries(monthKeys.map((key, i) => [key, months[i] as MonthFigures])),
  };
  return { figures, women: counted.map((w) => strings[w] as string), visitedWomen: visited };
}

/**
 * Counts what outreach contacts and casework sessions in an inclusive range recorded, term by
 * term (TermFigures). Kept apart from countRecords, whose Figures are the headline figures: these
 * breakdowns read only contacts and sessions, a small part of a year's records.
 */
export function countTerms(records: Countable, range: DateRange): TermFigures {
  checkRange(range);
  const columns = columnsFrom(records);
  const from = dayNumber(range.from);
  const to = dayNumber(range.to);
  const { kind, woman, day, area, place, needs, support, topics, outcome, strings, lists } = columns;
  const term = (i: number) => strings[i] as string;
  const list = (i: number) => lists[i] as readonly string[];
  const areas = new TermTally();
  const places = new TermTally();
  const needTally = new TermTally();
  const supportTally = new TermTally();
  const topicTally = new TermTally();
  const outcomes = new TermTally();
  const caseworkWomen = new Set<number>();
  for (let i = 0; i < columns.size; i++) {
    const d = day[i] as number;
    if (kind[i] === VISIT || d < from || d > to) continue;
    const w = woman[i] as number;
    if (kind[i] === OUTREACH) {
      areas.addOne(term(area[i] as number), w);
      places.addOne(term(place[i] as number), w);
      needTally.add(list(needs[i] as number), w);
      supportTally.add(list(support[i] as number), w);
      continue;
    }
    topicTally.add(list(topics[i] as number), w);
    // One outcome per session; women by outcome is not a figure.
    const o = outcome[i] as number;
    outcomes.add(o === NONE ? [] : [term(o)], NONE);
    caseworkWomen.add(w);
  }
  return {
    byPlace: places.records(),
    womenByArea: areas.women(),
    womenByPlace: places.women(),
    needs: needTally.records(),
    womenByNeed: needTally.women(),
    support: supportTally.records(),
    womenBySupport: supportTally.women(),
    topics: topicTally.records(),
    womenByTopic: topicTally.women(),
    outcomes: outcomes.records(),
    caseworkWomen: caseworkWomen.size,
  };
}

/** Records with each term, and the distinct known women (by index, NONE for none) whose records had it. */
class TermTally {
  private readonly recordCounts = new Map<string, number>();
  private readonly womenWith = new Map<string, Set<number>>();
  /** Every known woman with a record here, whatever it had. */
  private readonly everyone = new Set<number>();

  /** One record's terms, each once; a record with none counts under NOT_RECORDED. */
  add(terms: readonly string[], woman: number): void {
    if (terms.length === 0) {
      this.recordCounts.set(NOT_RECORDED, (this.recordCounts.get(NOT_RECORDED) ?? 0) + 1);
      if (woman !== NONE) this.everyone.add(woman);
    }
    for (const term of terms) this.addOne(term, woman);
  }

  /** A record with exactly one term (an area, a kind of place): no list to build for each. */
  addOne(term: string, woman: number): void {
    this.recordCounts.set(term, (this.recordCounts.get(term) ?? 0) + 1);
    if (woman === NONE) return;
    let women = this.womenWith.get(term);
    if (!women) this.womenWith.set(term, (women = new Set()));
    women.add(woman);
    this.everyone.add(woman);
  }

  records(): Record<string, number> {
    return Object.fromEntries([...this.recordCounts].sort(byKey));
  }

  /**
   * Women with each term. NOT_RECORDED counts women none of whose records had any term: one who
   * raised housing at one contact and nothing at another raised housing, and is in that row only.
   */
  women(): Record<string, number> {
    const counts = new Map([...this.womenWith].map(([term, women]) => [term, women.size]));
    const withAny = new Set<number>();
    for (const women of this.womenWith.values()) for (const w of women) withAny.add(w);
    const none = this.everyone.size - withAny.size;
    if (none > 0) counts.set(NOT_RECORDED, none);
    return Object.fromEntries([...counts].sort(byKey));
  }
}

function checkRange(range: DateRange): void {
  parseLocalDate(range.from);
  parseLocalDate(range.to);
  if (range.from > range.to) throw new RangeError(`the range starts after it ends: ${range.from} to ${range.to}`);
}

/** Resolves the history and counts one range. */
export function countPeriod(
  events: Iterable<FootfallEvent>,
  config: Pick<OrgConfig, 'timeZone'>,
  range: DateRange,
): Figures {
  return countRecords(resolveRecords(events, config), range);
}

function bump(counts: Int32Array, i: number): void {
  counts[i] = (counts[i] as number) + 1;
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
