/**
 * Server throughput: signed batch uploads over real HTTP on loopback, from several devices at
 * once, to the real endpoint (src/server/app.ts) on SQLite or PostgreSQL.
 *
 * Three processes: the endpoint (serverProcess.ts), the load generator (loadProcess.ts), and this
 * one, which only orchestrates (so its own heap, grown by the earlier figures, slows neither). On
 * PostgreSQL the endpoint can be several processes on the one database, as behind a load balancer
 * (docs/sync.md#several-endpoint-processes): the generator then sends each request to the next
 * process in turn.
 * Each device has its own P-256 signing key (enrolled through the storage API before timing) and
 * its own keep-alive connections. Every request is built and signed with the app's own
 * signRequest before its run starts, so signing does not compete with the server for the two
 * cores while it is timed; uploads carry no freshness check, so a signature made a few seconds
 * earlier is as good as a fresh one. The bodies are real sealed batches: the activity part sealed
 * to the organisation's key (ECDH-ES+A256KW) and the directory part with the team key, both by
 * src/crypto/envelope.ts, each padded to its smallest bucket (1 KiB), the smallest upload the app
 * ever sends; or, with `uploadBytes`, padded to a real-sized upload (about 700 KB, what a device
 * sends with a full backlog).
 *
 * Baselines, from the same generator over the same connections at the same concurrency, in a
 * rotating order per run: GET /api/health, the server's emptiest route; and the same upload
 * bodies PUT to a bare Fastify JSON sink in the same process (parsed, answered 201, nothing
 * checked or stored). The server's CPU time per request says what each costs the endpoint.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import type { PublicJwk } from '../../src/domain/protocol.ts';
import type { LoadDevicePublic, LoadKind } from './loadProcess.ts';

export interface LoadRun {
  requests: number;
  /** The server's CPU time (user and system, summed over its processes) per request, in µs. */
  cpuUsPerRequest?: number;
  /** Of that, the time on the servers' event-loop threads (the rest is on other threads), in µs. */
  loopCpuUsPerRequest?: number;
  /** The load generator's own CPU time per request, in µs: it shares the two cores with the server. */
  clientCpuUsPerRequest: number;
  /**
   * PostgreSQL's own CPU time per request, in µs: its backends serving the endpoint (found by the
   * endpoint's application_name), which share the same two cores. Uploads on PostgreSQL only.
   */
  databaseCpuUsPerRequest?: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ServerRun {
  upload: LoadRun;
  health: LoadRun;
  /** The same bodies to the bare JSON sink. */
  sink: LoadRun;
  /**
   * Server RSS at the end of the run, and its peak during the run (sampled every 20 ms); with
   * several endpoint processes, the sum over them (and JS heap likewise).
   */
  rssMiB: number;
  peakRssMiB: number;
  heapMiB: number;
}

export interface ServerBenchResult {
  backend: 'sqlite' | 'postgres';
  /** Endpoint processes sharing the database. */
  processes: number;
  devices: number;
  inFlightPerDevice: number;
  perRun: number;
  warmup: number;
  bodyBytes: number;
  /** Set when the uploads were padded to a real size (uploadBytes). */
  realSized: boolean;
  journalMode: string | null;
  runs: ServerRun[];
  /** Server RSS after start-up and set-up, before any load (summed over the processes). */
  idleRssMiB: number;
  /** The kernel's high-water mark of the server process's RSS (VmHWM) over its whole life (the largest of the processes'). */
  maxRssMiB: number;
  /** Time spent signing requests between runs (not timed in the figures). */
  signMs: number;
  schema: string | null;
  /** The machine's 1-minute load average when the figure started and ended: other work shows here. */
  load: [number, number];
}

export interface ServerBenchOptions {
  backend: 'sqlite' | 'postgres';
  /** Endpoint processes on the one database (PostgreSQL only); 1 by default. */
  processes?: number;
  appDir: string;
  databaseUrl?: string;
  devices: number;
  inFlightPerDevice: number;
  perRun: number;
  runs: number;
  warmup: number;
  /** Pad each upload to about this many bytes (a real-sized batch); the smallest upload when not given. */
  uploadBytes?: number;
  log?: (what: string) => void;
}

/** A forked child (with tsx) answering `{ id }` messages with `{ type: 'done', id, ... }` or `{ type: 'error', id, message }`. */
class Child {
  private nextId = 1;
  private waiting = new Map<number, { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly child: ChildProcess;
  /** The child's first message (its port, or that it is ready). */
  readonly started: Promise<Record<string, unknown>>;

  constructor(file: string, env: Record<string, string>, extraArgs: string[] = []) {
    this.child = fork(resolve(file), [], {
      execArgv: ['--import', 'tsx', ...extraArgs],
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let first: ((m: Record<string, unknown>) => void) | undefined;
    let failed: ((e: Error) => void) | undefined;
    this.started = new Promise((res, rej) => {
      first = res;
      failed = rej;
    });
    this.child.on('message', (m: Record<string, unknown> & { type: string; id?: number; message?: string }) => {
      const waiter = m.id !== undefined ? this.waiting.get(m.id) : undefined;
      if (waiter && (m.type === 'done' || m.type === 'error')) {
        this.waiting.delete(m.id!);
        if (m.type === 'error') waiter.reject(new Error(`${file}: ${m.message}`));
        else waiter.resolve(m);
      } else if (m.type === 'error') failed?.(new Error(`${file}: ${m.message}`));
      else first?.(m);
    });
    this.child.once('exit', (code) => {
      failed?.(new Error(`${file} exited with ${code}`));
      for (const w of this.waiting.values()) w.reject(new Error(`${file} exited with ${code}`));
      this.waiting.clear();
    });
  }

  ask(m: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((res, rej) => {
      this.waiting.set(id, { resolve: res, reject: rej });
      this.child.send({ ...m, id });
    });
  }

  /** Waits for the child to exit by itself (up to 10 s), else ends it. */
  async ended(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (!(await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 10_000, false))]))) this.child.kill();
  }
}

/** CPU time (user and system) of a process so far, in ms, from /proc; 0 once it has gone. */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU time of the PostgreSQL backends serving the endpoint, by process id: those whose
 * application_name is `name` (the endpoint's connection string sets it). A backend that ends
 * between two readings takes its time with it, so the figure can only be low, never high.
 */
async function databaseCpuMs(client: pg.Client, name: string): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name]);
  return new Map(rows.map((r) => [r.pid, processCpuMs(r.pid)]));
}

/** The sum of one figure over the processes' answers. */
const total = (answers: Record<string, unknown>[], key: string) => answers.reduce((sum, m) => sum + (m[key] as number), 0);

export async function benchServer(o: ServerBenchOptions): Promise<ServerBenchResult> {
  const log = o.log ?? (() => {});
  const processes = o.processes ?? 1;
  if (processes > 1 && o.backend !== 'postgres') throw new Error('several endpoint processes share PostgreSQL only');
  const label = `${processes > 1 ? `${o.backend} x ${processes} processes` : o.backend}${o.uploadBytes ? `, ${Math.round(o.uploadBytes / 1000)} KB uploads` : ''}`;
  const loadAtStart = loadavg()[0] ?? 0;
  let schema: string | null = null;
  const env: Record<string, string> = { BENCH_BACKEND: o.backend, BENCH_STATIC_DIR: o.appDir };
  let database: pg.Client | null = null;
  if (o.backend === 'postgres') {
    schema = `footfall_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    // Named after the schema, so the orchestrator can find the endpoint's backends and read their CPU time.
    const url = `${o.databaseUrl!}${o.databaseUrl!.includes('?') ? '&' : '?'}application_name=${schema}`;
    Object.assign(env, { BENCH_DATABASE_URL: url, BENCH_SCHEMA: schema });
    database = new pg.Client({ connectionString: o.databaseUrl });
    await database.connect();
  }

  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to look inside the server.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const servers = Array.from({ length: processes }, () => new Child('bench/lib/serverProcess.ts', env, nodeArgs));
  const [server] = servers as [Child, ...Child[]];
  const load = new Child('bench/lib/loadProcess.ts', {});
  const askAll = (m: Record<string, unknown>) => Promise.all(servers.map((s) => s.ask(m)));
  try {
    const [listening] = await Promise.all([Promise.all(servers.map((s) => s.started)), load.started]);
    const ports = listening.map((l) => l.port as number);
    const sinkPorts = listening.map((l) => l.sinkPort as number);
    const journalMode = (listening[0]!.journalMode as string | null) ?? null;

    // The organisation, its admin (device 0) and the other devices, each with its own signing key.
    // Stored once, through the first process: the others read it from the same database.
    const init = (await load.ask({ type: 'init', devices: o.devices, inFlightPerDevice: o.inFlightPerDevice, uploadBytes: o.uploadBytes })).value as {
      orgId: string;
      orgPublicKey: PublicJwk;
      devices: LoadDevicePublic[];
    };
    const now = new Date().toISOString();
    const [admin, ...others] = init.devices;
    await server.ask({
      type: 'setup',
      org: { orgId: init.orgId, orgPublicKey: init.orgPublicKey, createdAt: now },
      admin: { orgId: init.orgId, ...admin!, name: 'Bench device 0', role: 'admin', enrolledAt: now, lastSeenAt: null, revokedAt: null },
      devices: others.map((d, i) => ({ ...d, name: `Bench device ${i + 1}` })),
    });

    let signMs = 0;
    let bodyBytes = 0;
    const prepare = async (kind: LoadKind, perDevice: number) => {
      const r = (await load.ask({ type: 'prepare', kind, perDevice })).value as { signMs: number; bodyBytes: number };
      if (kind === 'upload') {
        signMs += r.signMs;
        bodyBytes = r.bodyBytes;
      }
    };
    const cpuMs = async () => {
      const answers = await askAll({ type: 'cpu' });
      return { all: total(answers, 'cpuMs'), loop: total(answers, 'loopCpuMs') };
    };
    const drive = async (kind: LoadKind, perDevice: number): Promise<LoadRun> => {
      await prepare(kind, perDevice);
      const withDatabase = database && schema && kind === 'upload' ? { client: database, name: schema } : null;
      const [cpuBefore, dbBefore] = await Promise.all([cpuMs(), withDatabase ? databaseCpuMs(withDatabase.client, withDatabase.name) : null]);
      const run = (await load.ask({ type: 'run', ports: kind === 'sink' ? sinkPorts : ports, expectStatus: kind === 'health' ? 200 : 201 })).value as LoadRun;
      const [cpuAfter, dbAfter] = await Promise.all([cpuMs(), withDatabase ? databaseCpuMs(withDatabase.client, withDatabase.name) : null]);
      const dbMs = dbAfter ? [...dbAfter].reduce((sum, [pid, ms]) => sum + ms - (dbBefore?.get(pid) ?? 0), 0) : null;
      return {
        ...run,
        cpuUsPerRequest: ((cpuAfter.all - cpuBefore.all) * 1000) / run.requests,
        loopCpuUsPerRequest: ((cpuAfter.loop - cpuBefore.loop) * 1000) / run.requests,
        ...(dbMs !== null ? { databaseCpuUsPerRequest: (dbMs * 1000) / run.requests } : {}),
      };
    };

    const perDevice = Math.ceil(o.perRun / o.devices);
    const warmPerDevice = Math.ceil(o.warmup / o.devices);
    log(`${label}: warming up (${warmPerDevice * o.devices} uploads and health checks)`);
    await drive('upload', warmPerDevice);
    await drive('health', warmPerDevice);
    await drive('sink', warmPerDevice);
    const idleRssMiB = total(await askAll({ type: 'mark' }), 'rssMiB');

    const runs: ServerRun[] = [];
    for (let r = 0; r < o.runs; r++) {
      const kinds: LoadKind[] = ['upload', 'health', 'sink'];
      const order = [...kinds.slice(r % 3), ...kinds.slice(0, r % 3)];
      const got: Partial<Record<LoadKind, LoadRun>> = {};
      await askAll({ type: 'mark' });
      for (const kind of order) got[kind] = await drive(kind, perDevice);
      const marks = await askAll({ type: 'mark' });
      const mem = { rssMiB: total(marks, 'rssMiB'), peakRssMiB: total(marks, 'peakRssMiB'), heapMiB: total(marks, 'heapMiB') };
      const upload = got.upload!;
      const baseline = got.health!;
      const sink = got.sink!;
      runs.push({ upload, health: baseline, sink, ...mem });
      const cpu = (k: LoadRun) =>
        `${k.cpuUsPerRequest!.toFixed(0)} µs CPU each, ${k.loopCpuUsPerRequest!.toFixed(0)} of them on the event loop; client ${k.clientCpuUsPerRequest.toFixed(0)} µs`;
      const db = upload.databaseCpuUsPerRequest !== undefined ? `; PostgreSQL ${upload.databaseCpuUsPerRequest.toFixed(0)} µs` : '';
      log(
        `${label} run ${r + 1}: ${upload.perSecond.toFixed(0)} uploads/s (p50 ${upload.p50.toFixed(2)} ms, p99 ${upload.p99.toFixed(2)} ms, ${cpu(upload)}${db}); ` +
          `health ${baseline.perSecond.toFixed(0)}/s (p99 ${baseline.p99.toFixed(2)} ms, ${cpu(baseline)}); ` +
          `sink ${sink.perSecond.toFixed(0)}/s (p99 ${sink.p99.toFixed(2)} ms, ${cpu(sink)}); server RSS ${mem.rssMiB.toFixed(0)} MiB, peak ${mem.peakRssMiB.toFixed(0)} MiB`,
      );
    }
    await load.ask({ type: 'stop' });
    const stopped = await askAll({ type: 'stop' });
    return {
      backend: o.backend,
      processes,
      devices: o.devices,
      inFlightPerDevice: o.inFlightPerDevice,
      perRun: perDevice * o.devices,
      warmup: warmPerDevice * o.devices,
      bodyBytes,
      realSized: o.uploadBytes !== undefined,
      journalMode,
      runs,
      idleRssMiB,
      maxRssMiB: Math.max(...stopped.map((m) => m.maxRssMiB as number)),
      signMs,
      schema,
      load: [loadAtStart, loadavg()[0] ?? 0],
    };
  } finally {
    await Promise.all([...servers.map((s) => s.ended()), load.ended()]);
    await database?.end();
    if (schema) {
      const client = new pg.Client({ connectionString: o.databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    }
  }
}
