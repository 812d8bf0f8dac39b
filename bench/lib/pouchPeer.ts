/**
 * The peer the sync figure is compared with: a PouchDB server (express-pouchdb on PouchDB 9, in
 * this process) and, per run, a fresh Chromium started on the peer's page and nothing else
 * (bench/browser/pouchPeer.ts), which replicates the same waiting records to it and posts how
 * long that took. No automation is attached to that Chromium, so none is in the timed path.
 *
 * The server keeps its databases in memory (pouchdb-adapter-memory), where Footfall's endpoint
 * commits to SQLite on disk: that favours the peer, never Footfall.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import expressPouchDb from 'express-pouchdb';
import PouchDB from 'pouchdb-core';
import memoryAdapter from 'pouchdb-adapter-memory';
import httpAdapter from 'pouchdb-adapter-http';
import mapReduce from 'pouchdb-mapreduce';
import replication from 'pouchdb-replication';
import { PeerOutcome, type PeerMode, type PeerOrder } from './peerOrder.ts';
import { answerOf, launchPlainChromium } from './plainChromium.ts';

/** Generous: a loaded 2-core machine, and the peer's slowest runs took over 20 s when it was first measured. */
const RUN_TIMEOUT_MS = 5 * 60_000;

export interface PeerRun {
  mode: PeerMode;
  /** The timed replication, ms. */
  ms: number;
  /** Storing the records in the page's PouchDB first (untimed in the figure), ms. */
  prefillMs: number;
  docsWritten: number;
}

export interface PouchPeer {
  run(mode: PeerMode, events: number): Promise<PeerRun>;
  stop(): Promise<void>;
}

async function text(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

export async function startPouchPeer(bundle: string): Promise<PouchPeer> {
  const folder = mkdtempSync(join(tmpdir(), 'footfall-bench-peer-'));
  const Server = PouchDB.plugin(memoryAdapter).plugin(httpAdapter).plugin(mapReduce).plugin(replication).defaults({ adapter: 'memory' });
  let waiting: ((outcome: PeerOutcome) => void) | null = null;
  const couch = expressPouchDb(Server, { mode: 'minimumForPouchDB', inMemoryConfig: true, logPath: join(folder, 'express-pouchdb.log') });
  // The bundle inline, on a page of the peer's own origin, so its requests to /db are same-origin.
  // A first script reports any error the bundle throws while loading, which would otherwise leave the run waiting.
  const onError = `addEventListener('error', (e) => fetch('/peer/result', { method: 'POST', body: JSON.stringify({ ok: false, error: String(e.message) }) }));`;
  const page = `<!doctype html><meta charset="utf-8"><title>PouchDB peer</title><script>${onError}</script><script>${bundle.replaceAll('</script', '<\\/script')}</script>`;
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url === '/db' || url.startsWith('/db/')) {
      request.url = url.slice(3) || '/';
      couch(request, response);
    } else if (request.method === 'GET' && url === '/peer') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (request.method === 'POST' && url === '/peer/result') {
      void text(request).then((body) => {
        response.writeHead(204).end();
        waiting?.(PeerOutcome.parse(JSON.parse(body)));
      });
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let runs = 0;

  return {
    async run(mode, events) {
      const n = ++runs;
      const order: PeerOrder = { events, mode, local: `peer-${n}`, remote: `peer-${mode}-${n}` };
      const outcome = new Promise<PeerOutcome>((resolve) => {
        waiting = resolve;
      });
      const chromium = launchPlainChromium(`${origin}/peer#${encodeURIComponent(JSON.stringify(order))}`);
      try {
        const o = await answerOf(outcome, chromium, RUN_TIMEOUT_MS, 'the PouchDB peer');
        if (!o.ok) throw new Error(`the PouchDB peer failed: ${o.error}`);
        if (o.docsWritten !== events) throw new Error(`the PouchDB peer replicated ${o.docsWritten} of ${events} records`);
        return { mode, ms: o.ms, prefillMs: o.prefillMs, docsWritten: o.docsWritten };
      } finally {
        waiting = null;
        await chromium.close();
        await fetch(`${origin}/db/${order.remote}`, { method: 'DELETE' });
      }
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

