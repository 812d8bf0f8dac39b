import { describe, it, expect } from 'vitest';
import {
  DEFAULT_AREAS,
  DEFAULT_CASEWORK_OUTCOMES,
  DEFAULT_CASEWORK_TOPICS,
  DEFAULT_NEEDS,
  DEFAULT_PLACES,
  DEFAULT_REFERRAL_DESTINATIONS,
  DEFAULT_SUPPORT,
  OrgConfig,
  defaultConfig,
  keyFromLabel,
  termMatcher,
} from '../../src/domain/config.ts';

const ADDED = {
  areas: DEFAULT_AREAS,
  places: DEFAULT_PLACES,
  needs: DEFAULT_NEEDS,
  support: DEFAULT_SUPPORT,
  referralDestinations: DEFAULT_REFERRAL_DESTINATIONS,
  caseworkTopics: DEFAULT_CASEWORK_TOPICS,
  caseworkOutcomes: DEFAULT_CASEWORK_OUTCOMES,
} as const;

/** A configuration as devices stored it before outreach and casework existed. */
function storedBeforeOutreach(): Record<string, unknown> {
  const { areas, places, needs, support, referralDestinations, caseworkTopics, caseworkOutcomes, ...old } = defaultConfig({
    key: 'north',
    name: 'North',
  });
  return JSON.parse(JSON.stringify(old)) as Record<string, unknown>;
}

describe('OrgConfig', () => {
  it('parses a configuration stored before the outreach and casework lists, giving it the defaults', () => {
    const old = storedBeforeOutreach();
    for (const key of Object.keys(ADDED)) expect(old).not.toHaveProperty(key);
    const parsed = OrgConfig.parse(old);
    for (const [key, terms] of Object.entries(ADDED)) expect(parsed[key as keyof typeof ADDED]).toEqual(terms);
    expect(parsed.services).toEqual(defaultConfig({ key: 'north', name: 'North' }).services);
  });

  it('gives each parse its own copy of the defaults', () => {
    const a = OrgConfig.parse(storedBeforeOutreach());
    a.areas[0]!.label = 'Changed';
    a.places.push({ key: 'car', label: 'Car', retired: false });
    const b = OrgConfig.parse(storedBeforeOutreach());
    expect(b.areas).toEqual(DEFAULT_AREAS);
    expect(b.places).toEqual(DEFAULT_PLACES);
    expect(DEFAULT_AREAS[0]?.label).toBe('Barking and Dagenham');
  });

  it('keeps configured lists as they are', () => {
    const config = { ...storedBeforeOutreach(), areas: [{ key: 'luton', label: 'Luton' }] };
    expect(OrgConfig.parse(config).areas).toEqual([{ key: 'luton', label: 'Luton', retired: false }]);
  });

  it('refuses a list with a key twice', () => {
    const config = { ...storedBeforeOutreach(), caseworkTopics: [...DEFAULT_CASEWORK_TOPICS, DEFAULT_CASEWORK_TOPICS[0]] };
    expect(OrgConfig.safeParse(config).success).toBe(false);
  });

  it('defaults to the 32 London boroughs and the City of London', () => {
    const areas = defaultConfig({ key: 'north', name: 'North' }).areas.map((a) => a.key);
    expect(areas).toHaveLength(33);
    expect(areas).toContain('camden');
    expect(areas).toContain('city-of-london');
    expect(areas).toContain('westminster');
  });

  it('includes the kinds of place, topics and referral destinations the centre works with', () => {
    const c = defaultConfig({ key: 'north', name: 'North' });
    expect(c.places.map((p) => p.key)).toEqual(['street', 'hostel', 'hospital', 'police-station', 'premises', 'phone', 'other']);
    expect(c.caseworkTopics.map((t) => t.key)).toEqual([
      'housing',
      'health-gp',
      'drugs-alcohol',
      'benefits',
      'legal-immigration',
      'safety',
      'exiting',
    ]);
    expect(c.support.map((t) => t.key)).toEqual(['food', 'hygiene-kit', 'advice', 'accompaniment', 'signposting', 'other']);
    for (const list of Object.keys(ADDED)) expect(c[list as keyof typeof ADDED].length).toBeGreaterThan(0);
    expect(c.referralDestinations.map((t) => t.key)).toContain('gp');
    expect(c.caseworkOutcomes.map((t) => t.key)).toContain('did-not-attend');
  });
});

describe('keyFromLabel', () => {
  it('makes a key of lower-case letters, digits and dashes', () => {
    expect(keyFromLabel('Hot drink')).toBe('hot-drink');
    expect(keyFromLabel('  Crèche & Café ')).toBe('creche-cafe');
    expect(keyFromLabel('18–24')).toBe('18-24');
    expect(keyFromLabel('!!!')).toBe('item');
  });

  it('makes one key of a straight and a curly apostrophe, so Settings keeps one of them', () => {
    expect(keyFromLabel("King's Cross")).toBe('king-s-cross');
    expect(keyFromLabel('King’s Cross')).toBe('king-s-cross');
  });
});

describe('termMatcher', () => {
  const sites = [
    { key: 'king-s-cross', name: "King's Cross" },
    { key: 'old-kent-road', name: 'Bermondsey hub' },
    { key: 'a-and-e', name: 'A&E' },
  ];
  const match = termMatcher(sites);

  it('finds a term by its key, or its label or key in any typographic variant', () => {
    expect(match('KING-S-CROSS')).toEqual({ kind: 'one', key: 'king-s-cross' });
    for (const value of ['King’s Cross', "king's cross", 'Kings Cross', ' KING‘S  CROSS ', 'King’s-Cross', 'king s cross']) {
      expect(match(value), value).toEqual({ kind: 'one', key: 'king-s-cross' });
    }
    expect(match('bermondsey  HUB')).toEqual({ kind: 'one', key: 'old-kent-road' });
    expect(match('a&e')).toEqual({ kind: 'one', key: 'a-and-e' });
  });

  it('finds a renamed term by the words its key was made from', () => {
    expect(match('Old Kent Road')).toEqual({ kind: 'one', key: 'old-kent-road' });
  });

  it('folds accents', () => {
    expect(termMatcher([{ key: 'cafe', label: 'Café' }])('CAFE')).toEqual({ kind: 'one', key: 'cafe' });
    expect(termMatcher([{ key: 'x', label: 'Crèche' }])('creche')).toEqual({ kind: 'one', key: 'x' });
  });

  it('says when a value could be either of two terms, and when it is none', () => {
    const twins = termMatcher([
      { key: 'follow-up', label: 'Follow up' },
      { key: 'followup', label: 'Follow-up!' },
    ]);
    expect(twins('follow – up')).toEqual({ kind: 'several', keys: ['follow-up', 'followup'] });
    expect(twins('followup')).toEqual({ kind: 'one', key: 'followup' }); // its key, exactly
    expect(match('Riverside')).toEqual({ kind: 'none' });
    expect(match('???')).toEqual({ kind: 'none' });
  });
});
