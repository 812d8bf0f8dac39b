/** Opens the endpoint's storage: PostgreSQL when a database URL is configured, else SQLite in the data folder. */
import { openPostgresStorage } from './postgres.ts';
import { openSqliteStorage } from './sqlite.ts';
import type { Storage } from './types.ts';

export { openPostgresStorage, type PostgresOptions } from './postgres.ts';
export { openSqliteStorage, SQLITE_FILE } from './sqlite.ts';
export * from './types.ts';

export function openStorage(config: { dataDir: string; databaseUrl?: string }): Promise<Storage> {
  return config.databaseUrl ? openPostgresStorage(config.databaseUrl) : openSqliteStorage(config.dataDir);
}
