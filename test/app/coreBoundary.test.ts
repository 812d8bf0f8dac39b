/**
 * The device core's boundary (docs/architecture.md#the-device-core), checked on the source itself:
 * only src/app/core reaches IndexedDB, only core/publish.ts writes the store, and feature code is
 * handed the core instead of looking it up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const APP = join(ROOT, 'src/app');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const files = sourceFiles(APP).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
const outsideCore = files.filter((f) => !f.path.startsWith('src/app/core/'));

const TABLES = ['events', 'women', 'visits', 'settings', 'staff', 'device', 'batches', 'archive'];
// A table reached through a database handle, or called with a method only a Dexie table has.
const TABLE_ACCESS = new RegExp(
  `(\\bdb|database\\(\\)|\\.db)\\.(${TABLES.join('|')})\\b|\\.(${TABLES.join('|')})\\.(where|bulk\\w+|toArray|orderBy|primaryKeys|toCollection|count)\\(`,
);

function offenders(pattern: RegExp, among = outsideCore): string[] {
  return among.filter((f) => pattern.test(f.text)).map((f) => f.path);
}

describe('the device core is the only owner of the device’s storage', () => {
  it('finds the source it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.path === 'src/app/core/core.ts')).toBe(true);
  });

  it('no file outside src/app/core touches a Dexie table', () => {
    expect(offenders(TABLE_ACCESS)).toEqual([]);
  });

  it('no file outside src/app/core opens the database, imports Dexie or reaches the booted database', () => {
    expect(offenders(/from 'dexie'|new FootfallDb\(|\bdatabase\(\)|\.transaction\(/)).toEqual([]);
  });

  it('the store is written only by core/publish.ts', () => {
    expect(offenders(/useFootfall\.setState|\.setState\(\s*\{\s*phase/, files.filter((f) => f.path !== 'src/app/core/publish.ts'))).toEqual([]);
  });

  it('feature code is handed the core: nothing finds it through the store or a lookup', () => {
    expect(offenders(/requireSession|patchSession|session\.vault|session\.teamKeys/)).toEqual([]);
    // Only the composition root (the shell, sync's runtime, the lock itself) asks which core is open.
    expect(offenders(/openedCore\(/).sort()).toEqual(['src/app/Shell.tsx', 'src/app/lock/access.ts']);
  });

  it('nothing cites the brief: code cites the project’s own docs', () => {
    const all = sourceFiles(join(ROOT, 'src')).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
    expect(offenders(/DESIGN\.md/, all)).toEqual([]);
  });
});
