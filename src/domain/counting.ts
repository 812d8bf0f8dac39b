/**
 * The counting rules of DESIGN.md §2: the product's contract. Every published figure comes from
 * here, and DEFINITIONS below is printed beside it, so the two must say the same thing.
 *
 * Counting happens in two steps. `resolveRecords` folds the event history into records as they
 * stand now (corrections, voids, services added later, merged women). `countRecords` then counts
 * those records for a date range. Visits are the only kind of record today; outreach contacts and
 * casework sessions join the `ResolvedRecord` union and are counted beside them.
 */
import { compareEvents, type EventOf, type FootfallEvent } from './events.ts';
import type { OrgConfig } from './config.ts';
import { monthsOf, type DateRange } from './periods.ts';
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

/** Every kind of record that counts. Outreach contacts and casework sessions will join this union. */
export type ResolvedRecord = ResolvedVisit;

export interface SiteFigures {
  visits: number;
  uniqueWomen: number;
  anonymousVisits: number;
}

export interface MonthFigures extends SiteFigures {
  newWomen: number;
}

export interface Figures {
  visits: number;
  anonymousVisits: number;
  identifiedVisits: number;
  uniqueWomen: number;
  newWomen: number;
  /** Visits that included each service, by service key. A service no visit had is absent. */
  services: Record<string, number>;
  /** By site key. A site with no visits in the range is absent. */
  bySite: Record<string, SiteFigures>;
  /** By month, YYYY-MM: every month the range touches, counted within the range only. */
  byMonth: Record<string, MonthFigures>;
}

export type FigureKey = Exclude<keyof Figures, 'bySite' | 'byMonth'>;

/** Plain-English definitions, printed as footnotes on every report and export. */
export const DEFINITIONS: readonly { figure: FigureKey | 'dates' | 'corrections'; term: string; text: string }[] = [
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
    text: 'Different known women with at least one visit in the period. Records found to be the same woman count once. Anonymous visits are not included.',
  },
  {
    figure: 'newWomen',
    term: 'New women',
    text: 'Unique women whose first record ever falls in the period.',
  },
  {
    figure: 'services',
    term: 'Services',
    text: "The number of visits that included each service. A service given at more than one of a woman's check-ins at the same site on the same day counts once.",
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
  // services array is the check-in event's own, never mutated.
  const records = new Map<string, ResolvedRecord>();
  const voided = new Set<string>();
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
        break; // a woman counts through her records, not her directory entry
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
    if (!record || voided.has(targetId)) continue;
    switch (c.type) {
      case 'visit.serviceAdded':
        if (!record.services.includes(c.service)) record.services = [...record.services, c.service];
        break;
      case 'visit.serviceRemoved':
        record.services = record.services.filter((s) => s !== c.service);
        break;
      case 'record.corrected': {
        const { occurredAt, womanId, siteId, services } = c.changes;
        if (occurredAt !== undefined) record.occurredAt = occurredAt;
        if (womanId !== undefined) record.womanId = womanId;
        if (siteId !== undefined) record.siteId = siteId;
        if (services !== undefined) record.services = services;
        break;
      }
      case 'record.voided':
        voided.add(targetId);
        break;
    }
  }

  const canonical = mergedWomen(merges.sort(compareEvents));
  const localDate = localDateReader(config.timeZone);
  const resolved: ResolvedRecord[] = [];
  for (const r of records.values()) {
    if (voided.has(r.id)) continue;
    if (r.womanId !== null) r.womanId = canonical(r.womanId);
    r.date = localDate(r.occurredAt);
    r.services = sortedSet(r.services);
    resolved.push(r);
  }
  return resolved;
}

/** Sorted and without repeats; always a fresh array, so no record shares an event's. */
function sortedSet(items: readonly string[]): string[] {
  if (items.length < 2) return items.slice();
  const sorted = [...items].sort();
  return sorted.filter((s, i) => i === 0 || s !== sorted[i - 1]);
}

/**
 * Union-find over merges, given in `compareEvents` order so that every device picks the same
 * canonical id: after A into B and then B into C, all three are C. A merge of two women who are
 * already one (a cycle such as A into B, B into A) changes nothing, so resolution always ends.
 */
function mergedWomen(merges: EventOf<'woman.merged'>[]): (womanId: string) => string {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    for (let p = parent.get(root); p !== undefined; p = parent.get(root)) root = p;
    // Path compression keeps long chains cheap for every later lookup.
    for (let node = id; node !== root; ) {
      const next = parent.get(node) as string;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  for (const m of merges) {
    const from = find(m.womanId);
    const into = find(m.intoId);
    if (from !== into) parent.set(from, into);
  }
  return find;
}

/** Counts resolved records for an inclusive range. Resolve once to count several periods. */
export function countRecords(records: readonly ResolvedRecord[], range: DateRange): Figures {
  parseLocalDate(range.from);
  parseLocalDate(range.to);
  if (range.from > range.to) throw new RangeError(`the range starts after it ends: ${range.from} to ${range.to}`);

  // "First record ever" looks at all history, not only the range.
  const firstDate = new Map<string, LocalDate>();
  for (const r of records) {
    if (r.womanId === null) continue;
    const first = firstDate.get(r.womanId);
    if (first === undefined || r.date < first) firstDate.set(r.womanId, r.date);
  }

  const totals = { visits: 0, anonymousVisits: 0, identifiedVisits: 0 };
  const services = new Map<string, number>();
  const sites = new Map<string, SiteFigures>();
  const months = new Map<string, MonthFigures>();
  for (const month of monthsOf(range)) months.set(month, { visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0 });
  const women = new Set<string>();
  const womenBySite = new Map<string, Set<string>>();
  const womenByMonth = new Map<string, Set<string>>();
  /** Each identified visit, keyed by woman, site and date, with the services counted for it. */
  const visitServices = new Map<string, Set<string>>();

  for (const r of records) {
    if (r.date < range.from || r.date > range.to) continue;
    const monthKey = r.date.slice(0, 7);
    const month = months.get(monthKey) as MonthFigures; // every month in the range is seeded above
    let site = sites.get(r.siteId);
    if (!site) sites.set(r.siteId, (site = { visits: 0, uniqueWomen: 0, anonymousVisits: 0 }));

    const womanId = r.womanId;
    // The services already counted for this visit: a second check-in of the same woman at the
    // same site that day is the same visit, and adds only services not given before.
    let counted: Set<string> | undefined;
    let isNewVisit = true;
    if (womanId !== null) {
      const visitKey = `${womanId}|${r.siteId}|${r.date}`;
      counted = visitServices.get(visitKey);
      isNewVisit = counted === undefined;
      if (!counted) visitServices.set(visitKey, (counted = new Set()));
    }
    if (isNewVisit) {
      totals.visits++;
      site.visits++;
      month.visits++;
      if (womanId === null) {
        totals.anonymousVisits++;
        site.anonymousVisits++;
        month.anonymousVisits++;
      } else {
        totals.identifiedVisits++;
        women.add(womanId);
        addTo(womenBySite, r.siteId, womanId);
        addTo(womenByMonth, monthKey, womanId);
      }
    }
    for (const s of r.services) {
      if (counted?.has(s)) continue;
      counted?.add(s);
      services.set(s, (services.get(s) ?? 0) + 1);
    }
  }

  let newWomen = 0;
  for (const w of women) {
    // She has a record in the range, so her first record cannot be after it.
    const first = firstDate.get(w) as LocalDate;
    if (first < range.from) continue;
    newWomen++;
    (months.get(first.slice(0, 7)) as MonthFigures).newWomen++;
  }
  for (const [site, set] of womenBySite) (sites.get(site) as SiteFigures).uniqueWomen = set.size;
  for (const [month, set] of womenByMonth) (months.get(month) as MonthFigures).uniqueWomen = set.size;

  return {
    ...totals,
    uniqueWomen: women.size,
    newWomen,
    services: Object.fromEntries([...services].sort(byKey)),
    bySite: Object.fromEntries([...sites].sort(byKey)),
    byMonth: Object.fromEntries(months),
  };
}

/** Resolves the history and counts one range. */
export function countPeriod(
  events: Iterable<FootfallEvent>,
  config: Pick<OrgConfig, 'timeZone'>,
  range: DateRange,
): Figures {
  return countRecords(resolveRecords(events, config), range);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
