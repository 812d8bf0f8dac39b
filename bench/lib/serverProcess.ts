/**
 * The endpoint under load, in a process of its own (forked by serverBench.ts), so it has a core
 * to itself and its memory is its own: the real buildServer (src/server/app.ts) on SQLite or
 * PostgreSQL, listening on loopback; and beside it, on a port of its own, the baseline: a bare
 * Fastify JSON sink (PUT /sink/:id parses the body as the endpoint does and answers 201, nothing
 * checked or stored). Talks to its parent over IPC:
 *   parent -> child  { type: 'setup', org, admin, devices }   the organisation and its devices, stored directly
 *                    { type: 'mark' }                          RSS now and peak since the last mark
 *                    { type: 'cpu' }                           CPU time (user and system) used so far
 *                    { type: 'stop' }                          close (storage too) and exit
 *   child -> parent  { type: 'listening', port, sinkPort } | { type: 'done', ... } | { type: 'error', message }
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import { UPLOAD_BODY_LIMIT } from '../../src/server/api/batchRoutes.ts';
import { openPostgresStorage } from '../../src/server/storage/postgres.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import type { Storage, StoredDevice, StoredOrg } from '../../src/server/storage/types.ts';

export type ToServer =
  | { type: 'setup'; id: number; org: StoredOrg; admin: StoredDevice; devices: Omit<StoredDevice, 'orgId' | 'role' | 'enrolledAt' | 'lastSeenAt' | 'revokedAt'>[] }
  | { type: 'mark'; id: number }
  | { type: 'cpu'; id: number }
  | { type: 'stop'; id: number };

export type FromServer =
  | { type: 'listening'; port: number; sinkPort: number; journalMode: string | null }
  | { type: 'done'; id: number; rssMiB?: number; peakRssMiB?: number; heapMiB?: number; cpuMs?: number; loopCpuMs?: number; maxRssMiB?: number }
  | { type: 'error'; id?: number; message: string };

const send = (m: FromServer) => process.send!(m);

/**
 * The kernel's high-water mark of this process's resident set (VmHWM). Not getrusage's maxRSS:
 * on Linux that survives exec, so a forked child reports its parent's peak if that was higher.
 */
function highWaterRssMiB(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // Not Linux.
  }
  return process.resourceUsage().maxRSS / 1024;
}
const MiB = 2 ** 20;

/**
 * CPU time of this process's main thread alone (the event loop), from /proc: the rest of
 * process.cpuUsage() is spent on other threads (libuv's pool: signature checks, log flushes; the
 * SQLite checkpoint worker), which can run on the other core. NaN where there is no /proc.
 */
function eventLoopThreadCpuMs(): number {
  try {
    // utime and stime, the 14th and 15th fields, in clock ticks (100 a second on Linux); the
    // name in parentheses may hold spaces, so fields are counted after its closing one.
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function main(): Promise<void> {
  const backend = process.env.BENCH_BACKEND;
  const staticDir = process.env.BENCH_STATIC_DIR!;
  let storage: Storage;
  let dataDir: string | null = null;
  let journalMode: string | null = null;
  if (backend === 'sqlite') {
    dataDir = mkdtempSync(join(tmpdir(), 'footfall-bench-server-'));
    storage = await openSqliteStorage(dataDir);
    // Read back on a second connection: what the file is really in.
    const Database = (await import('better-sqlite3')).default;
    const probe = new Database(join(dataDir, 'footfall.sqlite3'), { readonly: true });
    journalMode = String(probe.pragma('journal_mode', { simple: true }));
    probe.close();
  } else if (backend === 'postgres') {
    storage = await openPostgresStorage(process.env.BENCH_DATABASE_URL!, { schema: process.env.BENCH_SCHEMA! });
  } else {
    throw new Error(`unknown backend ${backend}`);
  }

  const server = await buildServer(
    { port: 0, host: '127.0.0.1', staticDir, dataDir: dataDir ?? tmpdir() },
    // The production rate limit (20,000 a minute per device) would stop 8 devices after a few
    // runs at full speed, and the production quota (2 GiB an organisation) the real-sized runs; higher
    // ceilings keep the limiter's and the quota's work in every request.
    { storage, limits: { perDevicePerMinute: 10_000_000, orgStorageBytes: 2 ** 50 } },
  );
  await server.listen({ port: 0, host: '127.0.0.1' });
  const sink = Fastify({ bodyLimit: UPLOAD_BODY_LIMIT });
  sink.put('/sink/:id', async (_request, reply) => reply.code(201).send({ status: 'stored' }));
  await sink.listen({ port: 0, host: '127.0.0.1' });

  // The peak resident set, sampled often: the figure that says whether memory stays bounded.
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  sampler.unref();

  process.on('message', (m: ToServer) => {
    void (async () => {
      try {
        if (m.type === 'setup') {
          await storage.createOrg(m.org, m.admin, [{ id: crypto.randomUUID(), kind: 'passphrase', wrapped: 'bench' }]);
          for (const d of m.devices) {
            const lookup = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
            const now = new Date().toISOString();
            await storage.createEnrolment({ orgId: m.org.orgId, lookup, role: 'frontDesk', package: 'a.b.c.d.e', createdBy: m.admin.deviceId, createdAt: now, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
            if (!(await storage.claimEnrolment(lookup, now, d))) throw new Error('enrolment failed');
          }
          send({ type: 'done', id: m.id });
        } else if (m.type === 'mark') {
          const rss = process.memoryUsage.rss();
          const out = { rssMiB: rss / MiB, peakRssMiB: Math.max(peak, rss) / MiB, heapMiB: process.memoryUsage().heapUsed / MiB };
          peak = rss;
          send({ type: 'done', id: m.id, ...out });
        } else if (m.type === 'cpu') {
          const cpu = process.cpuUsage();
          send({ type: 'done', id: m.id, cpuMs: (cpu.user + cpu.system) / 1000, loopCpuMs: eventLoopThreadCpuMs() });
        } else if (m.type === 'stop') {
          const maxRssMiB = highWaterRssMiB();
          clearInterval(sampler);
          await Promise.all([server.close(), sink.close()]);
          if (dataDir) rmSync(dataDir, { recursive: true, force: true });
          send({ type: 'done', id: m.id, maxRssMiB });
          process.disconnect();
        }
      } catch (error) {
        send({ type: 'error', id: m.id, message: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    })();
  });

  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('no port');
  const sinkAddress = sink.server.address();
  if (!sinkAddress || typeof sinkAddress !== 'object') throw new Error('no sink port');
  send({ type: 'listening', port: address.port, sinkPort: sinkAddress.port, journalMode });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) });
  process.exitCode = 1;
});
