/**
 * The directory fold: which entries are the same woman, and what her entry says. The reports, the
 * counts, an erasure and every device use this one fold, so they cannot disagree.
 *
 * The fold is a function of the SET of directory events, whatever order or grouping they arrive
 * in: a device folds the directory page by page over days, and must end where the reports' fold
 * of everything at once ends. So its state keeps only what merges order-independently:
 * - what was said about each entry: her registration (the earliest, should one arrive twice), and
 *   the latest change of each field on its own (knownAs and each detail), with the change's stamp;
 * - every merge, as ids and stamp only, so that who she is counted under is worked out again from
 *   the merges in `compareEvents` order, exactly as counting does (docs/counting.md);
 * - every id an erasure covers. An erasure covers her whole merged group, and her id stays
 *   remembered so that a late registration or change cannot bring her back. What was said about
 *   her is dropped. Her records keep counting under her id: counting ignores erasure.
 *
 * What an entry shows is then resolved per group by replaying those facts in "latest wins" order:
 * a change wins over what was said before it; a registration only fills gaps (a change was made
 * by someone who had her registration, even if that device's clock was behind); and when two
 * entries are merged, what the entry kept says wins, the other filling its gaps.
 */
import { z } from 'zod';
import {
  compareEvents,
  EventId,
  Instant,
  KnownAs,
  WomanDetails,
  type EventOf,
  type FootfallEvent,
} from './events.ts';

/** Which event said something, as "latest wins" compares them. */
export const Stamp = z.object({ at: Instant, id: EventId });
export type Stamp = z.infer<typeof Stamp>;

/** Every field of an entry, each decided on its own. */
const Field = z.enum(['knownAs', ...WomanDetails.keyof().options]);
type Field = z.infer<typeof Field>;

/** An entry's fields as one flat object: her known-as name and her details. */
const Values = WomanDetails.extend({ knownAs: KnownAs.optional() });
type Values = z.infer<typeof Values>;

/** What the directory events said about one entry. */
export const Said = z.object({
  registration: Stamp.extend({ knownAs: KnownAs, details: WomanDetails }).optional(),
  /** The latest change of each field, and (in `stamps`) the change each came from. */
  changed: Values,
  stamps: z.partialRecord(Field, Stamp),
});
export type Said = z.infer<typeof Said>;

/** What an entry nothing has been said about yet holds. */
export const NOTHING_SAID: Said = { changed: {}, stamps: {} };

/** A woman.merged event, kept as ids and stamp only. */
export const MergeEdge = z.object({ id: EventId, at: Instant, womanId: EventId, intoId: EventId });
export type MergeEdge = z.infer<typeof MergeEdge>;

/**
 * The fold's state. Treated as immutable: `applyDirectoryEvents` returns a new one (or the same
 * one when the events change nothing), sharing what did not change.
 */
export const DirectoryFold = z.object({
  /** By entry id; entries an erasure covers are absent. */
  said: z.record(EventId, Said),
  /** Each merge once, in `compareEvents` order. */
  merges: z.array(MergeEdge),
  /** Every id an erasure covers, sorted. */
  erased: z.array(EventId),
});
export type DirectoryFold = z.infer<typeof DirectoryFold>;

export const EMPTY_DIRECTORY: DirectoryFold = { said: {}, merges: [], erased: [] };

/** A woman as search and the reports see her. */
export interface WomanProfile {
  /** Her canonical internal id after merges. */
  id: string;
  knownAs: string;
  details: WomanDetails;
  /** Device time of her registration: the earliest of the merged entries. */
  registeredAt: string;
}

/** The entries found to be one woman. */
export interface DirectoryGroup {
  /** The id she is counted under. */
  id: string;
  /** Every id of the group the fold knows, hers included. */
  members: string[];
  erased: boolean;
  /** Null when erased, or when no registration of hers has arrived yet. */
  woman: WomanProfile | null;
}

/** What is said about an entry: her registration, or a change to it (not a merge or an erasure). */
export function isEntryEvent(e: FootfallEvent): e is EventOf<'woman.registered' | 'woman.updated'> {
  return e.type === 'woman.registered' || e.type === 'woman.updated';
}

/**
 * Folds directory events (others are ignored) into the state. Events may come in any order,
 * grouping and number of times: the result depends only on the set of events folded so far.
 */
export function applyDirectoryEvents(state: DirectoryFold, events: Iterable<FootfallEvent>): DirectoryFold {
  let said: Record<string, Said> | undefined; // copied at the first change
  const written = new Set<string>();
  let covered = new Set(state.erased);
  const named: string[] = [];
  const edgeIds = new Set(state.merges.map((m) => m.id));
  const edges: MergeEdge[] = [];

  const current = (id: string) => (said ?? state.said)[id] ?? NOTHING_SAID;
  const write = (id: string, next: Said) => {
    said ??= { ...state.said };
    said[id] = next;
    written.add(id);
  };

  for (const e of events) {
    switch (e.type) {
      case 'woman.registered': {
        if (covered.has(e.womanId)) break;
        const now = current(e.womanId);
        if (now.registration && compareEvents(now.registration, e) <= 0) break;
        write(e.womanId, { ...now, registration: { at: e.at, id: e.id, knownAs: e.knownAs, details: e.details } });
        break;
      }
      case 'woman.updated': {
        if (covered.has(e.womanId)) break;
        const now = current(e.womanId);
        let next: Said | undefined;
        for (const [field, value] of changesOf(e)) {
          const stamp = now.stamps[field];
          if (stamp && compareEvents(e, stamp) <= 0) continue; // a later change of this field is in
          next ??= { ...now, changed: { ...now.changed }, stamps: { ...now.stamps } };
          (next.changed as Record<Field, unknown>)[field] = value;
          next.stamps[field] = { at: e.at, id: e.id };
        }
        if (next) write(e.womanId, next);
        break;
      }
      case 'woman.merged':
        if (edgeIds.has(e.id)) break; // merging twice is the same as merging once
        edgeIds.add(e.id);
        edges.push({ id: e.id, at: e.at, womanId: e.womanId, intoId: e.intoId });
        break;
      case 'woman.erased':
        if (covered.has(e.womanId)) break;
        covered.add(e.womanId);
        named.push(e.womanId);
        break;
      default:
        break;
    }
  }

  const merges = edges.length ? [...state.merges, ...edges].sort(compareEvents) : state.merges;
  let erased = state.erased;
  if (named.length || (edges.length && covered.size)) {
    // A merge can join a group to an erased one: every entry in it is that woman.
    const all = coveredIds(merges, covered);
    if (all.size > state.erased.length) {
      const before = new Set(state.erased);
      for (const id of all) if (!before.has(id)) written.add(id); // what was said about her goes
      erased = [...all].sort();
      covered = all;
    }
  }
  for (const id of written) {
    if (!covered.has(id) || !(id in (said ?? state.said))) continue;
    said ??= { ...state.said };
    delete said[id];
  }

  if (!said && merges === state.merges && erased === state.erased) return state;
  return { said: said ?? state.said, merges, erased };
}

/** The fields a change sets, each with its value. */
function changesOf(e: EventOf<'woman.updated'>): [Field, unknown][] {
  const fields: [Field, unknown][] = Object.entries(e.details).filter(([, v]) => v !== undefined) as [Field, unknown][];
  if (e.knownAs !== undefined) fields.push(['knownAs', e.knownAs]);
  return fields;
}

/** Every id in a group with one of `seeds` in it. */
function coveredIds(merges: readonly MergeEdge[], seeds: ReadonlySet<string>): Set<string> {
  const find = canonicalIds(merges);
  const roots = new Set([...seeds].map(find));
  const all = new Set(seeds);
  for (const m of merges) {
    if (roots.has(find(m.womanId))) all.add(m.womanId).add(m.intoId);
  }
  return all;
}

/**
 * Union-find over merges. Merges are applied in `compareEvents` order, so every device and the
 * counts pick the same canonical id: after A into B and then B into C, all three are C. A merge
 * of two women who are already one (crossing merges, A into B and B into A) changes nothing.
 */
class Groups {
  private readonly parent = new Map<string, string>();

  find = (id: string): string => {
    let root = id;
    for (let p = this.parent.get(root); p !== undefined; p = this.parent.get(root)) root = p;
    // Path compression keeps long chains cheap for every later lookup: counting a year's records
    // looks up hundreds of thousands.
    for (let node = id; node !== root; ) {
      const next = this.parent.get(node) as string;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  };

  /** Folds `from`'s group into `into`'s; false when they are one already. */
  union(from: string, into: string): boolean {
    const a = this.find(from);
    const b = this.find(into);
    if (a === b) return false;
    this.parent.set(a, b);
    return true;
  }
}

/** The id each woman is counted under, from merges in any order (and any number of copies). */
export function canonicalIds(merges: Iterable<MergeEdge>): (womanId: string) => string {
  const groups = new Groups();
  for (const m of [...merges].sort(compareEvents)) groups.union(m.womanId, m.intoId);
  return groups.find;
}

// A state's merges never change once made, so their lookup is built once per state.
const lookups = new WeakMap<readonly MergeEdge[], (womanId: string) => string>();

function lookupOf(state: Pick<DirectoryFold, 'merges'>): (womanId: string) => string {
  let find = lookups.get(state.merges);
  if (!find) lookups.set(state.merges, (find = canonicalIds(state.merges)));
  return find;
}

/** The id a woman is counted under: hers, or the one her group was merged into. */
export function canonicalIdOf(state: Pick<DirectoryFold, 'merges'>, womanId: string): string {
  return lookupOf(state)(womanId);
}

/**
 * The groups that hold `ids` (every group when not given), each resolved: who is in it, whether
 * it is erased, and what its entry shows.
 */
export function directoryGroups(state: DirectoryFold, ids?: Iterable<string>): DirectoryGroup[] {
  const find = lookupOf(state);
  const asked = ids === undefined ? [] : [...ids];
  const wanted = ids === undefined ? null : new Set(asked.map(find));
  const members = new Map<string, string[]>();
  const seen = new Set<string>();
  const add = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const root = find(id);
    if (wanted && !wanted.has(root)) return;
    const group = members.get(root);
    if (group) group.push(id);
    else members.set(root, [id]);
  };
  for (const id of Object.keys(state.said)) add(id);
  for (const m of state.merges) add(m.womanId), add(m.intoId);
  for (const id of state.erased) add(id);
  for (const id of asked) add(id);

  const edges = new Map<string, MergeEdge[]>();
  for (const m of state.merges) {
    const root = find(m.womanId);
    if (!members.has(root)) continue;
    let list = edges.get(root);
    if (!list) edges.set(root, (list = []));
    list.push(m);
  }
  const erased = new Set(state.erased);
  const groups: DirectoryGroup[] = [];
  for (const [root, group] of members) {
    const list = group.length > 1 ? group.sort() : group;
    const isErased = list.some((id) => erased.has(id));
    groups.push({ id: root, members: list, erased: isErased, woman: isErased ? null : resolveGroup(root, list, edges.get(root) ?? [], state.said) });
  }
  return groups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The women as search and the reports see them: one per group, erased ones absent, by id. */
export function directoryWomen(state: DirectoryFold): Map<string, WomanProfile> {
  const women = new Map<string, WomanProfile>();
  for (const group of directoryGroups(state)) if (group.woman) women.set(group.id, group.woman);
  return women;
}

type Step = Stamp &
  (
    | { rank: 0; woman: string; registration: NonNullable<Said['registration']> }
    | { rank: 1; woman: string; field: Field; value: unknown }
    | { rank: 2; merge: MergeEdge }
  );

interface Shown {
  values: Values;
  registeredAt?: string;
}

/** Replays what was said about a group's entries, and its merges, in "latest wins" order. */
function resolveGroup(root: string, members: readonly string[], merges: readonly MergeEdge[], said: DirectoryFold['said']): WomanProfile | null {
  if (!merges.length) {
    // An entry never merged, as most are: the replay comes to her latest change of each field,
    // else what her registration said (a change wins over it whichever is stamped first).
    const s = said[root];
    if (!s?.registration) return null;
    const { knownAs, ...details } = { ...s.registration.details, knownAs: s.registration.knownAs, ...s.changed };
    return { id: root, knownAs, details, registeredAt: s.registration.at };
  }
  const steps: Step[] = merges.map((merge) => ({ at: merge.at, id: merge.id, rank: 2, merge }));
  for (const woman of members) {
    const s = said[woman];
    if (!s) continue;
    if (s.registration) steps.push({ at: s.registration.at, id: s.registration.id, rank: 0, woman, registration: s.registration });
    for (const [field, stamp] of Object.entries(s.stamps) as [Field, Stamp][]) {
      steps.push({ ...stamp, rank: 1, woman, field, value: s.changed[field] });
    }
  }
  // Distinct events never tie; the rank keeps even damaged or converted data in one order.
  steps.sort((a, b) => compareEvents(a, b) || a.rank - b.rank);

  const groups = new Groups();
  const { find } = groups;
  const shown = new Map<string, Shown>();
  const entry = (id: string) => {
    let e = shown.get(id);
    if (!e) shown.set(id, (e = { values: {} }));
    return e;
  };
  for (const step of steps) {
    switch (step.rank) {
      case 0: {
        const e = entry(find(step.woman));
        fillGaps(e, { values: { ...step.registration.details, knownAs: step.registration.knownAs }, registeredAt: step.registration.at });
        break;
      }
      case 1:
        (entry(find(step.woman)).values as Record<Field, unknown>)[step.field] = step.value;
        break;
      case 2: {
        const from = find(step.merge.womanId);
        if (!groups.union(step.merge.womanId, step.merge.intoId)) break;
        const kept = entry(find(step.merge.intoId));
        const merged = shown.get(from);
        if (merged) fillGaps(kept, merged);
        shown.delete(from);
        break;
      }
    }
  }

  const e = shown.get(find(root));
  // An entry known only from changes (her registration not delivered yet) is not shown.
  if (!e?.registeredAt || e.values.knownAs === undefined) return null;
  const { knownAs, ...details } = e.values;
  return { id: root, knownAs, details, registeredAt: e.registeredAt };
}

/** What `into` says wins; `from` fills its gaps. Registered at the earlier of the two. */
function fillGaps(into: Shown, from: Shown): void {
  const values = into.values as Record<string, unknown>;
  for (const [field, value] of Object.entries(from.values)) if (values[field] === undefined) values[field] = value;
  if (from.registeredAt && (!into.registeredAt || from.registeredAt < into.registeredAt)) into.registeredAt = from.registeredAt;
}
