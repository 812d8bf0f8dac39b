/**
 * The load generator of the server figure, in a fresh process of its own (forked by
 * serverBench.ts), so neither the endpoint nor the bench's own busy process slows it: the devices
 * (each with its own P-256 signing key, made here), their keep-alive connections (node:http Agent,
 * one per device), and the requests, built and signed with the app's own signRequest before each
 * run. Talks to its parent over IPC:
 *   { type: 'init', devices, inFlightPerDevice,      -> { orgId, orgPublicKey, devices: [{ deviceId, signingKey, encryptionKey }] }
 *     uploadBytes? }                                    bodies of about uploadBytes (the activity part padded so) when given
 *   { type: 'prepare', kind, perDevice }             -> { signMs, bodyBytes }   builds (and signs) the next run's requests;
 *                                                                                'sink' sends the uploads' bodies to the bench's sink
 *   { type: 'run', ports, expectStatus }             -> LoadRun                  sends them, `inFlight` at a time per device,
 *                                                                                each to the next port in turn (a round-robin load balancer)
 *   { type: 'stop' }                                 -> {}                       closes the connections and exits
 */
import { Agent, request } from 'node:http';
import { generateOrgKeyPair, generateTeamKey, jsonBytes, sealTo, sealWithTeamKey } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk, signRequest } from '../../src/crypto/signing.ts';
import { SIGNATURE_HEADERS, type PublicJwk } from '../../src/domain/protocol.ts';
import type { LoadRun } from './serverBench.ts';
import { percentile } from './stats.ts';

export type ToLoad =
  | { type: 'init'; id: number; devices: number; inFlightPerDevice: number; uploadBytes?: number }
  | { type: 'prepare'; id: number; kind: LoadKind; perDevice: number }
  | { type: 'run'; id: number; ports: number[]; expectStatus: number }
  | { type: 'stop'; id: number };

/** Signed uploads, GET /api/health, or the same upload bodies to the bench's JSON sink (serverProcess.ts). */
export type LoadKind = 'upload' | 'health' | 'sink';

export interface LoadDevicePublic {
  deviceId: string;
  signingKey: PublicJwk;
  encryptionKey: PublicJwk;
}

interface PreparedRequest {
  method: 'GET' | 'PUT';
  path: string;
  headers: Record<string, string | number>;
  body: Buffer | null;
}

interface Device extends LoadDevicePublic {
  signing: CryptoKeyPair;
  agent: Agent;
}

const reply = (id: number, value: unknown) => process.send!({ type: 'done', id, value });

let orgId = '';
let devices: Device[] = [];
let inFlight = 1;
let parts: { activity: string; directory: string }[] = [];
let prepared: PreparedRequest[][] = [];
let seq = 0;

async function init(count: number, inFlightPerDevice: number, uploadBytes: number | undefined) {
  inFlight = inFlightPerDevice;
  orgId = crypto.randomUUID();
  const orgKey = await generateOrgKeyPair();
  const team = { version: 1, key: await generateTeamKey() };
  devices = [];
  for (let i = 0; i < count; i++) {
    const keys = await generateDeviceKeys();
    devices.push({
      deviceId: crypto.randomUUID(),
      signing: keys.signing,
      signingKey: await publicJwk(keys.signing.publicKey),
      encryptionKey: await publicJwk(keys.encryption.publicKey),
      agent: new Agent({ keepAlive: true, maxSockets: inFlightPerDevice }),
    });
  }
  // A few distinct real sealed batches: three check-ins in the activity part, one registration in the directory part.
  parts = [];
  for (let k = 0; k < 16; k++) {
    const at = new Date(Date.now() - k * 60_000).toISOString();
    const deviceId = devices[0]!.deviceId;
    const checkIns = Array.from({ length: 3 }, () => ({
      id: crypto.randomUUID(),
      at,
      deviceId,
      staffId: crypto.randomUUID(),
      type: 'visit.checkedIn',
      occurredAt: at,
      womanId: crypto.randomUUID(),
      siteId: 'main',
      services: ['meal', 'shower'],
    }));
    const registration = [{ id: crypto.randomUUID(), at, deviceId, staffId: crypto.randomUUID(), type: 'woman.registered', womanId: crypto.randomUUID(), knownAs: 'Ngozi A', details: {} }];
    // A real-sized upload: the activity part padded up to the size asked (base64url makes 3 bytes 4).
    const padTo = uploadBytes ? Math.floor(((uploadBytes - 2_500) * 3) / 4) : undefined;
    parts.push({
      activity: await sealTo(orgKey.publicJwk, jsonBytes(checkIns), padTo ? { padTo } : undefined),
      directory: await sealWithTeamKey(team, jsonBytes(registration)),
    });
  }
  return { orgId, orgPublicKey: orgKey.publicJwk, devices: devices.map(({ deviceId, signingKey, encryptionKey }) => ({ deviceId, signingKey, encryptionKey })) };
}

async function prepare(kind: LoadKind, perDevice: number) {
  const t0 = performance.now();
  let bodyBytes = 0;
  if (kind === 'health') {
    prepared = devices.map(() => Array.from({ length: perDevice }, () => ({ method: 'GET' as const, path: '/api/health', headers: {}, body: null })));
  } else {
    prepared = await Promise.all(
      devices.map(async (d) => {
        const list: PreparedRequest[] = [];
        for (let i = 0; i < perDevice; i++) {
          const p = parts[(seq + i) % parts.length]!;
          const text = JSON.stringify({ seq: seq + i, activity: p.activity, directory: p.directory });
          const path = kind === 'sink' ? `/sink/${crypto.randomUUID()}` : `/api/orgs/${orgId}/batches/${crypto.randomUUID()}`;
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
    seq += perDevice;
  }
  return { signMs: performance.now() - t0, bodyBytes };
}

/**
 * Sends every device's prepared requests, `inFlight` at a time per device, each device on its own
 * keep-alive connections, each request to the next of `ports` in turn. Latency is from issuing a
 * request to the last byte of its answer; the rate is answers over the wall time from the first
 * request to the last answer.
 */
async function run(ports: number[], expectStatus: number): Promise<LoadRun> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = '';
  let sent = 0;
  const one = (agent: Agent, r: PreparedRequest): Promise<void> =>
    new Promise((done) => {
      const port = ports[sent++ % ports.length]!;
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
  const work = prepared;
  prepared = [];
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    devices.flatMap((device, d) => {
      const queue = work[d]!;
      let next = 0;
      return Array.from({ length: inFlight }, async () => {
        while (next < queue.length) await one(device.agent, queue[next++]!);
      });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  if (failures) throw new Error(`${failures} of ${latencies.length} requests did not answer ${expectStatus}; the first: ${firstFailure}`);
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.reduce((a, b) => Math.max(a, b), 0),
    clientCpuUsPerRequest: (cpu.user + cpu.system) / latencies.length,
  };
}

process.on('message', (m: ToLoad) => {
  void (async () => {
    try {
      if (m.type === 'init') reply(m.id, await init(m.devices, m.inFlightPerDevice, m.uploadBytes));
      else if (m.type === 'prepare') reply(m.id, await prepare(m.kind, m.perDevice));
      else if (m.type === 'run') reply(m.id, await run(m.ports, m.expectStatus));
      else if (m.type === 'stop') {
        for (const d of devices) d.agent.destroy();
        reply(m.id, {});
        process.disconnect();
      }
    } catch (error) {
      process.send!({ type: 'error', id: m.id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
process.send!({ type: 'ready' });
