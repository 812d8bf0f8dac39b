/**
 * Name search as the screens use it: the domain functions, then the list of matching women and
 * the "possibly already registered" hint, rendered (hence a DOM for this file).
 * @vitest-environment jsdom
 */
import '@testing-library/jest-dom/vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Woman } from '../../src/app/core/rows.ts';
import { MatchingWomen } from '../../src/app/directory/MatchingWomen.tsx';
import { PossibleDuplicates } from '../../src/app/directory/PossibleDuplicates.tsx';
import { useFootfall, type Session } from '../../src/app/store.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import { buildSearchIndex, foldName, searchByName, type Searchable } from '../../src/domain/search.ts';

let n = 0;
const w = (knownAs: string): Searchable => ({ id: `w${++n}`, knownAs });
const names = (items: Searchable[]) => items.map((i) => i.knownAs);
function search(list: string[], query: string, limit?: number): string[] {
  return names(searchByName(buildSearchIndex(list.map(w)), query, limit));
}

describe('foldName', () => {
  it('lower-cases, strips accents and collapses punctuation and spacing', () => {
    expect(foldName('José')).toBe('jose');
    expect(foldName('  ANNA   María ')).toBe('anna maria');
    expect(foldName('Zoë-Ångström')).toBe('zoe angstrom');
    expect(foldName('İpek')).toBe('ipek');
    expect(foldName('...')).toBe('');
  });

  it('keeps letters of other scripts and digits', () => {
    expect(foldName('Наташа 2')).toBe('наташа 2');
    expect(foldName('فاطمة')).toBe('فاطمة');
  });
});

describe('searchByName', () => {
  const people = ['José', 'Anna Maria', 'Annabel', 'Marianne', 'Joanna', 'Mary Ann', 'Ann', 'Chloé Dubois'];

  it('ignores case and accents, both ways', () => {
    expect(search(people, 'jose')).toEqual(['José']);
    expect(search(people, 'JOSÉ')).toEqual(['José']);
    expect(search(people, 'chloe')).toEqual(['Chloé Dubois']);
    expect(search(['Jose'], 'José')).toEqual(['Jose']);
  });

  it('finds partial words', () => {
    expect(search(people, 'chl')).toEqual(['Chloé Dubois']);
    expect(search(people, 'dub')).toEqual(['Chloé Dubois']);
    expect(search(people, 'bel')).toEqual(['Annabel']);
  });

  it('matches every word of a multi-word query, in any order', () => {
    // Word prefixes first, then "Marianne", which holds both only inside one word.
    expect(search(people, 'ann ma')).toEqual(['Anna Maria', 'Mary Ann', 'Marianne']);
    expect(search(people, 'maria anna')).toEqual(['Anna Maria']);
    expect(search(people, '  ann   ma  ')).toEqual(['Anna Maria', 'Mary Ann', 'Marianne']);
    // A word that appears nowhere rules the name out.
    expect(search(people, 'anna zed')).toEqual([]);
  });

  it('ranks exact, then whole-name prefix, then word prefixes, then substrings', () => {
    // "ann" is: exactly "Ann"; the start of "Annabel"; the start of a word in "Mary Ann"; inside "Joanna".
    expect(search(['Joanna', 'Mary Ann', 'Annabel', 'Ann'], 'ann')).toEqual(['Ann', 'Annabel', 'Mary Ann', 'Joanna']);
    // Same order whatever order they were registered in.
    expect(search(['Ann', 'Annabel', 'Joanna', 'Mary Ann'], 'ann')).toEqual(['Ann', 'Annabel', 'Mary Ann', 'Joanna']);
  });

  it('sorts ties by name', () => {
    expect(search(['Annie', 'Anna', 'Annabel'], 'ann')).toEqual(['Anna', 'Annabel', 'Annie']);
    expect(search(['Zara Ann', 'Bea Ann', 'Mo Ann'], 'ann')).toEqual(['Bea Ann', 'Mo Ann', 'Zara Ann']);
  });

  it('returns nothing for an empty, blank or punctuation-only query', () => {
    expect(search(people, '')).toEqual([]);
    expect(search(people, '   ')).toEqual([]);
    expect(search(people, '--')).toEqual([]);
  });

  it('returns nothing when no one matches', () => {
    expect(search(people, 'xyz')).toEqual([]);
    expect(search([], 'ann')).toEqual([]);
  });

  it('returns at most `limit` matches, 20 by default, best first', () => {
    const many = Array.from({ length: 30 }, (_, i) => `Sam ${String(i).padStart(2, '0')}`);
    expect(search(many, 'sam')).toHaveLength(20);
    expect(search(many, 'sam', 5)).toEqual(['Sam 00', 'Sam 01', 'Sam 02', 'Sam 03', 'Sam 04']);
    expect(search([...many, 'Sam'], 'sam', 1)).toEqual(['Sam']);
  });

  it('returns the items themselves, with their ids', () => {
    const items = [w('Ruth'), w('Ruthie')];
    const found = searchByName(buildSearchIndex(items), 'ruth');
    expect(found[0]).toBe(items[0]);
    expect(found.map((f) => f.id)).toEqual([items[0]!.id, items[1]!.id]);
  });

  it('finds names in other scripts', () => {
    expect(search(['Наташа', 'Natasha'], 'нат')).toEqual(['Наташа']);
    expect(search(['فاطمة', 'Fatima'], 'فاط')).toEqual(['فاطمة']);
  });

  it('answers 10,000 women quickly enough for typing', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ id: String(i), knownAs: `Woman ${i} ${i % 2 ? 'Ann' : 'Bea'}` }));
    const index = buildSearchIndex(many);
    const found = searchByName(index, 'woman 99 an', 5);
    expect(found.length).toBe(5);
    expect(found.every((f) => f.knownAs.includes('Ann'))).toBe(true);
  });
});

describe('names written differently', () => {
  const index = buildSearchIndex([
    { id: '1', knownAs: "O'Brien" },
    { id: '2', knownAs: 'Łucja' },
    { id: '3', knownAs: 'Anne-Marie' },
    { id: '4', knownAs: 'Søren' },
  ]);
  const ids = (q: string) => searchByName(index, q).map((w) => w.id);

  it('ignores apostrophes, letters Unicode does not decompose, and joined words', () => {
    expect(ids('obrien')).toEqual(['1']);
    expect(ids('o’brien')).toEqual(['1']);
    expect(ids('lucja')).toEqual(['2']);
    expect(ids('annemarie')).toEqual(['3']);
    expect(ids('marie')).toEqual(['3']);
    expect(ids('soren')).toEqual(['4']);
  });
});

describe('the matching women and the possible duplicates, on screen', () => {
  afterEach(() => cleanup());

  const woman = (id: string, knownAs: string, registeredAt: string, ageBand?: string): Woman => ({
    id,
    knownAs,
    registeredAt,
    details: ageBand ? { ageBand } : {},
  });
  const rosa = woman('01', 'Rosa', '2025-03-03T12:00:00.000Z', '25-34');
  const otherRosa = woman('02', 'Rosa', '2026-01-10T12:00:00.000Z', 'not-known');
  const bea = woman('03', 'Bea', '2025-05-01T12:00:00.000Z');
  const merged = { ...woman('04', 'Rosa', '2025-06-01T12:00:00.000Z'), mergedInto: '01' };
  const women = new Map([rosa, otherRosa, bea, merged].map((w) => [w.id, w]));
  // The components read the organisation's terms and time zone, the directory and the records this device keeps, from the session.
  const session: Pick<Session, 'config' | 'women' | 'visits' | 'contacts'> = { config: defaultConfig({ key: 'centre', name: 'Centre' }), women, visits: [], contacts: [] };
  useFootfall.setState({ phase: { kind: 'unlocked', session: session as Session } });

  it('tells namesakes apart by age band and registration, and marks close matches', () => {
    render(createElement(MatchingWomen, { query: 'rosa', limit: 8, onChoose: () => {} }));
    const list = within(screen.getByRole('list', { name: 'Matching women' }));
    // A merged duplicate is not offered; the button's name stays hers, the facts describe it.
    const [first, second] = list.getAllByRole('button', { name: 'Rosa' });
    expect(list.getAllByRole('button')).toHaveLength(2);
    expect(first).toHaveAccessibleDescription('age 25–34, registered 3 Mar 2025');
    expect(second).toHaveAccessibleDescription('registered 10 Jan 2026');
    expect(list.queryByText('close match')).not.toBeInTheDocument();
    cleanup();

    render(createElement(MatchingWomen, { query: 'rossa', limit: 8, onChoose: () => {} }));
    const close = within(screen.getByRole('list', { name: 'Matching women' })).getAllByRole('button', { name: 'Rosa' });
    expect(close[0]).toHaveAccessibleDescription('close match age 25–34, registered 3 Mar 2025');
    expect(close[1]).toHaveAccessibleDescription('close match registered 10 Jan 2026');
  });

  it('offers the women a registration may duplicate, to pick instead', () => {
    const onPick = vi.fn();
    render(createElement(PossibleDuplicates, { women, name: 'Roza', onPick }));
    expect(screen.getByRole('status')).toHaveTextContent('Possibly already registered: “Rosa”. Check it is not her before registering again.');
    const list = within(screen.getByRole('list', { name: 'Possibly already registered' }));
    const buttons = list.getAllByRole('button', { name: 'Choose Rosa instead' });
    expect(buttons).toHaveLength(2);
    expect(buttons[1]).toHaveAccessibleDescription('registered 10 Jan 2026');
    fireEvent.click(buttons[1]!);
    expect(onPick).toHaveBeenCalledWith(otherRosa);
  });

  it('shows nothing for a name no one is close to', () => {
    const { container } = render(createElement(PossibleDuplicates, { women, name: 'Zofia', onPick: () => {} }));
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });
});
