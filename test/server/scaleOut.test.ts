/**
 * Several endpoint processes on one PostgreSQL database (docs/sync.md#several-endpoint-processes):
 * two real processes, each `node --import tsx src/server/main.ts` on its own port with the same
 * DATABASE_URL (a fresh schema), as a load balancer would run them. Requests go to one or the
 * other, or to both at the same moment, over HTTP, signed as a device signs them. What one
 * process stores, counts or revokes, the other must see at once: a batch is stored once whichever
 * process gets it, the same id with other bytes is refused by either, a replayed request gets the
 * same answer from both, and rate limits count for the host, not per process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchivePage, BatchReceipt } from '../../src/domain/protocol.ts';
import { DEFAULT_LIMITS } from '../../src/server/api/index.ts';
import { MIGRATIONS } from '../../src/server/storage/postgres.ts';
import { deviceKeys, newDevice, newEnrolment, newOrg, sealedBatch, signedRequest, type Device, type Org, type SignedOptions } from './apiHarness.ts';
import { DATABASE_URL, dropSchemas, freshSchema, withPostgres } from './postgres.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** How long a process may take to start (tsx compiles the server on the way): generous, for a busy machine. */
const START_MS = 90_000;
/** Behind a load balancer the endpoint can be reached from elsewhere, so set-up needs a token. */
const SETUP_TOKEN = 'a-long-enough-setup-token';

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** What `signedRequest` builds (or a public request), sent over HTTP. */
interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}

/** One endpoint process, started as in production: main.ts, configured by its environment. */
class EndpointProcess {
  private readonly child: ChildProcess;
  private output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      cwd: REPO,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The last of what it printed, to say why it stopped if it does.
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString('utf8')).slice(-8_000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }

  private get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits until the process answers on its port. */
  async ready(): Promise<void> {
    const deadline = Date.now() + START_MS;
    for (;;) {
      if (this.exited) throw new Error(`endpoint ${this.name} stopped before it was ready:\n${this.output}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/api/health`)).ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`endpoint ${this.name} did not answer on port ${this.port} within ${START_MS} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async send(r: HttpRequest): Promise<Answer> {
    const res = await fetch(`http://127.0.0.1:${this.port}${r.url}`, {
      method: r.method,
      headers: r.headers ?? {},
      ...(r.payload === undefined ? {} : { body: r.payload }),
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  /** Asks it to stop as production does (SIGTERM), and ends it if it has not within 10 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Two ports free at the same moment (so they differ), for the processes to listen on. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A device's request signed now (the processes run on this machine's clock), as a device sends it. */
function signed(device: Device, org: Org, o: SignedOptions) {
  return signedRequest(device, org.orgId, { timestamp: new Date().toISOString(), ...o });
}

function uploadRequest(device: Device, org: Org, batchId: string, body: unknown, o: Partial<SignedOptions> = {}) {
  return signed(device, org, { method: 'PUT', url: `/api/orgs/${org.orgId}/batches/${batchId}`, body, ...o });
}

/** As a client behind the load balancer at `address` (the processes trust the proxy on loopback). */
function from(address: string, r: HttpRequest): HttpRequest {
  return { ...r, headers: { ...r.headers, 'x-forwarded-for': address } };
}

function expectAnswer(answer: Answer, status: number, error?: string) {
  expect(answer.status, answer.body).toBe(status);
  if (error) expect((JSON.parse(answer.body) as { error: string }).error).toBe(error);
}

describe('two endpoint processes on one PostgreSQL database', () => {
  const schema = freshSchema('footfall_scaleout_test');
  const temps: string[] = [];
  let a: EndpointProcess;
  let b: EndpointProcess;
  let org: Org;
  let tablet: Device;

  /** Every batch the organisation's archive lists, read through `via`. */
  async function archive(via: EndpointProcess): Promise<ArchivePage['items']> {
    const items: ArchivePage['items'] = [];
    for (let after: string | null = null; ; ) {
      const query: string = after === null ? '' : `?after=${after}`;
      const res = await via.send(await signed(org.admin, org, { method: 'GET', url: `/api/orgs/${org.orgId}/archive${query}` }));
      expectAnswer(res, 200);
      const page = ArchivePage.parse(JSON.parse(res.body));
      items.push(...page.items);
      if (page.next === null) return items;
      after = page.next;
    }
  }

  beforeAll(async () => {
    await withPostgres((client) => client.query(`CREATE SCHEMA ${schema}`));
    const staticDir = mkdtempSync(join(tmpdir(), 'footfall-scaleout-static-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'footfall-scaleout-data-'));
    temps.push(staticDir, dataDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Footfall</title>');
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    // The same settings on both, as a load balancer's pool is configured; the proxy is on loopback.
    const env = { DATABASE_URL: url.toString(), STATIC_DIR: staticDir, DATA_DIR: dataDir, TRUST_PROXY: '127.0.0.1', FOOTFALL_SETUP_TOKEN: SETUP_TOKEN };
    const [portA, portB] = await freePorts(2);
    // Started at the same moment, on a database neither has seen.
    a = new EndpointProcess('A', portA!, env);
    b = new EndpointProcess('B', portB!, env);
    await Promise.all([a.ready(), b.ready()]);

    // The organisation is made through A; its front-desk tablet's code through B and claimed through A.
    const made = await newOrg();
    org = made.org;
    expectAnswer(await a.send({ method: 'POST', url: '/api/orgs', headers: { 'content-type': 'application/json', 'footfall-setup-token': SETUP_TOKEN }, payload: JSON.stringify(made.request) }), 201);
    const enrolment = await newEnrolment(org, 'frontDesk', 'Front desk tablet', new Date(Date.now() + 3_600_000).toISOString());
    expectAnswer(await b.send(await signed(org.admin, org, enrolment.create)), 201);
    expectAnswer(await a.send({ method: 'POST', url: '/api/enrol', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(enrolment.claim) }), 200);
    tablet = enrolment.device;
  }, 2 * START_MS);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  }, 30_000);

  it('start together on a new database, each migration applied once', async () => {
    const { rows } = await withPostgres((client) => client.query(`SELECT version FROM ${schema}.schema_version ORDER BY version`));
    expect(rows).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
  });

  it('store once a batch sent to both at the same moment: one says stored, the other already stored', async () => {
    const requests = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const batchId = uuidv4();
        return { batchId, request: await uploadRequest(org.admin, org, batchId, await sealedBatch(org, i)) };
      }),
    );
    // All forty at once: each batch to A and to B together.
    const answers = await Promise.all(requests.map(async ({ request }) => Promise.all([a.send(request), b.send(request)])));
    for (const pair of answers) {
      expect(pair.map((r) => r.status).sort(), pair.map((r) => r.body).join('\n')).toEqual([200, 201]);
      const receipts = pair.map((r) => BatchReceipt.parse(JSON.parse(r.body)));
      expect(receipts.map((r) => r.status).sort()).toEqual(['duplicate', 'stored']);
      expect(receipts[0]!.receivedAt).toBe(receipts[1]!.receivedAt);
    }
    const listed = await archive(b);
    for (const { batchId } of requests) expect(listed.filter((item) => item.batchId === batchId)).toHaveLength(1);
  });

  it('refuse on either process the same batch id with other bytes, at the same moment or later', async () => {
    // Later: stored through A, other bytes through B.
    const later = uuidv4();
    const first = await sealedBatch(org, 100, 'first');
    expectAnswer(await a.send(await uploadRequest(org.admin, org, later, first)), 201);
    expectAnswer(await b.send(await uploadRequest(org.admin, org, later, await sealedBatch(org, 100, 'other'))), 409, 'batch_conflict');
    expectAnswer(await b.send(await uploadRequest(org.admin, org, later, first)), 200);

    // At the same moment: two versions of each id, one to each process; one is stored, the other refused.
    const races = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const batchId = uuidv4();
        const bodies = [await sealedBatch(org, 200 + i, 'sent to A'), await sealedBatch(org, 200 + i, 'sent to B')] as const;
        const answers = await Promise.all([
          a.send(await uploadRequest(org.admin, org, batchId, bodies[0])),
          b.send(await uploadRequest(org.admin, org, batchId, bodies[1])),
        ]);
        return { batchId, bodies, answers };
      }),
    );
    const listed = await archive(a);
    expect(listed.filter((item) => item.batchId === later).map((item) => item.activity)).toEqual([first.activity]);
    for (const { batchId, bodies, answers } of races) {
      expect(answers.map((r) => r.status).sort(), answers.map((r) => r.body).join('\n')).toEqual([201, 409]);
      const winner = answers[0].status === 201 ? bodies[0] : bodies[1];
      expect(listed.filter((item) => item.batchId === batchId).map((item) => item.activity)).toEqual([winner.activity]);
    }
  });

  it('answer a replayed request alike: already stored within its window, refused on both once it is too old', async () => {
    const batchId = uuidv4();
    const captured = await uploadRequest(org.admin, org, batchId, await sealedBatch(org, 300));
    expectAnswer(await a.send(captured), 201);
    const replayed = await b.send(captured);
    expectAnswer(replayed, 200);
    expect(BatchReceipt.parse(JSON.parse(replayed.body)).status).toBe('duplicate');

    // A request captured six minutes ago, one minute past the window: neither process keeps it.
    const old = uuidv4();
    const stale = await uploadRequest(org.admin, org, old, await sealedBatch(org, 301), { timestamp: new Date(Date.now() - 6 * 60_000).toISOString() });
    expectAnswer(await a.send(stale), 401, 'stale_request');
    expectAnswer(await b.send(stale), 401, 'stale_request');

    const listed = await archive(b);
    expect(listed.filter((item) => item.batchId === batchId)).toHaveLength(1);
    expect(listed.filter((item) => item.batchId === old)).toHaveLength(0);
  });

  it('refuse a device on one process as soon as it is revoked through the other', async () => {
    const teamKeys = { method: 'GET', url: `/api/orgs/${org.orgId}/team-keys` } as const;
    expectAnswer(await b.send(await signed(tablet, org, teamKeys)), 200);
    expectAnswer(await a.send(await signed(org.admin, org, { method: 'POST', url: `/api/orgs/${org.orgId}/devices/${tablet.deviceId}/revoke` })), 200);
    expectAnswer(await b.send(await signed(tablet, org, teamKeys)), 403, 'device_revoked');
    expectAnswer(await b.send(await uploadRequest(tablet, org, uuidv4(), await sealedBatch(org, 400))), 403, 'device_revoked');
  });

  it("count a device's requests to both processes against one limit", async () => {
    // A client address of its own, so the count starts here.
    const at = '198.51.100.23';
    const remaining: number[] = [];
    for (let i = 0; i < 6; i++) {
      const via = i % 2 === 0 ? a : b;
      const res = await via.send(from(at, await signed(org.admin, org, { method: 'GET', url: `/api/orgs/${org.orgId}/team-keys` })));
      expectAnswer(res, 200);
      expect(res.headers.get('x-ratelimit-limit')).toBe(String(DEFAULT_LIMITS.perDevicePerMinute));
      remaining.push(Number(res.headers.get('x-ratelimit-remaining')));
    }
    // One count for the device, whichever process answered (each counting alone would give pairs).
    const limit = DEFAULT_LIMITS.perDevicePerMinute;
    expect(remaining).toEqual([1, 2, 3, 4, 5, 6].map((n) => limit - n));
  });

  it('refuse, on both processes, enrolment claims past the limit from one address, wherever the earlier ones went', async () => {
    const at = '203.0.113.41';
    const guessing = deviceKeys(await newDevice('Guessing device'));
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_LIMITS.enrolPerMinute + 2; i++) {
      const via = i % 2 === 0 ? a : b;
      const claim = { lookup: randomBytes(32).toString('base64url'), device: guessing };
      const res = await via.send(from(at, { method: 'POST', url: '/api/enrol', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(claim) }));
      statuses.push(res.status);
      if (res.status === 429) expectAnswer(res, 429, 'rate_limited');
    }
    // Ten unknown codes said so; the eleventh (to A) and the twelfth (to B) were not even looked up.
    expect(statuses).toEqual([...Array<number>(DEFAULT_LIMITS.enrolPerMinute).fill(404), 429, 429]);
  });
});
