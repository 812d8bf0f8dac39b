/**
 * `npm run backup -- <folder>`: a consistent copy of the SQLite database, taken while the server
 * runs (SQLite's online backup). It is all ciphertext, public keys, ids and times, so the copy is
 * as safe to keep off-site as the server itself. With PostgreSQL, use pg_dump (see README).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { configFromEnv } from './config.ts';
import { SQLITE_FILE } from './storage/sqlite.ts';

/** Copies the database in `dataDir` into `destDir`; returns the new file's path. */
export async function backupSqlite(dataDir: string, destDir: string, now = new Date()): Promise<string> {
  mkdirSync(destDir, { recursive: true });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const target = join(resolve(destDir), `footfall-${stamp}.sqlite3`);
  const source = new Database(join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
  return target;
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
