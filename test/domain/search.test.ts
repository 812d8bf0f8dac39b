/**
 * Search that forgives typos, and the "possibly already registered" hint. Found as typed (case,
 * accents, apostrophes, partial words) is covered in test/app/search.test.ts; here: typos, how far
 * they are forgiven, the order, and the names a registration may duplicate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownAsNames, searchQueries } from '../../bench/lib/names.ts';
import { buildSearchIndex, foldName, possibleDuplicates, searchByName, searchMatches, type Searchable } from '../../src/domain/search.ts';

const directory = (names: readonly string[]): Searchable[] => names.map((knownAs, i) => ({ id: `w${String(i).padStart(5, '0')}`, knownAs }));
const indexOf = (names: readonly string[]) => buildSearchIndex(directory(names));
const search = (names: readonly string[], query: string, limit?: number) => searchByName(indexOf(names), query, limit).map((w) => w.knownAs);
const duplicates = (names: readonly string[], knownAs: string, limit?: number) => possibleDuplicates(indexOf(names), knownAs, limit).map((w) => w.knownAs);

// The generated directory the benchmark searches (bench/lib/names.ts): realistic names from many
// languages, many of them shared by several women.
const TEN_THOUSAND = knownAsNames(10_000);
const BIG = indexOf(TEN_THOUSAND);

describe('search forgives typos', () => {
  const people = ['Rosa', 'Amira', 'Maria', 'Katarzyna', 'Zoë', 'Bea', 'Jon Smith', 'Rosa S.'];

  it('one typo: a letter too many, missing, wrong, or two letters swapped', () => {
    expect(search(people, 'rossa')).toEqual(['Rosa', 'Rosa S.']);
    expect(search(people, 'amyra')).toEqual(['Amira']);
    expect(search(people, 'mara')).toEqual(['Maria']);
    expect(search(people, 'mraia')).toEqual(['Maria']);
    expect(search(people, 'marai')).toEqual(['Maria']);
  });

  it('two typos in a longer word, one in a short one, none in one or two letters', () => {
    expect(search(people, 'katarzina')).toEqual(['Katarzyna']);
    expect(search(people, 'katazina')).toEqual(['Katarzyna']);
    expect(search(people, 'rsa')).toEqual(['Rosa', 'Rosa S.']);
    // Two typos in four letters are too many, and so is one in two.
    expect(search(people, 'rxsx')).toEqual([]);
    expect(search(people, 'ba')).toEqual([]);
    expect(search(people, 'ea')).toEqual(['Bea']);
  });

  it('forgives a typo in the start of a longer name, as it is typed', () => {
    expect(search(people, 'katsrz')).toEqual(['Katarzyna']);
    expect(search(people, 'amyr')).toEqual(['Amira']);
  });

  it('counts typos over the whole query, a short word included, but never forgives a wrong initial', () => {
    expect(search(people, 'jo smiht')).toEqual(['Jon Smith']);
    expect(search(people, 'jn smith')).toEqual(['Jon Smith']);
    // "Rosa T." is another woman than "Rosa S."; she may be "Rosa", registered without an initial.
    expect(search(people, 'rosa s')).toEqual(['Rosa S.', 'Rosa']);
    expect(search(people, 'rosa t')).toEqual(['Rosa']);
    // Two typos in one query of five letters are too many.
    expect(search(people, 'jn smit')).toEqual(['Jon Smith']);
    expect(search(people, 'jx smiht')).toEqual([]);
  });

  it('ignores accents both ways, with or without typos', () => {
    expect(search(people, 'zoe')).toEqual(['Zoë']);
    expect(search(['Zoe'], 'Zoë')).toEqual(['Zoe']);
    expect(search(['Zoë', 'Chloé'], 'ZOË')).toEqual(['Zoë']);
    expect(search(['José María'], 'jsoe maria')).toEqual(['José María']);
    expect(search(['Zoë Müller'], 'zoe muler')).toEqual(['Zoë Müller']);
  });

  it('reads every apostrophe alike, straight, curly, reversed or typed as an accent', () => {
    expect(foldName('O’Brien')).toBe('obrien');
    const spellings = ["O'Brien", 'O’Brien', 'O‘Brien', 'Oʼbrien', 'O´Brien', 'O`Brien', 'O＇Brien', 'OBrien'];
    for (const spelling of spellings) {
      expect(foldName(spelling)).toBe('obrien');
      expect(search(['O’Brien', 'Bea'], spelling)).toEqual(['O’Brien']);
      expect(search([spelling, 'Bea'], "o'brien")).toEqual([spelling]);
    }
    // And with a typo besides.
    expect(search(['O’Brien'], "o'brian")).toEqual(['O’Brien']);
  });

  it('finds a name written as one word or two, with a typo', () => {
    expect(search(['Anne-Marie', 'Annabel'], 'annemarei')).toEqual(['Anne-Marie']);
    expect(search(['Annemarie', 'Annabel'], 'ane marie')).toEqual(['Annemarie']);
    // Joined up, two typos are too many: "Marianne" is not "Maria Anna".
    expect(search(['Marianne'], 'maria anna')).toEqual([]);
  });

  it('finds every name of the directory by itself, and by itself with one letter wrong when it has five or more', () => {
    const letter = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzéöñłçåABDÉÖ');
    const word = fc.array(letter, { minLength: 2, maxLength: 8 }).map((ls) => ls.join(''));
    const name = fc.tuple(fc.array(word, { minLength: 1, maxLength: 3 }), fc.constantFrom(' ', '-', ' ’')).map(([ws, sep]) => ws.join(sep));
    fc.assert(
      fc.property(
        fc.array(name, { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
        (names, pick, at, replacement) => {
          const women = directory(names);
          const index = buildSearchIndex(women);
          const her = women[pick % women.length]!;
          const found = (query: string) => searchByName(index, query, Infinity).includes(her);
          expect(found(her.knownAs)).toBe(true);

          const letters = [...her.knownAs].flatMap((c, i) => (/\p{L}/u.test(c) ? [i] : []));
          if (letters.length < 5) return;
          const chars = [...her.knownAs];
          chars[letters[at % letters.length]!] = replacement;
          expect(found(chars.join(''))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds any name by itself, whatever it is written in', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 10 }), fc.nat(), (names, pick) => {
        const women = directory(names);
        const her = women[pick % women.length]!;
        fc.pre(foldName(her.knownAs) !== '');
        expect(searchByName(buildSearchIndex(women), her.knownAs, Infinity)).toContain(her);
      }),
      { numRuns: 300 },
    );
  });

  it('does not flood: three letters find few women more than as typed', () => {
    // Every three-letter start of a word in the directory, as the desk types it.
    const starts = [...new Set(TEN_THOUSAND.flatMap((n) => foldName(n).split(' ')).filter((w) => w.length >= 3).map((w) => w.slice(0, 3)))];
    expect(starts.length).toBeGreaterThan(100);
    for (const q of starts) {
      const found = searchMatches(BIG, q, Infinity);
      expect(found.length, q).toBeLessThan(TEN_THOUSAND.length / 10);
      expect(found.filter((m) => m.typos > 0).length, q).toBeLessThan(TEN_THOUSAND.length / 20);
    }
    for (const q of ['xqz', 'bbb', 'zzz', 'qua']) expect(searchMatches(BIG, q, Infinity).length, q).toBeLessThan(20);
  });
});

describe('the order of matches', () => {
  it('as typed first (whole name, its start, a word’s start, inside), then fewest typos, then by name', () => {
    const names = ['Rossa', 'Ambrosa', 'Rose', 'Big Rosa', 'Rosita', 'Rosalind', 'Rosa', 'Rsoa Z.'];
    expect(search(names, 'rosa')).toEqual(['Rosa', 'Rosalind', 'Big Rosa', 'Ambrosa', 'Rose', 'Rosita', 'Rossa', 'Rsoa Z.']);
    expect(search(['Katazina', 'Katarzina', 'Katarzyna'], 'katarzyna')).toEqual(['Katarzyna', 'Katarzina', 'Katazina']);
  });

  it('tells how many typos each match needed', () => {
    const found = searchMatches(indexOf(['Katazina', 'Katarzina', 'Katarzyna', 'Kat']), 'katarzyna');
    expect(found.map((m) => [m.item.knownAs, m.typos])).toEqual([
      ['Katarzyna', 0],
      ['Katarzina', 1],
      ['Katazina', 2],
    ]);
    expect(searchMatches(indexOf(['Kat']), 'ka').map((m) => m.typos)).toEqual([0]);
  });

  it('is the same whatever order the women were registered in, namesakes by id', () => {
    const women = directory(['Rosa', 'Rose', 'Rosa', 'Rossa', 'Rosalind', 'Rosa']);
    const order = (list: Searchable[]) => searchByName(buildSearchIndex(list), 'rosa').map((w) => w.id);
    const expected = ['w00000', 'w00002', 'w00005', 'w00004', 'w00001', 'w00003'];
    expect(order(women)).toEqual(expected);
    fc.assert(
      fc.property(fc.shuffledSubarray(women, { minLength: women.length }), (shuffled) => {
        expect(order(shuffled)).toEqual(expected);
      }),
    );
  });

  it('keeps the best within the limit', () => {
    expect(search(['Rossa', 'Rosa', 'Rose'], 'rosa', 2)).toEqual(['Rosa', 'Rose']);
  });
});

describe('possibleDuplicates', () => {
  const registered = ['Rosa', 'Rosa S.', 'Ana-María', 'Anna Maria', 'Joanna', 'Annabel', 'Katarzyna Nowak', 'O’Brien', 'Zoë'];

  it('finds the same name written differently or with typos, closest first', () => {
    expect(duplicates(registered, 'Roza')).toEqual(['Rosa']);
    // Joined up, "Rosa S." is one swap of two letters from "Rossa".
    expect(duplicates(registered, 'Rossa')).toEqual(['Rosa', 'Rosa S.']);
    expect(duplicates(registered, 'ana maria')).toEqual(['Ana-María', 'Anna Maria']);
    expect(duplicates(registered, 'Katarzina Nowak')).toEqual(['Katarzyna Nowak']);
    expect(duplicates(registered, "O'Brian")).toEqual(['O’Brien']);
    expect(duplicates(registered, 'ZOE')).toEqual(['Zoë']);
  });

  it('finds her name with a word more or less, after the same name', () => {
    expect(duplicates(registered, 'Rosa')).toEqual(['Rosa', 'Rosa S.']);
    expect(duplicates(registered, 'Katarzyna')).toEqual(['Katarzyna Nowak']);
    expect(duplicates(registered, 'Big Rosa')).toEqual(['Rosa']);
  });

  it('takes the name as whole: not a part of another name, nor another initial', () => {
    expect(duplicates(registered, 'Ann')).toEqual([]);
    expect(duplicates(registered, 'Rosa T.')).toEqual(['Rosa']);
    expect(duplicates(registered, 'Bea')).toEqual([]);
    expect(duplicates(registered, '  ')).toEqual([]);
  });

  it('gives at most `limit`, three by default', () => {
    const many = ['Rosa', 'Rosa', 'Rose', 'Rossa', 'Rosa B.'];
    expect(duplicates(many, 'Rosa')).toHaveLength(3);
    expect(duplicates(many, 'Rosa', 10)).toEqual(['Rosa', 'Rosa', 'Rosa B.', 'Rose', 'Rossa']);
  });
});

describe('speed, for the record (the benchmark, bench/run.ts, is what measures it)', () => {
  it('prints the time per query over 10,000 women', () => {
    const typed = searchQueries(TEN_THOUSAND, 300);
    // The same names with one letter wrong, as typed by someone who misheard.
    const misspelt = TEN_THOUSAND.slice(0, 300).map((n, i) => {
      const chars = [...foldName(n)];
      chars[i % chars.length] = 'x';
      return chars.join('');
    });
    const time = (queries: readonly string[], run: (q: string) => unknown = (q) => searchByName(BIG, q)) => {
      for (const q of queries) run(q); // warm-up, as the benchmark does
      const ms = queries.map((q) => {
        const start = performance.now();
        run(q);
        return performance.now() - start;
      });
      ms.sort((a, b) => a - b);
      const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(3);
      return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`;
    };
    const start = performance.now();
    buildSearchIndex(directory(TEN_THOUSAND));
    const build = (performance.now() - start).toFixed(1);
    console.log(`search 10,000 women in Node: as typed at the desk ${time(typed)}; misspelt ${time(misspelt)}; index built in ${build} ms`);
    console.log(`possibleDuplicates over 10,000 women, misspelt names: ${time(misspelt, (q) => possibleDuplicates(BIG, q))}`);
  });
});
