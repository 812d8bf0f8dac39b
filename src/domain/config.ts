/**
 * The organisation's configuration: services, sites, terms and time rules. Partner agencies use
 * different words, so every list is configurable; keys are stable and labels may change.
 */
import { z } from 'zod';
import { Key } from './key.ts';
import { foldName } from './search.ts';

const Label = z.string().trim().min(1, 'a label is needed').max(60, 'a label is at most 60 characters');

export const Term = z.object({ key: Key, label: Label, retired: z.boolean().default(false) });
export type Term = z.infer<typeof Term>;

export const AgeBand = Term.extend({ under18: z.boolean().default(false) });
export type AgeBand = z.infer<typeof AgeBand>;

export const Site = z.object({ key: Key, name: Label, retired: z.boolean().default(false) });
export type Site = z.infer<typeof Site>;

const uniqueKeys = <T extends { key: string }>(items: T[]) => new Set(items.map((i) => i.key)).size === items.length;
const TermList = z.array(Term).refine(uniqueKeys, 'each key may appear once');

const terms = (pairs: [string, string][]): Term[] => pairs.map(([key, label]) => ({ key, label, retired: false }));

/** London's 32 boroughs and the City of London: where outreach happens unless configured otherwise. */
export const DEFAULT_AREAS = terms([
  ['barking-and-dagenham', 'Barking and Dagenham'],
  ['barnet', 'Barnet'],
  ['bexley', 'Bexley'],
  ['brent', 'Brent'],
  ['bromley', 'Bromley'],
  ['camden', 'Camden'],
  ['city-of-london', 'City of London'],
  ['croydon', 'Croydon'],
  ['ealing', 'Ealing'],
  ['enfield', 'Enfield'],
  ['greenwich', 'Greenwich'],
  ['hackney', 'Hackney'],
  ['hammersmith-and-fulham', 'Hammersmith and Fulham'],
  ['haringey', 'Haringey'],
  ['harrow', 'Harrow'],
  ['havering', 'Havering'],
  ['hillingdon', 'Hillingdon'],
  ['hounslow', 'Hounslow'],
  ['islington', 'Islington'],
  ['kensington-and-chelsea', 'Kensington and Chelsea'],
  ['kingston-upon-thames', 'Kingston upon Thames'],
  ['lambeth', 'Lambeth'],
  ['lewisham', 'Lewisham'],
  ['merton', 'Merton'],
  ['newham', 'Newham'],
  ['redbridge', 'Redbridge'],
  ['richmond-upon-thames', 'Richmond upon Thames'],
  ['southwark', 'Southwark'],
  ['sutton', 'Sutton'],
  ['tower-hamlets', 'Tower Hamlets'],
  ['waltham-forest', 'Waltham Forest'],
  ['wandsworth', 'Wandsworth'],
  ['westminster', 'Westminster'],
]);

/** The kinds of place an outreach contact happens in. */
export const DEFAULT_PLACES = terms([
  ['street', 'Street'],
  ['hostel', 'Hostel'],
  ['hospital', 'Hospital'],
  ['police-station', 'Police station'],
  ['premises', 'Premises'],
  ['phone', 'Phone'],
  ['other', 'Other'],
]);

/** Needs a woman raises on outreach. */
export const DEFAULT_NEEDS = terms([
  ['food', 'Food'],
  ['hygiene', 'Hygiene'],
  ['health', 'Health'],
  ['housing', 'Housing'],
  ['safety', 'Safety'],
  ['advice', 'Advice'],
  ['other', 'Other'],
]);

/** Support given on outreach. */
export const DEFAULT_SUPPORT = terms([
  ['food', 'Food'],
  ['hygiene-kit', 'Hygiene kit'],
  ['advice', 'Advice'],
  ['accompaniment', 'Accompaniment'],
  ['signposting', 'Signposting'],
  ['other', 'Other'],
]);

/** Where outreach workers and caseworkers refer women to. */
export const DEFAULT_REFERRAL_DESTINATIONS = terms([
  ['gp', 'GP'],
  ['a-and-e', 'A&E'],
  ['sexual-health', 'Sexual health service'],
  ['drug-alcohol-service', 'Drug and alcohol service'],
  ['housing-options', 'Housing options'],
  ['police', 'Police'],
  ['legal-advice', 'Legal advice'],
  ['immigration-advice', 'Immigration advice'],
  ['domestic-abuse-service', 'Domestic abuse service'],
  ['other', 'Other'],
]);

/** What an advice or casework session covered. */
export const DEFAULT_CASEWORK_TOPICS = terms([
  ['housing', 'Housing'],
  ['health-gp', 'Health and GP registration'],
  ['drugs-alcohol', 'Drugs and alcohol'],
  ['benefits', 'Benefits'],
  ['legal-immigration', 'Legal and immigration advice'],
  ['safety', 'Safety'],
  ['exiting', 'Exiting (when she raises it)'],
]);

/** How an advice or casework session ended. */
export const DEFAULT_CASEWORK_OUTCOMES = terms([
  ['advice-given', 'Advice given'],
  ['referral-made', 'Referral made'],
  ['follow-up-booked', 'Follow-up booked'],
  ['resolved', 'Resolved'],
  ['did-not-attend', 'Did not attend'],
]);

/**
 * A list added after configurations were first stored: a stored configuration without it parses
 * with the default terms. Each parse gets its own copy, so editing one never changes another.
 */
const addedList = (defaults: Term[]) => TermList.default(() => defaults.map((t) => ({ ...t })));

export const OrgConfig = z.object({
  /** The organisation's name, printed on reports; empty until the admin gives it (stored before it existed). */
  name: z.string().trim().max(120, 'at most 120 characters').default(''),
  timeZone: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-GB', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/London')
    .default('Europe/London'),
  financialYearStartMonth: z.number().int().min(1).max(12).default(4),
  idleLockMinutes: z.number().int().min(1).max(240).default(5),
  /**
   * The retention rule: a woman whose latest record is older than this many years has her
   * identifying data erased (her records keep counting). Null: no rule. Added after
   * configurations were first stored, so a stored one without it has no rule.
   */
  retentionYears: z.number().int().min(1, 'keep identifying data at least 1 year').max(100, 'at most 100 years').nullable().default(null),
  services: TermList,
  sites: z.array(Site).min(1, 'at least one site is needed').refine(uniqueKeys, 'each site key may appear once'),
  safeguardingNote: z.string().trim().max(600),
  terms: z.object({
    ageBand: z.array(AgeBand).refine(uniqueKeys, 'each key may appear once'),
    nationality: TermList,
    ethnicity: TermList,
    housing: TermList,
    exploitation: TermList,
    referralSource: TermList,
  }),
  areas: addedList(DEFAULT_AREAS),
  places: addedList(DEFAULT_PLACES),
  needs: addedList(DEFAULT_NEEDS),
  support: addedList(DEFAULT_SUPPORT),
  referralDestinations: addedList(DEFAULT_REFERRAL_DESTINATIONS),
  caseworkTopics: addedList(DEFAULT_CASEWORK_TOPICS),
  caseworkOutcomes: addedList(DEFAULT_CASEWORK_OUTCOMES),
});
export type OrgConfig = z.infer<typeof OrgConfig>;

export const DEFAULT_SERVICES = terms([
  ['meal', 'Meal'],
  ['shower', 'Shower'],
  ['laundry', 'Laundry'],
  ['clothes', 'Clean clothes'],
  ['advice', 'Advice'],
]);

/** A working configuration for a new organisation; the admin edits it in Settings. */
export function defaultConfig(site: { key: string; name: string }): OrgConfig {
  return OrgConfig.parse({
    services: DEFAULT_SERVICES,
    // Areas, places, needs, support, referral destinations and casework terms come from the
    // schema's defaults, the same ones a configuration stored before they existed is given.
    sites: [{ ...site, retired: false }],
    safeguardingNote:
      'She may be under 18. Follow the safeguarding procedure now: tell the safeguarding lead on duty before she leaves.',
    terms: {
      ageBand: [
        { key: 'under-18', label: 'Under 18', under18: true },
        ...terms([
          ['18-24', '18–24'],
          ['25-34', '25–34'],
          ['35-44', '35–44'],
          ['45-54', '45–54'],
          ['55-64', '55–64'],
          ['65-plus', '65 and over'],
        ]),
      ],
      nationality: terms([
        ['uk', 'UK'],
        ['europe', 'Europe (not UK)'],
        ['africa', 'Africa'],
        ['asia', 'Asia'],
        ['americas', 'The Americas'],
        ['middle-east', 'Middle East'],
        ['oceania', 'Oceania'],
      ]),
      ethnicity: terms([
        ['asian', 'Asian or Asian British'],
        ['black', 'Black, Black British, Caribbean or African'],
        ['mixed', 'Mixed or multiple ethnic groups'],
        ['white', 'White'],
        ['other', 'Other ethnic group'],
      ]),
      housing: terms([
        ['rough-sleeping', 'Sleeping rough'],
        ['hostel', 'Hostel or supported housing'],
        ['temporary', 'Temporary accommodation'],
        ['sofa-surfing', 'Sofa surfing'],
        ['own-tenancy', 'Own tenancy'],
        ['other', 'Other'],
      ]),
      exploitation: terms([
        ['street-sex-work', 'Street-based prostitution'],
        ['off-street', 'Off-street prostitution'],
        ['trafficking', 'Trafficking'],
        ['sexual-exploitation', 'Sexual exploitation'],
        ['criminal-exploitation', 'Criminal exploitation'],
        ['domestic-servitude', 'Domestic servitude'],
      ]),
      referralSource: terms([
        ['self', 'Self-referral'],
        ['outreach', 'Our outreach'],
        ['police', 'Police'],
        ['health', 'Health service'],
        ['council', 'Council'],
        ['charity', 'Another charity'],
      ]),
    },
  });
}

/** A term as the lists hold it: sites have a name where the other lists have a label. */
export type TermLike = { key: string; label?: string; name?: string };

/** A label for a key, falling back to the key itself so a retired or renamed term still shows. */
export function labelOf(list: readonly TermLike[], key: string): string {
  const t = list.find((i) => i.key === key);
  return t?.label ?? t?.name ?? key;
}

/** A key made from a label: "Hot drink" becomes "hot-drink". */
export function keyFromLabel(label: string): string {
  return keyWords(label) || 'item';
}

/** The key a label makes, empty when it has no letter a key can hold (all of it punctuation, say). */
function keyWords(label: string): string {
  return label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/**
 * What a value written by hand (a historic spreadsheet's cell) stands for in a term list: one
 * term, several it could equally be, or none.
 */
export type TermMatch = { kind: 'one'; key: string } | { kind: 'several'; keys: string[] } | { kind: 'none' };

/**
 * Finds the term a value written by hand means. People write the same term many ways: "King's
 * Cross" typed with a straight apostrophe and "King’s Cross" pasted with a curly one make the
 * same key, so they must be the same term. Tried in turn, the first step that finds anything
 * deciding:
 *
 * 1. the key itself, in any case;
 * 2. the label or the key with typographic variants folded away: case, accents, apostrophes,
 *    dashes and spacing (the fold a woman's name is searched with, `foldName`);
 * 3. the key the value would make as a label (`keyFromLabel`): a term whose label has been
 *    changed since is still found by the words its key was made from.
 *
 * Two terms found at the same step are both returned: the caller asks which one is meant.
 */
export function termMatcher(list: readonly TermLike[]): (value: string) => TermMatch {
  const keys = new Set(list.map((t) => t.key));
  const byFolded = new Map<string, Set<string>>();
  for (const t of list) {
    for (const text of [t.key, t.label ?? t.name ?? '']) {
      const folded = foldName(text);
      if (folded !== '') byFolded.set(folded, (byFolded.get(folded) ?? new Set()).add(t.key));
    }
  }
  const matchOf = (found: readonly string[]): TermMatch | null =>
    found.length === 0 ? null : found.length === 1 ? { kind: 'one', key: found[0]! } : { kind: 'several', keys: [...found] };
  const only = (key: string) => (keys.has(key) ? [key] : []);
  return (value) =>
    matchOf(only(value.trim().toLowerCase())) ??
    matchOf([...(byFolded.get(foldName(value)) ?? [])]) ??
    matchOf(only(keyWords(value))) ?? { kind: 'none' };
}
