/**
 * Finding a woman by the name she goes by, forgivingly: case, accents, spacing and partial
 * words do not matter. "jose" finds "José", "ann ma" finds "Anna Maria".
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
}

export interface SearchIndex<T extends Searchable> {
  entries: Entry<T>[];
}

// Letters that Unicode does not decompose into a base letter and an accent.
const UNDECOMPOSED: Record<string, string> = { ł: 'l', ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower case, no accents, apostrophes dropped, other marks as single spaces. */
export function foldName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[łßæœøđðþı]/g, (c) => UNDECOMPOSED[c] ?? c)
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function buildSearchIndex<T extends Searchable>(items: Iterable<T>): SearchIndex<T> {
  const entries = [];
  for (const item of items) {
    const folded = foldName(item.knownAs);
    entries.push({ item, folded, words: folded.split(' '), compact: folded.replace(/ /g, '') });
  }
  return { entries };
}

/**
 * Best matches first: the whole name starting with the query, then every query word starting a
 * word of the name, then every query word found anywhere in the name. Ties sort by name.
 */
export function searchByName<T extends Searchable>(index: SearchIndex<T>, query: string, limit = 20): T[] {
  const q = foldName(query);
  if (!q) return [];
  const qWords = q.split(' ');
  const scored: { item: T; score: number; folded: string }[] = [];
  for (const entry of index.entries) {
    const score = scoreOf(entry, q, qWords);
    if (score > 0) scored.push({ item: entry.item, score, folded: entry.folded });
  }
  scored.sort((a, b) => b.score - a.score || (a.folded < b.folded ? -1 : a.folded > b.folded ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.item);
}

function scoreOf(entry: Entry<unknown>, q: string, qWords: string[]): number {
  if (entry.folded === q) return 4;
  if (entry.folded.startsWith(q)) return 3;
  if (qWords.every((w) => entry.words.some((word) => word.startsWith(w)))) return 2;
  if (qWords.every((w) => entry.folded.includes(w)) || entry.compact.includes(qWords.join(''))) return 1;
  return 0;
}
