/**
 * Server throughput: signed batch uploads over real HTTP on loopback, from several devices at
 * once, to the real endpoint (src/server/app.ts) on SQLite or PostgreSQL.
 *
 * The endpoint runs in its own process (serverProcess.ts); this process is the load generator.
 * Each device has its own P-256 signing key (enrolled through the storage API before timing) and
 * its own keep-alive connections (node:http Agent). Every request is built and signed with the
 * app's own signRequest before its run starts, so signing does not compete with the server for the
 * two cores while it is timed; uploads carry no freshness check, so a signature made a few seconds
 * earlier is as good as a fresh one. The bodies are real sealed batches: the activity part sealed
 * to the organisation's key (ECDH-ES+A256KW) and the directory part with the team key, both by
 * src/crypto/envelope.ts, each padded to its smallest bucket (1 KiB), the smallest upload the app
 * ever sends.
 *
 * Baseline, in the same process, same connections and same concurrency, alternating order per
 * run: GET /api/health, the server's emptiest route.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import pg from 'pg';
import { generateOrgKeyPair, generateTeamKey, jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk, signRequest } from '../../src/crypto/signing.ts';
import { SIGNATURE_HEADERS, type PublicJwk } from '../../src/domain/protocol.ts';
import type { FromServer, ToServer } from './serverProcess.ts';
import { percentile } from './stats.ts';

export interface LoadRun {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ServerRun {
  upload: LoadRun;
  health: LoadRun;
  /** Server RSS at the end of the run, and its peak during the run (sampled every 20 ms). */
  rssMiB: number;
  peakRssMiB: number;
  heapMiB: number;
}

export interface ServerBenchResult {
  backend: 'sqlite' | 'postgres';
  devices: number;
  inFlightPerDevice: number;
  perRun: number;
  warmup: number;
  bodyBytes: number;
  journalMode: string | null;
  runs: ServerRun[];
  /** Server RSS after start-up and set-up, before any load. */
  idleRssMiB: number;
  /** The OS's peak RSS for the server process over its whole life. */
  maxRssMiB: number;
  /** Time spent signing requests between runs (not timed in the figures). */
  signMs: number;
  schema: string | null;
}

export interface ServerBenchOptions {
  backend: 'sqlite' | 'postgres';
  appDir: string;
  databaseUrl?: string;
  devices: number;
  inFlightPerDevice: number;
  perRun: number;
  runs: number;
  warmup: number;
  log?: (what: string) => void;
}

interface PreparedRequest {
  method: 'GET' | 'PUT';
  path: string;
  headers: Record<string, string | number>;
  body: Buffer | null;
}

interface Device {
  deviceId: string;
  signing: CryptoKeyPair;
  signingKey: PublicJwk;
  encryptionKey: PublicJwk;
  agent: Agent;
}

class ServerHandle {
  private nextId = 1;
  private waiting = new Map<number, (m: FromServer) => void>();
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: FromServer) => {
      if (m.type === 'done' || m.type === 'error') {
        const cb = m.id !== undefined ? this.waiting.get(m.id) : undefined;
        if (cb) {
          this.waiting.delete(m.id!);
          cb(m);
        } else if (m.type === 'error') console.error(`[server] ${m.message}`);
      }
    });
  }
  ask(m: Omit<ToServer, 'id'> & Record<string, unknown>): Promise<Extract<FromServer, { type: 'done' }>> {
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      this.waiting.set(id, (reply) => (reply.type === 'error' ? reject(new Error(`server: ${reply.message}`)) : resolvePromise(reply as Extract<FromServer, { type: 'done' }>)));
      this.child.send({ ...m, id });
    });
  }
}

function startServer(env: Record<string, string>): Promise<{ handle: ServerHandle; port: number; journalMode: string | null }> {
  const child = fork(resolve('bench/lib/serverProcess.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolvePromise, reject) => {
    const onMessage = (m: FromServer) => {
      if (m.type === 'listening') {
        child.off('message', onMessage);
        resolvePromise({ handle: new ServerHandle(child), port: m.port, journalMode: m.journalMode });
      } else if (m.type === 'error') reject(new Error(`server did not start: ${m.message}`));
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

/**
 * Sends every device's requests, `inFlight` at a time per device, each device on its own
 * keep-alive connections. Returns latencies (ms, from the request being issued to the last byte
 * of the answer) and the wall time from the first request to the last answer.
 */
async function drive(port: number, devices: Device[], perDevice: PreparedRequest[][], inFlight: number, expectStatus: number): Promise<LoadRun> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = '';
  const one = (agent: Agent, r: PreparedRequest): Promise<void> =>
    new Promise((done) => {
      const t0 = performance.now();
      const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode !== expectStatus) {
            failures++;
            if (!firstFailure) firstFailure = `${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`;
          }
          done();
        });
      });
      req.on('error', (error) => {
        failures++;
        if (!firstFailure) firstFailure = error.message;
        done();
      });
      if (r.body) req.end(r.body);
      else req.end();
    });
  const start = performance.now();
  await Promise.all(
    devices.flatMap((device, d) => {
      const queue = perDevice[d]!;
      let next = 0;
      return Array.from({ length: inFlight }, async () => {
        while (next < queue.length) await one(device.agent, queue[next++]!);
      });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  if (failures) throw new Error(`${failures} of ${latencies.length} requests did not answer ${expectStatus}; the first: ${firstFailure}`);
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

export async function benchServer(o: ServerBenchOptions): Promise<ServerBenchResult> {
  const log = o.log ?? (() => {});
  let schema: string | null = null;
  const env: Record<string, string> = { BENCH_BACKEND: o.backend, BENCH_STATIC_DIR: o.appDir };
  if (o.backend === 'postgres') {
    schema = `footfall_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    Object.assign(env, { BENCH_DATABASE_URL: o.databaseUrl!, BENCH_SCHEMA: schema });
  }

  const { handle, port, journalMode } = await startServer(env);
  const devices: Device[] = [];
  try {
    // The organisation, its admin (device 0) and the other devices, each with its own signing key.
    const orgId = crypto.randomUUID();
    const orgKey = await generateOrgKeyPair();
    const team = { version: 1, key: await generateTeamKey() };
    const now = new Date().toISOString();
    for (let i = 0; i < o.devices; i++) {
      const keys = await generateDeviceKeys();
      devices.push({
        deviceId: crypto.randomUUID(),
        signing: keys.signing,
        signingKey: await publicJwk(keys.signing.publicKey),
        encryptionKey: await publicJwk(keys.encryption.publicKey),
        agent: new Agent({ keepAlive: true, maxSockets: o.inFlightPerDevice }),
      });
    }
    const pub = (d: Device) => ({ signingKey: d.signingKey, encryptionKey: d.encryptionKey });
    await handle.ask({
      type: 'setup',
      org: { orgId, orgPublicKey: orgKey.publicJwk, createdAt: now },
      admin: { orgId, deviceId: devices[0]!.deviceId, name: 'Bench device 0', role: 'admin', ...pub(devices[0]!), enrolledAt: now, lastSeenAt: null, revokedAt: null },
      devices: devices.slice(1).map((d, i) => ({ deviceId: d.deviceId, name: `Bench device ${i + 1}`, ...pub(d) })),
    });

    // A few distinct real sealed batches: three check-ins in the activity part, one registration in the directory part.
    const parts: { activity: string; directory: string }[] = [];
    for (let k = 0; k < 16; k++) {
      const at = new Date(Date.now() - k * 60_000).toISOString();
      const checkIns = Array.from({ length: 3 }, () => ({
        id: crypto.randomUUID(),
        at,
        deviceId: devices[0]!.deviceId,
        staffId: crypto.randomUUID(),
        type: 'visit.checkedIn',
        occurredAt: at,
        womanId: crypto.randomUUID(),
        siteId: 'main',
        services: ['meal', 'shower'],
      }));
      const registration = [{ id: crypto.randomUUID(), at, deviceId: devices[0]!.deviceId, staffId: crypto.randomUUID(), type: 'woman.registered', womanId: crypto.randomUUID(), knownAs: 'Ngozi A', details: {} }];
      parts.push({ activity: await sealTo(orgKey.publicJwk, jsonBytes(checkIns)), directory: await sealWithTeamKey(team, jsonBytes(registration)) });
    }

    let signMs = 0;
    let seq = 0;
    let bodyBytes = 0;
    const uploads = async (count: number): Promise<PreparedRequest[][]> => {
      const t0 = performance.now();
      const out = await Promise.all(
        devices.map(async (d) => {
          const list: PreparedRequest[] = [];
          for (let i = 0; i < count; i++) {
            const p = parts[(seq + i) % parts.length]!;
            const text = JSON.stringify({ seq: seq + i, activity: p.activity, directory: p.directory });
            const path = `/api/orgs/${orgId}/batches/${crypto.randomUUID()}`;
            const timestamp = new Date().toISOString();
            const signature = await signRequest(d.signing.privateKey, { method: 'PUT', path, orgId, deviceId: d.deviceId, timestamp, body: text });
            const body = Buffer.from(text, 'utf8');
            bodyBytes = body.length;
            list.push({
              method: 'PUT',
              path,
              body,
              headers: {
                'content-type': 'application/json',
                'content-length': body.length,
                [SIGNATURE_HEADERS.org]: orgId,
                [SIGNATURE_HEADERS.device]: d.deviceId,
                [SIGNATURE_HEADERS.timestamp]: timestamp,
                [SIGNATURE_HEADERS.signature]: signature,
              },
            });
          }
          return list;
        }),
      );
      seq += count;
      signMs += performance.now() - t0;
      return out;
    };
    const health = (count: number): PreparedRequest[][] =>
      devices.map(() => Array.from({ length: count }, () => ({ method: 'GET' as const, path: '/api/health', headers: {}, body: null })));

    const perDevice = Math.ceil(o.perRun / o.devices);
    const warmPerDevice = Math.ceil(o.warmup / o.devices);
    log(`${o.backend}: warming up (${warmPerDevice * o.devices} uploads and health checks)`);
    await drive(port, devices, await uploads(warmPerDevice), o.inFlightPerDevice, 201);
    await drive(port, devices, health(warmPerDevice), o.inFlightPerDevice, 200);
    const idleRssMiB = (await handle.ask({ type: 'mark' })).rssMiB!;

    const runs: ServerRun[] = [];
    for (let r = 0; r < o.runs; r++) {
      const work = await uploads(perDevice);
      const healthWork = health(perDevice);
      await handle.ask({ type: 'mark' });
      let upload: LoadRun;
      let baseline: LoadRun;
      if (r % 2 === 0) {
        upload = await drive(port, devices, work, o.inFlightPerDevice, 201);
        baseline = await drive(port, devices, healthWork, o.inFlightPerDevice, 200);
      } else {
        baseline = await drive(port, devices, healthWork, o.inFlightPerDevice, 200);
        upload = await drive(port, devices, work, o.inFlightPerDevice, 201);
      }
      const mem = await handle.ask({ type: 'mark' });
      runs.push({ upload, health: baseline, rssMiB: mem.rssMiB!, peakRssMiB: mem.peakRssMiB!, heapMiB: mem.heapMiB! });
      log(
        `${o.backend} run ${r + 1}: ${upload.perSecond.toFixed(0)} uploads/s (p50 ${upload.p50.toFixed(2)} ms, p99 ${upload.p99.toFixed(2)} ms); ` +
          `health ${baseline.perSecond.toFixed(0)}/s (p99 ${baseline.p99.toFixed(2)} ms); server RSS ${mem.rssMiB!.toFixed(0)} MiB, peak ${mem.peakRssMiB!.toFixed(0)} MiB`,
      );
    }
    const stopped = await handle.ask({ type: 'stop' });
    return {
      backend: o.backend,
      devices: o.devices,
      inFlightPerDevice: o.inFlightPerDevice,
      perRun: perDevice * o.devices,
      warmup: warmPerDevice * o.devices,
      bodyBytes,
      journalMode,
      runs,
      idleRssMiB,
      maxRssMiB: stopped.maxRssMiB!,
      signMs,
      schema,
    };
  } finally {
    for (const d of devices) d.agent.destroy();
    if (handle.child.connected) handle.child.kill();
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
