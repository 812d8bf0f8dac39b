/**
 * Storage on PostgreSQL, for a host serving many organisations. Same tables and behaviour as the
 * SQLite adapter; here requests really do run concurrently, so every "check then write" is a
 * single conditional statement (ON CONFLICT DO NOTHING, UPDATE ... WHERE ... RETURNING) that
 * PostgreSQL serialises on the row, never a SELECT followed by a write. So several endpoint
 * processes can share one database (docs/sync.md#several-endpoint-processes): they share their
 * rate-limit counts here too.
 */
import pg from 'pg';
import type { Role } from '../../domain/protocol.ts';
import {
  afterCursor,
  batchPageCursors,
  CompactionRefused,
  existingBatchResult,
  isoTime,
  pageLimit,
  toAudit,
  toBatch,
  toClaim,
  toDirectoryEntry,
  toDevice,
  toEnvelope,
  toOrg,
  toWrappedKey,
  unknownBatchIds,
} from './rows.ts';
import type { AuditRow, BatchRow, DeviceRow, DirectoryRow, EnrolmentRow, EnvelopeRow, OrgRow, WrappedKeyRow } from './rows.ts';
import { DeviceExistsError, OrgExistsError, type NewAuditEntry, type NewBatch, type PutBatchResult, type RequestCount, type Storage, type StoredDevice } from './types.ts';

/** Version n is MIGRATIONS[n - 1]. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE orgs (
    org_id TEXT PRIMARY KEY,
    public_key JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  );
  CREATE TABLE devices (
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    device_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    signing_key JSONB NOT NULL,
    encryption_key JSONB NOT NULL,
    enrolled_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (org_id, device_id)
  );
  CREATE TABLE enrolments (
    lookup TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    role TEXT NOT NULL,
    package TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    used_by TEXT
  );
  CREATE TABLE batches (
    cursor BIGSERIAL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    batch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    activity TEXT NOT NULL,
    directory TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, batch_id),
    FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, device_id)
  );
  CREATE INDEX batches_by_org ON batches (org_id, cursor);
  CREATE TABLE wrapped_keys (
    position BIGSERIAL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    key_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    UNIQUE (org_id, key_id)
  );
  CREATE TABLE team_key_envelopes (
    org_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    sealed TEXT NOT NULL,
    PRIMARY KEY (org_id, device_id, version),
    FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, device_id)
  );
  CREATE TABLE audit (
    cursor BIGSERIAL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    at TIMESTAMPTZ NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    subject TEXT
  );
  CREATE INDEX audit_by_org ON audit (org_id, cursor);
  `,
  // Tombstones. A batch a compaction removes keeps its row, without its content, so that its id
  // stays taken: the unique (org_id, batch_id) key that makes uploads idempotent then also answers
  // a retried upload of a removed batch. A separate tombstone table would race: an upload's ON
  // CONFLICT waits for a compaction deleting the row, then finds no conflict and inserts the
  // removed content again.
  `
  ALTER TABLE batches ADD COLUMN removed_at TIMESTAMPTZ;
  `,
  // Rate limits shared by every endpoint process on this database. Unlogged: a count is written
  // on every request, and an unlogged table's writes skip the write-ahead log, so counting waits
  // for no disk flush. What that costs is harmless: after a crash of PostgreSQL the counts start
  // again from nothing, and a standby has none.
  `
  CREATE UNLOGGED TABLE request_counts (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    resets_at TIMESTAMPTZ NOT NULL
  );
  `,
  // Listing in commit order (docs/sync.md#listing-in-commit-order). A sequence numbers rows when
  // they are inserted, not when they commit, so a reader paging by it could move past a batch
  // whose upload commits later and never see it. Each row now records the transaction that
  // inserted it, and its listing key leads with that transaction's id: lists show only rows of
  // transactions older than every one still running, and those rows can no longer change, so
  // no later commit can land below a cursor already handed out. Rows from before keep their
  // cursor as their key, below every new key (2^58 and up), so cursors already held stay valid.
  `
  ALTER TABLE batches ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
  ALTER TABLE batches ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
  ALTER TABLE batches ADD COLUMN list_key BIGINT;
  UPDATE batches SET list_key = cursor;
  ALTER TABLE batches ALTER COLUMN list_key SET NOT NULL;
  CREATE FUNCTION batches_list_key() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    tx BIGINT := NEW.xid::text::bigint;
  BEGIN
    -- 2^40 transactions is decades at a thousand a second; past it keys would collide.
    IF tx >= 1099511627776 THEN
      RAISE EXCEPTION 'transaction ids beyond 2^40 do not fit a batch listing key';
    END IF;
    -- The low 18 bits of the sequence order the rows of one transaction among themselves.
    NEW.list_key := 288230376151711744 + (tx << 18) + (NEW.cursor & 262143);
    RETURN NEW;
  END $$;
  CREATE TRIGGER batches_list_key BEFORE INSERT ON batches FOR EACH ROW EXECUTE FUNCTION batches_list_key();
  CREATE UNIQUE INDEX batches_by_list_key ON batches (org_id, list_key);
  DROP INDEX batches_by_org;
  `,
  // What an organisation keeps, for its storage quota (api/orgQuota.ts): the sizes of its batches
  // still held, in an index, so that summing them need not visit the rows.
  `
  CREATE INDEX batches_held_sizes ON batches (org_id, size) WHERE removed_at IS NULL;
  `,
  // A claimed code's package is emptied (claimEnrolment): a spent code left in a browser's
  // History must open nothing on a copy of the server. Codes claimed before this lose theirs here.
  `
  UPDATE enrolments SET package = '' WHERE used_at IS NOT NULL;
  `,
  // The name the admin gave a device when she made its code: the device takes it when it claims
  // the code (it cannot know it before opening the package). Null for codes made before.
  `
  ALTER TABLE enrolments ADD COLUMN device_name TEXT;
  `,
  // A batch row kept whole in its table up to the largest row a page holds. By default a row over
  // about 2 KB, as the smallest upload's is (two sealed parts of 1 KiB and more), has its parts
  // compressed, which never works on ciphertext, and then one of them moved to the TOAST table:
  // a second row and index entry written, and read back, for every small batch. Rows written
  // before keep their form; larger batches are still moved out of line as before.
  `
  ALTER TABLE batches SET (toast_tuple_target = 8160);
  `,
];

/**
 * Groups of uploads (and likewise of rate-limit counts, of device lookups) being written or read
 * at once by one process: one, so that everything arriving meanwhile gathers into the next group.
 * Each statement costs the database about as much as the rows it writes; with two in flight,
 * groups held 2.5 to 4.6 uploads under the bench's load, and with one the database spent 15 to
 * 30% less time per upload and the endpoint took 12 to 23% more uploads a second in four of five
 * alternating runs (p99 unchanged, about 20 ms).
 */
const GROUPS_IN_FLIGHT = 1;

/** The items by key, in the order they came (Map.groupBy, which Node 20 lacks). */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Items that arrive while up to `inFlight` groups are being sent wait and go together as the next
 * group: `send` gets the items queued since the last group went, at most `most` of them, the
 * first first. At low load a group is a single item, sent at once. `send` answers each of its
 * items itself and never rejects.
 */
function grouped<T>(inFlight: number, send: (group: T[]) => Promise<void>, most = Number.POSITIVE_INFINITY): (item: T) => void {
  let queued: T[] = [];
  let sending = 0;
  const next = (): void => {
    while (queued.length > 0 && sending < inFlight) {
      const group = queued.length > most ? queued.splice(0, most) : queued;
      if (group === queued) queued = [];
      sending++;
      void send(group).finally(() => {
        sending--;
        next();
      });
    }
  };
  return (item) => {
    queued.push(item);
    next();
  };
}

/** How often each process deletes rate-limit counts whose window has ended. */
const PRUNE_REQUEST_COUNTS_MS = 60_000;

/** A batch as the storage hands it out: its listing key is its cursor. */
const BATCH_COLUMNS = 'list_key AS cursor, org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at';

/** Statements by name: node-postgres prepares each once per connection and reuses it. */
const SQL = {
  insertOrg: 'INSERT INTO orgs (org_id, public_key, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING org_id',
  getOrg: 'SELECT * FROM orgs WHERE org_id = $1',
  insertDevice: `INSERT INTO devices (org_id, device_id, name, role, signing_key, encryption_key, enrolled_at, last_seen_at, revoked_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING device_id`,
  // Several lookups in one statement (the same device may be asked for more than once).
  getDevices: 'SELECT * FROM devices WHERE (org_id, device_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
  listDevices: 'SELECT * FROM devices WHERE org_id = $1 ORDER BY enrolled_at, device_id',
  revokeDevice: 'UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND device_id = $2',
  // Requests can arrive out of order; last seen never goes backwards. GREATEST ignores NULL.
  touchDevice: 'UPDATE devices SET last_seen_at = GREATEST(last_seen_at, $3) WHERE org_id = $1 AND device_id = $2',
  insertEnrolment: `INSERT INTO enrolments (lookup, org_id, role, package, created_by, created_at, expires_at, device_name)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (lookup) DO NOTHING`,
  // A code whose admin device was revoked since is unusable (docs/security.md#enrolment-codes).
  useEnrolment: `UPDATE enrolments SET used_at = $2, used_by = $3
    WHERE lookup = $1 AND used_at IS NULL AND expires_at > $2
      AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.org_id = enrolments.org_id AND d.device_id = enrolments.created_by AND d.revoked_at IS NOT NULL)
    RETURNING org_id, role, package, device_name`,
  emptyEnrolmentPackage: `UPDATE enrolments SET package = '' WHERE lookup = $1`,
  insertBatch: `INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id, batch_id) DO NOTHING RETURNING cursor`,
  // The same insert with its audit entry, in one statement (so one transaction): the audit row is
  // written only when the batch row was.
  insertBatchAudited: `WITH stored AS (
      INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id, batch_id) DO NOTHING RETURNING cursor
    ), audited AS (
      INSERT INTO audit (org_id, at, actor, action, subject)
      SELECT $10::text, $11::timestamptz, $12::text, $13::text, $14::text FROM stored RETURNING cursor
    )
    SELECT cursor FROM stored`,
  getBatchSha: 'SELECT sha256, received_at FROM batches WHERE org_id = $1 AND batch_id = $2',
  storedBytes: 'SELECT COALESCE(SUM(size), 0)::text AS bytes FROM batches WHERE org_id = $1 AND removed_at IS NULL',
  getBatchShas: `SELECT org_id, batch_id, sha256, received_at FROM batches
    WHERE (org_id, batch_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
  // Only batches whose transaction is older than every one still running (the snapshot's xmin)
  // are listed, in listing-key order, and the key is what a reader gets as its cursor.
  listBatches: `SELECT ${BATCH_COLUMNS} FROM batches WHERE org_id = $1 AND list_key > $2 AND removed_at IS NULL
    AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY list_key LIMIT $3`,
  listBatchSizes: `SELECT list_key AS cursor, size FROM batches WHERE org_id = $1 AND list_key > $2 AND removed_at IS NULL
    AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY list_key LIMIT $3`,
  // Batches past the cursor that are committed but held back for an older transaction still running.
  heldBack: `SELECT EXISTS (SELECT 1 FROM batches WHERE org_id = $1 AND list_key > $2 AND removed_at IS NULL
    AND xid >= pg_snapshot_xmin(pg_current_snapshot())) AS held`,
  listBatchesAt: `SELECT ${BATCH_COLUMNS} FROM batches WHERE org_id = $1 AND list_key = ANY ($2::bigint[]) AND removed_at IS NULL ORDER BY list_key`,
  // octet_length of a value kept out of line reads its length, not the value.
  listDirectorySizes: `SELECT list_key AS cursor, octet_length(directory) AS size FROM batches WHERE org_id = $1 AND list_key > $2 AND removed_at IS NULL
    AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY list_key LIMIT $3`,
  listDirectoriesAt: `SELECT list_key AS cursor, batch_id, device_id, directory, received_at FROM batches
    WHERE org_id = $1 AND list_key = ANY ($2::bigint[]) AND removed_at IS NULL ORDER BY list_key`,
  // Removed ones included: naming an already removed batch again is a retry, not a mistake.
  findBatchIds: 'SELECT batch_id FROM batches WHERE org_id = $1 AND batch_id = ANY ($2::text[])',
  removeBatches: `UPDATE batches SET activity = '', directory = '', removed_at = $3
    WHERE org_id = $1 AND removed_at IS NULL AND batch_id = ANY ($2::text[])`,
  insertWrappedKey: 'INSERT INTO wrapped_keys (org_id, key_id, kind, wrapped) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, key_id) DO NOTHING',
  listWrappedKeys: 'SELECT key_id, kind, wrapped FROM wrapped_keys WHERE org_id = $1 ORDER BY position',
  putEnvelope: `INSERT INTO team_key_envelopes (org_id, device_id, version, sealed) VALUES ($1, $2, $3, $4)
    ON CONFLICT (org_id, device_id, version) DO UPDATE SET sealed = excluded.sealed`,
  listEnvelopes: 'SELECT version, sealed FROM team_key_envelopes WHERE org_id = $1 AND device_id = $2 ORDER BY version',
  appendAudit: 'INSERT INTO audit (org_id, at, actor, action, subject) VALUES ($1, $2, $3, $4, $5)',
  listAudit: 'SELECT * FROM audit WHERE org_id = $1 AND cursor > $2 ORDER BY cursor LIMIT $3',
  // The requests counted meanwhile by this process, in one statement: each key with how many
  // requests it counts (so each key once), in key order, so that two processes counting the same
  // keys lock their rows in the same order and never deadlock. The row lock orders concurrent counts
  // from every process. Times are the database's own clock, the one clock all processes share,
  // read as the statement runs (clock_timestamp), not when its transaction began (now), which can
  // be before a count it waited for. "Has the window ended" is asked once per key, of the time
  // this statement reached it (the new window's end less its length), so the count and the
  // window's end always change together.
  countRequests: `INSERT INTO request_counts AS r (key, count, resets_at)
      SELECT k.key, k.n, clock_timestamp() + make_interval(secs => $3::int / 1000.0) FROM unnest($1::text[], $2::int[]) AS k (key, n)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN r.resets_at <= excluded.resets_at - make_interval(secs => $3::int / 1000.0) THEN excluded.count ELSE r.count + excluded.count END,
      resets_at = CASE WHEN r.resets_at <= excluded.resets_at - make_interval(secs => $3::int / 1000.0) THEN excluded.resets_at ELSE r.resets_at END
    RETURNING key, count, GREATEST(0, CEIL(EXTRACT(EPOCH FROM r.resets_at - clock_timestamp()) * 1000))::int AS reset_in_ms`,
  pruneRequestCounts: 'DELETE FROM request_counts WHERE resets_at <= clock_timestamp()',
} as const;

type Queryable = pg.Pool | pg.PoolClient;

/** Rows of values as `width` columns, one array each: the parameters of an unnest(...) insert. */
function columns(rows: unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}

/** The most uploads one group statement inserts: more wait for the next group. */
const MAX_UPLOAD_GROUP = 64;

/**
 * A group of `n` uploads in one statement, so one round trip and one commit: the batches as `n`
 * rows of parameters, then the audit entries as parallel arrays with the (organisation, batch)
 * each belongs to, each written only when its batch row was. The batches are rows of their own,
 * not arrays: PostgreSQL reads an array parameter character by character to split it, and
 * node-postgres escapes each element, which for sealed parts of hundreds of kilobytes cost more
 * than the insert (docs/sync.md#server-storage).
 */
function insertBatchGroupSql(n: number): string {
  const rows = Array.from({ length: n }, (_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(', ')})`);
  const a = (i: number) => `$${n * 9 + i}`;
  return `WITH stored AS (
      INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)
      VALUES ${rows.join(', ')}
      ON CONFLICT (org_id, batch_id) DO NOTHING RETURNING org_id, batch_id
    ), audited AS (
      INSERT INTO audit (org_id, at, actor, action, subject)
      SELECT a.org_id, a.at, a.actor, a.action, a.subject
      FROM unnest(${a(1)}::text[], ${a(2)}::text[], ${a(3)}::text[], ${a(4)}::timestamptz[], ${a(5)}::text[], ${a(6)}::text[], ${a(7)}::text[])
        AS a (batch_org_id, batch_id, org_id, at, actor, action, subject)
      JOIN stored s ON s.org_id = a.batch_org_id AND s.batch_id = a.batch_id
      RETURNING cursor
    )
    SELECT org_id, batch_id FROM stored`;
}

/** The group statements, by size: each prepared once per connection under its own name. */
const insertBatchGroupText = Array.from({ length: MAX_UPLOAD_GROUP + 1 }, (_, n) => (n ? insertBatchGroupSql(n) : ''));

function run<R extends pg.QueryResultRow>(db: Queryable, name: keyof typeof SQL, values: unknown[]): Promise<pg.QueryResult<R>> {
  return db.query<R>({ name: `footfall.${name}`, text: SQL[name], values });
}

/**
 * How long a list waits for older uploads still committing before it answers without the newer
 * batches they hold back (docs/sync.md#listing-in-commit-order). Uploads commit in milliseconds,
 * so a device that has just stored a batch sees it listed; one stuck transaction delays a list by
 * this much at most.
 */
const HELD_BACK_WAIT_MS = [5, 10, 20, 40, 80, 160, 320, 640];

/** Lists with `list` until it misses nothing an older, still committing transaction holds back, or the waits run out. */
async function settledList<R>(pool: pg.Pool, orgId: string, after: string, limit: number, list: () => Promise<R[]>): Promise<R[]> {
  let rows = await list();
  for (const wait of HELD_BACK_WAIT_MS) {
    if (rows.length >= limit) break;
    const { rows: held } = await run<{ held: boolean }>(pool, 'heldBack', [orgId, after]);
    if (!held[0]!.held) break;
    await new Promise((resolve) => setTimeout(resolve, wait));
    rows = await list();
  }
  return rows;
}

/**
 * One page of a listing. Sizes are cheap to read here (PostgreSQL keeps large values such as the
 * sealed parts out of line, and reads them only when asked for), so the candidates come in one
 * query (`sizes`). The page's rows are then read by cursor (`at`): one a compaction removes
 * meanwhile is simply not listed, and no batch beyond those planned gets in.
 */
async function pageOf<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  sizes: 'listBatchSizes' | 'listDirectorySizes',
  at: 'listBatchesAt' | 'listDirectoriesAt',
  orgId: string,
  after: string | null,
  limit: number,
  maxBytes: number,
): Promise<{ rows: R[]; next: string | null }> {
  const [count, bytes] = [pageLimit(limit), pageLimit(maxBytes)];
  const from = afterCursor(after);
  const listed = await settledList(pool, orgId, from, count + 1, async () => (await run<{ cursor: string; size: string }>(pool, sizes, [orgId, from, count + 1])).rows);
  const { cursors, more } = batchPageCursors(listed, count, bytes);
  const last = cursors.at(-1);
  if (last === undefined) return { rows: [], next: null };
  return { rows: (await run<R>(pool, at, [orgId, cursors])).rows, next: more ? last : null };
}

/** Takes a connection, runs `fn` between BEGIN and COMMIT, and rolls back if it throws. */
async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is thrown away rather than handed to the next request.
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}

async function migrate(pool: pg.Pool, schema: string | undefined): Promise<void> {
  await transaction(pool, async (c) => {
    // Held until COMMIT: a second process starting at the same moment waits, then finds nothing to do.
    await c.query("SELECT pg_advisory_xact_lock(hashtext('footfall.migrations'))");
    if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await c.query<{ current: number }>('SELECT COALESCE(MAX(version), 0)::int AS current FROM schema_version');
    const current = rows[0]?.current ?? 0;
    for (const [i, sql] of MIGRATIONS.entries()) {
      if (i + 1 <= current) continue;
      await c.query(sql);
      await c.query('INSERT INTO schema_version (version) VALUES ($1)', [i + 1]);
    }
  });
}

export interface PostgresOptions {
  /** Keep the tables in this schema (created if needed) instead of the default search path. */
  schema?: string;
  /** Most connections held at once. */
  maxConnections?: number;
}

export async function openPostgresStorage(connectionString: string, options: PostgresOptions = {}): Promise<Storage> {
  const { schema } = options;
  // The name goes into SQL and a startup option unquoted, so only plain identifiers are allowed.
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new RangeError('A PostgreSQL schema name is lowercase letters, digits and underscores.');
  }
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 10_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that dies (a database restart) must not crash the process; the pool
  // drops it and the next query opens a fresh one.
  pool.on('error', () => {});
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }

  const insertDevice = async (db: Queryable, d: StoredDevice): Promise<boolean> => {
    const { rowCount } = await run(db, 'insertDevice', [
      d.orgId,
      d.deviceId,
      d.name,
      d.role,
      JSON.stringify(d.signingKey),
      JSON.stringify(d.encryptionKey),
      isoTime(d.enrolledAt),
      d.lastSeenAt === null ? null : isoTime(d.lastSeenAt),
      d.revokedAt === null ? null : isoTime(d.revokedAt),
    ]);
    return rowCount === 1;
  };

  const batchValues = (b: NewBatch) => [b.orgId, b.batchId, b.deviceId, b.seq, b.activity, b.directory, b.sha256, b.size, isoTime(b.receivedAt)];
  const auditValues = (e: NewAuditEntry) => [e.orgId, isoTime(e.at), e.actor, e.action, e.subject];

  const addWrappedKeys = async (db: Queryable, orgId: string, keys: { id: string; kind: string; wrapped: string }[]) => {
    for (const k of keys) await run(db, 'insertWrappedKey', [orgId, k.id, k.kind, k.wrapped]);
  };

  // Counts whose window has ended are counted afresh anyway; deleting them keeps the table as
  // small as the keys active within one window. A failure (the database restarting) waits for the
  // next turn: nothing depends on it.
  const pruning = setInterval(() => void run(pool, 'pruneRequestCounts', []).catch(() => {}), PRUNE_REQUEST_COUNTS_MS);
  pruning.unref();

  /** One upload alone: its own statement, and a second to read the id's row when it was taken. */
  const putBatchAlone = async (b: NewBatch, audit: NewAuditEntry | undefined): Promise<PutBatchResult> => {
    const receivedAt = isoTime(b.receivedAt);
    const values = batchValues(b);
    const insert = audit ? () => run(pool, 'insertBatchAudited', [...values, ...auditValues(audit)]) : () => run(pool, 'insertBatch', values);
    // ON CONFLICT waits for a concurrent insert of the same id to commit. The follow-up SELECT is
    // a new statement with a fresh snapshot, so it sees that row (rows are never deleted: a
    // removed batch stays as a tombstone). The loop is only a guard should one ever go.
    for (;;) {
      if ((await insert()).rowCount === 1) return { status: 'stored', receivedAt };
      const { rows } = await run<{ sha256: string; received_at: Date }>(pool, 'getBatchSha', [b.orgId, b.batchId]);
      if (rows[0]) return existingBatchResult(rows[0], b.sha256);
    }
  };

  // ---- uploads in groups ----------------------------------------------------------------------
  // Uploads that arrive while earlier groups are being written wait and go together, in one
  // statement: one round trip and one commit for the group instead of one each. At low load a
  // group is a single upload, sent at once. The answers are those of putBatchAlone, upload by upload.

  interface QueuedPut {
    batch: NewBatch;
    audit: NewAuditEntry | undefined;
    resolve: (result: PutBatchResult) => void;
    reject: (error: unknown) => void;
  }
  /** One row of an organisation (a batch, a device), as a map key. */
  const rowKey = (orgId: string, id: string) => `${orgId} ${id}`;

  async function putGroup(group: QueuedPut[]): Promise<void> {
    // The first upload of each id is inserted; the same id again within the group is answered
    // from the stored row, as a retry arriving just after it would be.
    const firsts = new Map<string, QueuedPut>();
    for (const p of group) if (!firsts.has(rowKey(p.batch.orgId, p.batch.batchId))) firsts.set(rowKey(p.batch.orgId, p.batch.batchId), p);
    const inserting = [...firsts.values()];
    const audited = inserting.filter((p) => p.audit !== undefined);
    let stored: Set<string>;
    try {
      const { rows } = await pool.query<{ org_id: string; batch_id: string }>({
        name: `footfall.insertBatchGroup.${inserting.length}`,
        text: insertBatchGroupText[inserting.length]!,
        values: [...inserting.flatMap((p) => batchValues(p.batch)), ...columns(audited.map((p) => [p.batch.orgId, p.batch.batchId, ...auditValues(p.audit!)]), 7)],
      });
      stored = new Set(rows.map((r) => rowKey(r.org_id, r.batch_id)));
    } catch {
      // The statement failed for the whole group (a malformed time, the disk full): each upload
      // is tried alone, so only those that cannot be stored fail.
      for (const p of group) putBatchAlone(p.batch, p.audit).then(p.resolve, p.reject);
      return;
    }
    const answered = group.filter((p) => firsts.get(rowKey(p.batch.orgId, p.batch.batchId)) === p && stored.has(rowKey(p.batch.orgId, p.batch.batchId)));
    for (const p of answered) p.resolve({ status: 'stored', receivedAt: isoTime(p.batch.receivedAt) });
    const others = group.filter((p) => !answered.includes(p));
    if (others.length === 0) return;
    try {
      const { rows } = await run<{ org_id: string; batch_id: string; sha256: string; received_at: Date }>(pool, 'getBatchShas', [
        others.map((p) => p.batch.orgId),
        others.map((p) => p.batch.batchId),
      ]);
      const existing = new Map(rows.map((r) => [rowKey(r.org_id, r.batch_id), r]));
      for (const p of others) {
        const row = existing.get(rowKey(p.batch.orgId, p.batch.batchId));
        if (row) p.resolve(existingBatchResult(row, p.batch.sha256));
        else putBatchAlone(p.batch, p.audit).then(p.resolve, p.reject);
      }
    } catch (error) {
      for (const p of others) p.reject(error);
    }
  }

  // ---- rate-limit counts in groups ---------------------------------------------------------------
  // Every request is counted before anything else is done with it, so on a busy endpoint the
  // counts are as many as the requests. Counts that arrive while earlier ones are being written
  // wait and go together, in one statement (countRequests): one round trip for the group, and a
  // device's requests add to its row once rather than queueing on its lock one by one. Each
  // request still gets a count of its own: n requests under a key that the statement took to C
  // are C - n + 1 ... C, in the order they arrived.

  interface QueuedCount {
    key: string;
    windowMs: number;
    resolve: (count: RequestCount) => void;
    reject: (error: unknown) => void;
  }

  /** One statement for each window length among the counts (the rate limits have one or two). */
  async function countGroup(group: QueuedCount[]): Promise<void> {
    const windows = groupBy(group, (c) => c.windowMs);
    await Promise.all([...windows].map(([windowMs, counts]) => countWindow(windowMs, groupBy(counts, (c) => c.key))));
  }

  async function countWindow(windowMs: number, byKey: Map<string, QueuedCount[]>): Promise<void> {
    const keys = [...byKey.keys()].sort();
    try {
      const { rows } = await run<{ key: string; count: number; reset_in_ms: number }>(pool, 'countRequests', [keys, keys.map((k) => byKey.get(k)!.length), windowMs]);
      for (const row of rows) {
        const waiting = byKey.get(row.key)!;
        waiting.forEach((w, i) => w.resolve({ count: row.count - waiting.length + 1 + i, resetInMs: row.reset_in_ms }));
      }
    } catch (error) {
      for (const waiting of byKey.values()) for (const w of waiting) w.reject(error);
    }
  }

  // ---- device lookups in groups --------------------------------------------------------------------
  // Every signed request looks its device up. Lookups that arrive while earlier ones are under
  // way go together, in one statement. Nothing is kept: each lookup is answered by a statement
  // sent after it was asked, so a revocation acknowledged before a request arrived (by any
  // process) is always seen by it (docs/sync.md#several-endpoint-processes).

  interface QueuedLookup {
    orgId: string;
    deviceId: string;
    resolve: (device: StoredDevice | null) => void;
    reject: (error: unknown) => void;
  }

  async function lookupGroup(group: QueuedLookup[]): Promise<void> {
    try {
      const { rows } = await run<DeviceRow>(pool, 'getDevices', [group.map((l) => l.orgId), group.map((l) => l.deviceId)]);
      const found = new Map(rows.map((r) => [rowKey(r.org_id, r.device_id), r]));
      for (const l of group) {
        const row = found.get(rowKey(l.orgId, l.deviceId));
        l.resolve(row ? toDevice(row) : null);
      }
    } catch (error) {
      for (const l of group) l.reject(error);
    }
  }

  const queuePut = grouped(GROUPS_IN_FLIGHT, putGroup, MAX_UPLOAD_GROUP);
  const queueCount = grouped(GROUPS_IN_FLIGHT, countGroup);
  const queueLookup = grouped(GROUPS_IN_FLIGHT, lookupGroup);

  let closed = false;
  return {
    async createOrg(org, admin, wrappedKeys) {
      await transaction(pool, async (c) => {
        const { rowCount } = await run(c, 'insertOrg', [org.orgId, JSON.stringify(org.orgPublicKey), isoTime(org.createdAt)]);
        if (rowCount === 0) throw new OrgExistsError();
        await insertDevice(c, { ...admin, orgId: org.orgId });
        await addWrappedKeys(c, org.orgId, wrappedKeys);
      });
    },
    async getOrg(orgId) {
      const { rows } = await run<OrgRow>(pool, 'getOrg', [orgId]);
      return rows[0] ? toOrg(rows[0]) : null;
    },
    getDevice(orgId, deviceId) {
      return new Promise<StoredDevice | null>((resolve, reject) => queueLookup({ orgId, deviceId, resolve, reject }));
    },
    async listDevices(orgId) {
      return (await run<DeviceRow>(pool, 'listDevices', [orgId])).rows.map(toDevice);
    },
    async revokeDevice(orgId, deviceId, at) {
      return (await run(pool, 'revokeDevice', [orgId, deviceId, isoTime(at)])).rowCount === 1;
    },
    async touchDevice(orgId, deviceId, at) {
      await run(pool, 'touchDevice', [orgId, deviceId, isoTime(at)]);
    },
    async createEnrolment(e) {
      await run(pool, 'insertEnrolment', [e.lookup, e.orgId, e.role, e.package, e.createdBy, isoTime(e.createdAt), isoTime(e.expiresAt), e.deviceName ?? null]);
    },
    async claimEnrolment(lookup, now, device) {
      const at = isoTime(now);
      return transaction(pool, async (c) => {
        // The UPDATE locks the row: a concurrent claim waits, re-checks used_at and finds it taken.
        const { rows } = await run<EnrolmentRow>(c, 'useEnrolment', [lookup, at, device.deviceId]);
        const used = rows[0];
        if (!used) return null;
        // Throwing rolls the transaction back, so the code stays unused for the right device.
        const added = await insertDevice(c, { ...device, name: used.device_name ?? device.name, orgId: used.org_id, role: used.role as Role, enrolledAt: at, lastSeenAt: null, revokedAt: null });
        if (!added) throw new DeviceExistsError();
        await run(c, 'emptyEnrolmentPackage', [lookup]);
        return toClaim(used);
      });
    },
    putBatch(batch, audit) {
      return new Promise((resolve, reject) => {
        queuePut({ batch, audit, resolve, reject });
      });
    },
    async findBatch(batch) {
      const { rows } = await run<{ sha256: string; received_at: Date }>(pool, 'getBatchSha', [batch.orgId, batch.batchId]);
      return rows[0] ? existingBatchResult(rows[0], batch.sha256) : null;
    },
    async storedBytes(orgId) {
      return Number((await run<{ bytes: string }>(pool, 'storedBytes', [orgId])).rows[0]!.bytes);
    },
    async listBatches(orgId, after, limit) {
      const [from, count] = [afterCursor(after), pageLimit(limit)];
      const rows = await settledList(pool, orgId, from, count, async () => (await run<BatchRow>(pool, 'listBatches', [orgId, from, count])).rows);
      return rows.map(toBatch);
    },
    async listBatchPage(orgId, after, limit, maxBytes) {
      const { rows, next } = await pageOf<BatchRow>(pool, 'listBatchSizes', 'listBatchesAt', orgId, after, limit, maxBytes);
      return { batches: rows.map(toBatch), next };
    },
    async listDirectoryPage(orgId, after, limit, maxBytes) {
      const { rows, next } = await pageOf<DirectoryRow>(pool, 'listDirectorySizes', 'listDirectoriesAt', orgId, after, limit, maxBytes);
      return { entries: rows.map(toDirectoryEntry), next };
    },
    async compact(c) {
      try {
        return await transaction(pool, async (t) => {
          const { rows: found } = await run<{ batch_id: string }>(t, 'findBatchIds', [c.orgId, c.supersedes]);
          const unknown = unknownBatchIds(c.supersedes, found.map((r) => r.batch_id));
          if (unknown.length > 0) throw new CompactionRefused({ status: 'unknownBatches', batchIds: unknown });
          let stored = 0;
          const conflicts: string[] = [];
          for (const b of c.batches) {
            if ((await run(t, 'insertBatch', batchValues(b))).rowCount === 1) {
              stored++;
              continue;
            }
            const { rows } = await run<{ sha256: string; received_at: Date }>(t, 'getBatchSha', [b.orgId, b.batchId]);
            if (!rows[0] || existingBatchResult(rows[0], b.sha256).status === 'conflict') conflicts.push(b.batchId);
          }
          if (conflicts.length > 0) throw new CompactionRefused({ status: 'conflict', batchIds: conflicts });
          const removed = (await run(t, 'removeBatches', [c.orgId, c.supersedes, isoTime(c.at)])).rowCount ?? 0;
          if (stored + removed > 0) await run(t, 'appendAudit', auditValues(c.audit));
          return { status: 'compacted', stored, alreadyStored: c.batches.length - stored, removed, alreadyRemoved: c.supersedes.length - removed } as const;
        });
      } catch (error) {
        // Thrown inside the transaction so that it rolls back; nothing was changed.
        if (error instanceof CompactionRefused) return error.result;
        throw error;
      }
    },
    async addWrappedKeys(orgId, keys) {
      await transaction(pool, (c) => addWrappedKeys(c, orgId, keys));
    },
    async listWrappedKeys(orgId) {
      return (await run<WrappedKeyRow>(pool, 'listWrappedKeys', [orgId])).rows.map(toWrappedKey);
    },
    async putTeamKeyEnvelopes(orgId, version, envelopes) {
      await transaction(pool, async (c) => {
        for (const e of envelopes) await run(c, 'putEnvelope', [orgId, e.deviceId, version, e.sealed]);
      });
    },
    async listTeamKeyEnvelopes(orgId, deviceId) {
      return (await run<EnvelopeRow>(pool, 'listEnvelopes', [orgId, deviceId])).rows.map(toEnvelope);
    },
    async appendAudit(e) {
      await run(pool, 'appendAudit', auditValues(e));
    },
    async listAudit(orgId, after, limit) {
      return (await run<AuditRow>(pool, 'listAudit', [orgId, afterCursor(after), pageLimit(limit)])).rows.map(toAudit);
    },
    countRequest(key, windowMs) {
      return new Promise<RequestCount>((resolve, reject) => queueCount({ key, windowMs, resolve, reject }));
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pruning);
      await pool.end();
    },
  };
}
