/**
 * Deterministic, realistic "known as" names for the search benchmark: the names women at a
 * London drop-in centre might give, from many languages, with accents, hyphens, apostrophes,
 * initials and nicknames. The same seed gives the same names in Node and in Chromium.
 */

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Anna', 'Anne', 'Annie', 'Ana', 'Ana-María', 'Anna Maria', 'Agnieszka', 'Ágnes', 'Aisha', 'Aïcha', 'Amina', 'Amani',
  'Abena', 'Adaeze', 'Adwoa', 'Afua', 'Alina', 'Alexandra', 'Alice', 'Amy', 'Angela', 'Ángela', 'Antónia', 'Aoife',
  'Barbara', 'Bárbara', 'Beata', 'Beatriz', 'Becky', 'Bernadette', 'Bethany', 'Bogumiła', 'Bridget', 'Bronwen',
  'Carla', 'Carmen', 'Caroline', 'Cátia', 'Catherine', 'Cecília', 'Charlotte', 'Chloé', 'Chiamaka', 'Chipo', 'Claire',
  'Cristina', 'Dagmara', 'Daniela', 'Danuta', 'Dawn', 'Debbie', 'Deborah', 'Delphine', 'Denise', 'Diana', 'Dóra',
  'Dorota', 'Efua', 'Elena', 'Eleni', 'Elif', 'Elizabeth', 'Ellie', 'Émilie', 'Emma', 'Esi', 'Esperanza', 'Eszter',
  'Fatima', 'Fátima', 'Fatoumata', 'Filipa', 'Françoise', 'Gabriela', 'Gemma', 'Georgia', 'Gráinne', 'Grace',
  'Habiba', 'Halima', 'Hana', 'Hélène', 'Hannah', 'Hawa', 'Helen', 'Ioana', 'Inês', 'Ingrid', 'Irena', 'Irina',
  'Isabel', 'Jackie', 'Jade', 'Jadwiga', 'Jana', 'Jasmine', 'Jennifer', 'Joanna', 'Joana', 'Josée', 'Julia', 'Justyna',
  'Kasia', 'Katarzyna', 'Kateřina', 'Kayleigh', 'Kerry', 'Khadija', 'Kim', 'Lan', 'Laura', 'Leila', 'Leïla', 'Linh',
  'Lisa', 'Lucía', 'Łucja', 'Lydia', 'Magdalena', 'Małgorzata', 'Maria', 'María', 'Mariam', 'Marta', 'Mary-Jane',
  'Maureen', 'Mei', 'Michelle', 'Mihaela', 'Mirela', 'Monika', 'Nadia', 'Naomi', 'Natasha', 'Ngozi', 'Nicola', 'Nkechi',
  'Noémie', 'Nomvula', 'Nora', 'Olga', 'Oksana', 'Patricia', 'Paula', 'Precious', 'Rachel', 'Rahel', 'Renée', 'Rita',
  'Rosa', 'Rukhsana', 'Ruth', 'Sabina', 'Sandra', 'Sarah', 'Saoirse', 'Shabnam', 'Shanice', 'Siobhán', 'Simona',
  'Sinéad', 'Sofía', 'Sophie', 'Stacey', 'Svetlana', 'Tamara', 'Tanya', 'Tereza', 'Thi Hoa', 'Tracey', 'Tsehay',
  'Urszula', 'Valentina', 'Vanessa', 'Victoria', 'Viktória', 'Wanjiru', 'Weronika', 'Yasmin', 'Yetunde', 'Yolanda',
  'Zainab', 'Zawadi', 'Żaneta', 'Zoë', 'Zofia', 'Zsófia', 'Zuzana',
];

const SECOND = [
  "O'Neill", 'Nowak', 'Kowalska', 'Wiśniewska', 'Popescu', 'Ionescu', 'Silva', 'Gonçalves', 'Muñoz', 'García',
  'Nguyễn', 'Trần', 'Okafor', 'Mensah', 'Osei', 'Abebe', 'Haile', 'Ahmed', 'Hussain', 'Begum', 'Khan', 'Yılmaz',
  'Smith', 'Jones', 'Brown', 'Murphy', 'Kelly', 'Walsh', 'Dubois', 'Lefèvre', 'Müller', 'Schäfer', 'Novák', 'Dvořák',
  'Horváth', 'Nagy', 'Petrović', 'Jovanović', 'Kariuki', 'Mwangi', 'Diallo', 'Traoré',
];

const NICK = ['Big', 'Little', 'Auntie', 'Mama', 'Nan', 'Red', 'Blondie', 'Sunny', 'Tiny', 'Bubbles', 'Sweet'];

/** `count` known-as names; about one in four is also given a second word, initial or nickname. */
export function knownAsNames(count: number, seed = 20_260_501): string[] {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const first = pick(FIRST);
    const roll = r();
    if (roll < 0.45) names.push(first);
    else if (roll < 0.75) names.push(`${first} ${pick(SECOND)}`);
    else if (roll < 0.88) names.push(`${first} ${String.fromCharCode(65 + Math.floor(r() * 26))}.`);
    else if (roll < 0.95) names.push(`${pick(NICK)} ${first}`);
    else names.push(`${first} (${pick(SECOND)})`);
  }
  return names;
}

/**
 * What the person at the desk types: 1 to 4 letters of a name's start (often without the
 * accents, sometimes in capitals), partial words of two names ("ann ma"), or a piece from
 * the middle of a name.
 */
export function searchQueries(names: readonly string[], count: number, seed = 7): string[] {
  const r = rng(seed);
  const stripAccents = (s: string) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = names[Math.floor(r() * names.length)]!;
    const words = name.replace(/[().]/g, '').split(/\s+/).filter(Boolean);
    const roll = r();
    let q: string;
    if (roll < 0.55) {
      // The start of the name, 1 to 4 letters.
      q = words[0]!.slice(0, 1 + Math.floor(r() * 4));
    } else if (roll < 0.8 && words.length > 1) {
      // Partial words: "ann ma", "kas w".
      q = words.map((w) => w.slice(0, 1 + Math.floor(r() * 3))).join(' ');
    } else {
      // A piece from the middle of a word.
      const w = words[Math.floor(r() * words.length)]!;
      const len = Math.min(w.length, 2 + Math.floor(r() * 3));
      const start = Math.floor(r() * (w.length - len + 1));
      q = w.slice(start, start + len);
    }
    if (r() < 0.6) q = stripAccents(q);
    q = r() < 0.8 ? q.toLowerCase() : q;
    queries.push(q);
  }
  return queries;
}
