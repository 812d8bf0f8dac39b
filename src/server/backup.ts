/**
 * `npm run backup -- <folder>`: a consistent copy of the SQLite database, taken while the server
 * runs (SQLite's online backup). It is all ciphertext, public keys, ids and times, so the copy is
 * as safe to keep off-site as the server itself. With PostgreSQL, use pg_dump (see README).
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { configFromEnv } from './config.ts';
import { SQLITE_FILE } from './storage/sqlite.ts';

/**
 * Copies the database in `dataDir` into `destDir`; returns the new file's path. The copy is made
 * as private as the database itself (storage/sqlite.ts): a folder this creates is 0700, the file 0600.
 */
export async function backupSqlite(dataDir: string, destDir: string, now = new Date()): Promise<string> {
  const source = new Database(join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
  try {
    if (mkdirSync(destDir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(destDir, 0o700);
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const target = join(resolve(destDir), `footfall-${stamp}.sqlite3`);
    // Made empty and private first (an empty file is an empty database to SQLite), so the copy is
    // never readable by others, not even while it is being written.
    closeSync(openSync(target, 'a', 0o600));
    chmodSync(target, 0o600);
    await source.backup(target);
    return target;
  } finally {
    source.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dest = process.argv[2];
  try {
    const config = configFromEnv(process.env);
    if (config.databaseUrl) throw new Error('DATABASE_URL is set: back up PostgreSQL with pg_dump, as the README shows.');
    if (!dest) throw new Error('Say where to put the backup: npm run backup -- /path/to/backups');
    console.log(`Backed up to ${await backupSqlite(config.dataDir, dest)}`);
  } catch (error) {
    console.error(`Backup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
