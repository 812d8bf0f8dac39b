/**
 * The plain form of a chunk row of the reports' archive (src/app/core/archiveTable.ts), before it
 * is sealed: a few thousand events, every one checked against the event schema before it was
 * written (docs/sync.md#reading-the-archive).
 *
 * Version 2, written now, is compact: every distinct string once (`strings`), every distinct
 * shape of event once (its keys in order, each with the kind of its value), every distinct nested
 * value (a list of services, a woman's details) once (`values`), and the events as one flat list
 * of numbers (`cells`): for each, its shape, then one number per key. A year's archive is about a
 * third of the bytes of version 1 (`{ v: 1, events }`, the events as plain JSON), so a first
 * opening of the reports reads, decrypts and parses a third as much
 * (docs/architecture.md#performance-targets). Version 1 rows are still read; the report worker
 * rewrites them in version 2 once it has read them (src/app/admin/archive/openReport.ts).
 *
 * Beside its events, a version 2 row written since device signing keeps how each event's part was
 * sealed (`seals`: an index into `strings` per event, -1 for not known; src/domain/partSeals.ts),
 * for the check that needs every device's statements. Rows without it are read as not known.
 *
 * Checked at the boundary by shape only: AES-GCM with the row id as associated data proves a row
 * is exactly what this device sealed there, and it sealed only events it had checked. A zod pass
 * over half a million events on every opening would cost more than decrypting them, so the zod
 * schema checks the envelope and the shapes, and decoding checks every index it follows; a row
 * that fails either is counted as unreadable, never guessed at.
 */
import { z } from 'zod';
import type { FootfallEvent } from '../../../domain/events.ts';
import type { PartSeal } from '../../../domain/partSeals.ts';

/** A key's value: s a string (index into `strings`), n a number, b a boolean (0 or 1), z null (no cell), j anything else (index into `values`). */
type Kind = 's' | 'n' | 'b' | 'z' | 'j';

const ChunkV1 = z.object({ v: z.literal(1), events: z.custom<unknown[]>(Array.isArray) });

const ChunkV2 = z.object({
  v: z.literal(2),
  strings: z.custom<unknown[]>(Array.isArray),
  /** Each shape: its keys in order, each prefixed with its kind. */
  shapes: z.array(z.array(z.string().regex(/^[snbzj]./))),
  values: z.custom<unknown[]>(Array.isArray),
  cells: z.custom<unknown[]>(Array.isArray),
  seals: z.array(z.number().int().min(-1)).optional(),
});
export type ChunkV2 = z.infer<typeof ChunkV2>;

/** A chunk row's value as written now; `seals`, when given, has one for each event. */
export function encodeChunk(events: readonly FootfallEvent[], seals?: readonly PartSeal[]): ChunkV2 {
  const strings = new Interner();
  const values = new Interner();
  // A shape is interned by its fields, each ended by a line break: the keys are the event
  // schema's own names, none of which holds one.
  const shapes = new Interner();
  const cells: number[] = [];
  for (const e of events) {
    const fields = e as unknown as Record<string, unknown>;
    let shape = '';
    const at = cells.push(0) - 1;
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue; // as JSON leaves it out
      if (typeof value === 'string') {
        shape += `s${key}\n`;
        cells.push(strings.index(value, value));
      } else if (typeof value === 'number') {
        shape += `n${key}\n`;
        cells.push(value);
      } else if (typeof value === 'boolean') {
        shape += `b${key}\n`;
        cells.push(value ? 1 : 0);
      } else if (value === null) {
        shape += `z${key}\n`;
      } else {
        shape += `j${key}\n`;
        cells.push(values.index(JSON.stringify(value), value));
      }
    }
    cells[at] = shapes.index(shape, shape);
  }
  const shapeList = (shapes.list as string[]).map((shape) => shape.slice(0, -1).split('\n'));
  const sealCells = seals?.map((seal) => (seal === null ? -1 : strings.index(seal, seal)));
  return { v: 2, strings: strings.list, shapes: shapeList, values: values.list, cells, ...(sealCells && { seals: sealCells }) };
}

/**
 * A chunk row's events, in either version, or null when it is not a chunk this version reads or
 * does not decode. Nested values are shared between the events of a row and frozen: the reports
 * never change an event, and a change would throw rather than alter another event.
 */
export function decodeChunk(value: unknown): FootfallEvent[] | null {
  return decodeSealedChunk(value)?.events ?? null;
}

/** A chunk row's events, with how each event's part was sealed (null where the row does not say). */
export interface SealedEvents {
  events: FootfallEvent[];
  seals: PartSeal[];
  /** Set when the row is in the previous form: upgradeChunk writes it in this one. */
  previousForm?: true;
}

/** decodeChunk, with how each event's part was sealed. */
export function decodeSealedChunk(value: unknown): SealedEvents | null {
  const v1 = ChunkV1.safeParse(value);
  if (v1.success) return { events: v1.data.events as FootfallEvent[], seals: [], previousForm: true };
  const v2 = ChunkV2.safeParse(value);
  if (!v2.success) return null;
  try {
    const events = decodeV2(v2.data);
    return { events, seals: decodeSeals(v2.data, events.length) };
  } catch {
    return null;
  }
}

function decodeSeals({ seals, strings }: ChunkV2, count: number): PartSeal[] {
  if (!seals) return [];
  if (seals.length !== count) throw new Error('a seal for each event');
  return seals.map((n) => {
    if (n === -1) return null;
    const s = strings[n];
    if (typeof s !== 'string') throw new Error('a seal that is not a string');
    return s;
  });
}

/** A row read in the previous form (decodeSealedChunk), in this one; null for a row already in this form. */
export function upgradeChunk(row: SealedEvents): ChunkV2 | null {
  return row.previousForm ? encodeChunk(row.events) : null;
}

function decodeV2({ strings, shapes, values, cells }: ChunkV2): FootfallEvent[] {
  const shapeList = shapes.map((fields) => fields.map((f) => [f[0] as Kind, f.slice(1)] as const));
  const frozen = values.map(deepFreeze);
  const events: FootfallEvent[] = [];
  let i = 0;
  const cell = (): number => {
    const n = cells[i++];
    if (typeof n !== 'number') throw new Error('the row ends early');
    return n;
  };
  const at = <T>(list: readonly T[], n: number): T => {
    if (!(n in list)) throw new Error('an index past the end');
    return list[n] as T;
  };
  while (i < cells.length) {
    const e: Record<string, unknown> = {};
    for (const [kind, key] of at(shapeList, cell())) {
      switch (kind) {
        case 's': {
          const s = at(strings, cell());
          if (typeof s !== 'string') throw new Error('a string that is not one');
          e[key] = s;
          break;
        }
        case 'n':
          e[key] = cell();
          break;
        case 'b':
          e[key] = cell() === 1;
          break;
        case 'z':
          e[key] = null;
          break;
        case 'j':
          e[key] = at(frozen, cell());
          break;
      }
    }
    events.push(e as unknown as FootfallEvent);
  }
  return events;
}

/** Each distinct value once, in the order first seen, by a key that says when two are the same. */
class Interner {
  readonly list: unknown[] = [];
  private readonly seen = new Map<string, number>();

  index(key: string, value: unknown): number {
    let n = this.seen.get(key);
    if (n === undefined) {
      n = this.list.push(value) - 1;
      this.seen.set(key, n);
    }
    return n;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
