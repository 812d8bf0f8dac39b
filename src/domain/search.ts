/**
 * Finding a woman by the name she goes by, forgivingly: case, accents, apostrophes, spacing and
 * partial words do not matter ("jose" finds "José", "ann ma" finds "Anna Maria"), and neither do
 * small typos ("rossa" finds "Rosa", "amyra" finds "Amira"), which are shown after the names found
 * as typed. A woman registered again under a misspelt name is counted twice, so the same measure
 * also warns, while she is being registered, that she may already be known (`possibleDuplicates`).
 *
 * Typos are measured with a bounded edit distance over the distinct words of the directory, each
 * spelling once however many women share it: a keystroke stays well within a frame for 10,000
 * women (docs/architecture.md#performance-targets). No library: `src/domain` depends on nothing
 * beyond zod, papaparse, uuid and @date-fns/tz (docs/architecture.md), and this is a small loop.
 */

export interface Searchable {
  id: string;
  knownAs: string;
}

interface Entry<T> {
  item: T;
  folded: string;
  words: string[];
  /** Without spaces, so "anne marie" is found by "annemarie" and "o brien" by "obrien". */
  compact: string;
  /** Her words' places in `SearchIndex.terms`. */
  wordTerms: number[];
  /** Her compact name's place in `SearchIndex.terms` (her one word's, for a one-word name). */
  compactTerm: number;
}

export interface SearchIndex<T extends Searchable> {
  entries: Entry<T>[];
  /** Every distinct word and compact name of the entries. */
  terms: string[];
  /**
   * The same as code points, so a letter outside the BMP counts as one letter, not two: term i
   * is `letters` from `starts[i]` to `starts[i + 1]`. One array for all, as thousands of small
   * ones would slow building the index, done whenever the directory changes.
   */
  letters: Int32Array;
  starts: Int32Array;
}

/** A woman found, and how many typos were forgiven to find her: 0 when found as typed. */
export interface SearchMatch<T> {
  item: T;
  typos: number;
}

// Letters that Unicode does not decompose into a base letter and an accent.
const UNDECOMPOSED: Record<string, string> = { ł: 'l', ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/**
 * Apostrophes as keyboards and word processors write them: straight, curly (either way round),
 * reversed, the modifier letter, the prime, the acute and grave accents used as one, full width.
 * Dropped before decomposition, which would turn the acute and full-width ones into other marks.
 */
const APOSTROPHES = /['‘’‛`´ʼʹ′＇]/g;

/** Lower case, no accents, apostrophes dropped, other marks as single spaces. */
export function foldName(text: string): string {
  return text
    .replace(APOSTROPHES, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[łßæœøđðþı]/g, (c) => UNDECOMPOSED[c] ?? c)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * How many typos a query (or a name being registered) of this many letters, spaces aside, may
 * carry in all and still match: none up to two letters (one edit turns "an" into a hundred
 * names), one up to five, two beyond, the steps common search engines use (Elasticsearch's
 * "AUTO" fuzziness), so a short query does not flood the list.
 */
function typosAllowed(letters: number): number {
  return letters <= 2 ? 0 : letters <= 5 ? 1 : 2;
}

/**
 * How many of those one word of it may carry: the same steps, except that a word of two letters
 * in a longer query may have one ("jo smith" finds "Jon Smith") and an initial none: "Rosa T."
 * is another woman than "Rosa S.".
 */
function wordTyposAllowed(letters: number, budget: number): number {
  return Math.min(budget, letters === 1 ? 0 : letters <= 5 ? 1 : 2);
}

/**
 * A query word of at least this many letters may also match the start of a longer word with a
 * typo ("katsrz" finds "Katarzyna" as it is typed). Shorter ones would match the start of
 * nearly every name: "ann" is one edit from every word starting "an".
 */
const FUZZY_PREFIX_LETTERS = 4;

export function buildSearchIndex<T extends Searchable>(items: Iterable<T>): SearchIndex<T> {
  const entries: Entry<T>[] = [];
  const terms: string[] = [];
  const letters: number[] = [];
  const starts = [0];
  const termIds = new Map<string, number>();
  const termOf = (text: string): number => {
    let id = termIds.get(text);
    if (id === undefined) {
      id = terms.push(text) - 1;
      for (const c of text) letters.push(c.codePointAt(0)!);
      starts.push(letters.length);
      termIds.set(text, id);
    }
    return id;
  };
  for (const item of items) {
    const folded = foldName(item.knownAs);
    const words = folded.split(' ');
    const compact = folded.replace(/ /g, '');
    entries.push({ item, folded, words, compact, wordTerms: words.map(termOf), compactTerm: termOf(compact) });
  }
  return { entries, terms, letters: Int32Array.from(letters), starts: Int32Array.from(starts) };
}

/** The best matches' items, best first: see `searchMatches`. */
export function searchByName<T extends Searchable>(index: SearchIndex<T>, query: string, limit = 20): T[] {
  return searchMatches(index, query, limit).map((m) => m.item);
}

/**
 * Best matches first, as typed before typos: the whole name being the query, then starting with
 * it, then every query word starting a word of the name, then every query word found anywhere in
 * the name; then, with typos, fewest first (as many as the query's length allows, see
 * `typosAllowed`). Ties sort by name, then by id, so the order never depends on the order women
 * were registered in.
 */
export function searchMatches<T extends Searchable>(index: SearchIndex<T>, query: string, limit = 20): SearchMatch<T>[] {
  const q = foldName(query);
  if (!q) return [];
  const qWords = q.split(' ');
  const qCompact = qWords.join('');
  const budget = typosAllowed(lettersOf(qCompact).length);
  const wordDistances = qWords.map((w) => new TermDistances(index, w, budget, { prefix: true, inside: true }));
  const compactDistances = new TermDistances(index, qCompact, Math.min(budget, JOINED_TYPOS), { prefix: false, inside: false });

  const found: Ranked<T>[] = [];
  for (const entry of index.entries) {
    const tier = exactTier(entry, q, qWords, qCompact);
    if (tier < NOT_FOUND) {
      found.push({ entry, tier, typos: 0 });
      continue;
    }
    let typos = wordsTypos(entry.wordTerms, wordDistances, budget);
    if (spacedDifferently(qWords.length, entry)) typos = Math.min(typos, compactDistances.of(entry.compactTerm));
    if (typos < NOT_FOUND) found.push({ entry, tier: NOT_FOUND, typos });
  }
  return best(found, limit);
}

/**
 * Women whose name is close to one being registered, closest first: the same name written
 * differently or with typos, or her name with a word more or less ("Rosa" and "Rosa S."), which
 * is how a second registration of one woman usually differs. Unlike search, the name is taken as
 * complete: "Ann" is not close to "Annabel" or "Joanna".
 */
export function possibleDuplicates<T extends Searchable>(index: SearchIndex<T>, knownAs: string, limit = 3): T[] {
  const name = foldName(knownAs);
  if (!name) return [];
  const nWords = name.split(' ');
  const nCompact = nWords.join('');
  const budget = typosAllowed(lettersOf(nCompact).length);
  const whole = { prefix: false, inside: false };
  const wordDistances = nWords.map((w) => new TermDistances(index, w, budget, whole));
  const compactDistances = new TermDistances(index, nCompact, Math.min(budget, JOINED_TYPOS), whole);

  const found: Ranked<T>[] = [];
  for (const entry of index.entries) {
    // Each word of whichever name has fewer close to a word of the other. A word more on one
    // side is one more difference, within the same budget: "Rosa" may be "Rosa S.", but "Ann"
    // is not "Anna Maria".
    const extra = nWords.length === entry.words.length ? 0 : 1;
    const remaining = budget - extra;
    let typos = NOT_FOUND;
    if (remaining >= 0) {
      const words =
        nWords.length <= entry.words.length
          ? wordsTypos(entry.wordTerms, wordDistances, remaining)
          : herWordsTypos(entry.wordTerms, wordDistances, remaining);
      typos = Math.min(NOT_FOUND, extra + words);
    }
    if (spacedDifferently(nWords.length, entry)) typos = Math.min(typos, compactDistances.of(entry.compactTerm));
    if (typos < NOT_FOUND) found.push({ entry, tier: 0, typos });
  }
  return best(found, limit).map((m) => m.item);
}

/** Larger than any real count of typos: not a match. */
const NOT_FOUND = 1000;

interface Ranked<T> {
  entry: Entry<T>;
  /** 0 to 3 as typed (see `exactTier`), NOT_FOUND when found only with typos. */
  tier: number;
  typos: number;
}

/** 0: the whole name; 1: its start; 2: every query word starts a word; 3: every query word is in it. */
function exactTier(entry: Entry<unknown>, q: string, qWords: string[], qCompact: string): number {
  if (entry.folded === q) return 0;
  if (entry.folded.startsWith(q)) return 1;
  if (qWords.every((w) => entry.words.some((word) => word.startsWith(w)))) return 2;
  if (qWords.every((w) => entry.folded.includes(w)) || entry.compact.includes(qCompact)) return 3;
  return NOT_FOUND;
}

/**
 * Joined up, a name is compared with the whole of the other only, with one typo at most: spaced
 * differently is one difference already. A start of her name would let the query run into her
 * next word ("amyra" is not "Amy A.", "ann ma" not "Annabel"), and two typos would let "maria
 * anna" be "Marianne".
 */
const JOINED_TYPOS = 1;

/**
 * One side written as one word and the other as several ("annmarie", "Anne-Marie"): only then are
 * the names compared without spaces. Between names of several words each, it would let the last
 * letter of "rosa t" stand for any initial, and "Rosa T." be taken for "Rosa S.".
 */
function spacedDifferently(words: number, entry: Entry<unknown>): boolean {
  return (words === 1) !== (entry.words.length === 1);
}

/**
 * Each query word's fewest typos to any word of hers, summed; NOT_FOUND if one matches none or
 * the sum is over the query's budget.
 */
function wordsTypos(wordTerms: readonly number[], distances: readonly TermDistances[], budget: number): number {
  let sum = 0;
  for (const d of distances) {
    let fewest = NOT_FOUND;
    for (let j = 0; j < wordTerms.length && fewest > 0; j++) fewest = Math.min(fewest, d.of(wordTerms[j]!));
    sum += fewest;
    if (sum > budget) return NOT_FOUND;
  }
  return sum;
}

/** The same the other way round: each of her words' fewest typos to any word of the name. */
function herWordsTypos(wordTerms: readonly number[], distances: readonly TermDistances[], budget: number): number {
  let sum = 0;
  for (const term of wordTerms) {
    let fewest = NOT_FOUND;
    for (const d of distances) fewest = Math.min(fewest, d.of(term));
    sum += fewest;
    if (sum > budget) return NOT_FOUND;
  }
  return sum;
}

/**
 * Found ones, best first, at most `limit`. Only the best are kept in order as they come: a letter
 * or two match thousands of women, and sorting them all would cost more than finding them.
 */
function best<T extends Searchable>(found: Ranked<T>[], limit: number): SearchMatch<T>[] {
  let top: Ranked<T>[];
  if (found.length <= limit) {
    top = found.sort(order);
  } else {
    top = [];
    for (const r of found) {
      if (top.length === limit && order(r, top[limit - 1]!) >= 0) continue;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (order(top[mid]!, r) <= 0) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, r);
      if (top.length > limit) top.pop();
    }
  }
  return top.map((r) => ({ item: r.entry.item, typos: r.typos }));
}

function order(a: Ranked<Searchable>, b: Ranked<Searchable>): number {
  return (
    a.tier - b.tier ||
    a.typos - b.typos ||
    compare(a.entry.folded, b.entry.folded) ||
    compare(a.entry.item.knownAs, b.entry.item.knownAs) ||
    compare(a.entry.item.id, b.entry.item.id)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lettersOf(text: string): Int32Array {
  return Int32Array.from(text, (c) => c.codePointAt(0)!);
}

interface Measure {
  /** A long enough query word may also be the start of a term (see FUZZY_PREFIX_LETTERS). */
  prefix: boolean;
  /** A query word found inside a term ("oan" in "joanna") needs no typo, as search always found it. */
  inside: boolean;
}

/**
 * One query word's typos to the directory's terms, each worked out the first time it is asked
 * for: most terms are shared by many women, so a spelling costs one measure per keystroke.
 */
class TermDistances {
  private readonly letters: Int32Array;
  private readonly max: number;
  private readonly prefix: boolean;
  /** -1: not measured yet; else the typos, or max + 1 for too many. */
  private readonly known: Int8Array;

  /** `budget`: the typos the whole query may carry (see `typosAllowed`). */
  constructor(
    private readonly index: SearchIndex<Searchable>,
    private readonly word: string,
    budget: number,
    private readonly measure: Measure,
  ) {
    this.letters = lettersOf(word);
    this.max = wordTyposAllowed(this.letters.length, budget);
    this.prefix = measure.prefix && this.letters.length >= FUZZY_PREFIX_LETTERS;
    this.known = new Int8Array(index.terms.length).fill(-1);
  }

  /** The typos from this word to the term, NOT_FOUND when more than it may carry. */
  of(term: number): number {
    let d = this.known[term]!;
    if (d < 0) {
      d =
        this.measure.inside && this.index.terms[term]!.includes(this.word)
          ? 0
          : boundedDistance(this.letters, this.index.letters, this.index.starts[term]!, this.index.starts[term + 1]!, this.max, this.prefix);
      this.known[term] = d;
    }
    return d <= this.max ? d : NOT_FOUND;
  }
}

// Three rows of the distance table, reused by every measure: no allocation per word.
let rows = new Int32Array(3 * 64);

/**
 * The optimal-string-alignment distance from `q` to the term `t` holds from `from` to `to` (an
 * insertion, deletion, substitution or swap of two neighbouring letters is one edit), or max + 1
 * when it is more than `max`. With `prefix`, the distance to the closest start of the term:
 * "katsrz" is one edit from "Katarzyna". Columns past max letters beyond `q` cannot come back
 * within `max`, so they are never filled, and the table stops as soon as two rows running are
 * over `max` (a swap reaches back two rows).
 */
function boundedDistance(q: Int32Array, t: Int32Array, from: number, to: number, max: number, prefix: boolean): number {
  const m = q.length;
  const n = to - from;
  if (prefix ? n < m - max : Math.abs(n - m) > max) return max + 1;
  const cols = Math.min(n, m + max);
  const width = cols + 1;
  if (rows.length < 3 * width) rows = new Int32Array(3 * width);
  // Rows i - 2, i - 1 and i of the table, rotating through the buffer.
  let before = 0;
  let prev = width;
  let cur = 2 * width;
  for (let j = 0; j <= cols; j++) rows[prev + j] = j;
  let prevMin = 0;
  for (let i = 1; i <= m; i++) {
    const qi = q[i - 1]!;
    rows[cur] = i;
    let rowMin = i;
    for (let j = 1; j <= cols; j++) {
      const tj = t[from + j - 1]!;
      let d = Math.min(rows[prev + j]! + 1, rows[cur + j - 1]! + 1, rows[prev + j - 1]! + (qi === tj ? 0 : 1));
      if (i > 1 && j > 1 && qi === t[from + j - 2] && q[i - 2] === tj) d = Math.min(d, rows[before + j - 2]! + 1);
      rows[cur + j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max && prevMin > max) return max + 1;
    prevMin = rowMin;
    const oldest = before;
    before = prev;
    prev = cur;
    cur = oldest;
  }
  // The last row filled is now `prev`.
  let d = rows[prev + cols]!;
  if (prefix) for (let j = 0; j < cols; j++) d = Math.min(d, rows[prev + j]!);
  return Math.min(d, max + 1);
}
