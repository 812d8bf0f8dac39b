/**
 * The PouchDB peer, in the page (its own bundle, bench/lib/build.ts buildPeerBundle): PouchDB 9
 * with its IndexedDB adapter, in the same Chromium, holding the same waiting records Footfall's
 * round uploads, replicating them to a PouchDB server on this machine (bench/lib/pouchPeer.ts).
 *
 * Nothing drives the page while it runs: Chromium is started on its address and nothing else,
 * so no automation sees its requests, and the page posts what it measured when it is done. The
 * order comes in the address's fragment: how many records, plain or encrypted, which databases.
 *
 * "Encrypted" is what an app on PouchDB does to keep records sealed at rest and on the server:
 * each record is AES-256-GCM encrypted before it is stored (untimed, as Footfall's records are
 * sealed when saved), and the replication carries the ciphertext.
 */
import PouchDB from 'pouchdb-browser';
import { v7 as uuidv7 } from 'uuid';
import { waitingEvents } from '../lib/waitingEvents.ts';
import { PeerOrder, type PeerOutcome } from '../lib/peerOrder.ts';

const CHUNK = 1000;

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

async function docsOf(order: PeerOrder): Promise<Record<string, unknown>[]> {
  const events = waitingEvents(order.events, uuidv7(), uuidv7());
  if (order.mode === 'plain') return events.map((e) => ({ _id: e.id, ...e }));
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const encoder = new TextEncoder();
  return Promise.all(
    events.map(async (e) => {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(JSON.stringify(e))));
      return { _id: e.id, iv: base64(iv), ct: base64(ct) };
    }),
  );
}

async function run(order: PeerOrder): Promise<PeerOutcome> {
  const local = new PouchDB(order.local);
  const filled = performance.now();
  const docs = await docsOf(order);
  for (let i = 0; i < docs.length; i += CHUNK) await local.bulkDocs(docs.slice(i, i + CHUNK));
  const prefillMs = performance.now() - filled;
  const info = await local.info();
  if (info.doc_count !== order.events) throw new Error(`the local database holds ${info.doc_count} records, not ${order.events}`);
  const started = performance.now();
  const result = await local.replicate.to(`${location.origin}/db/${order.remote}`);
  const ms = performance.now() - started;
  return { ok: true, ms, prefillMs, docsWritten: result.docs_written };
}

async function report(outcome: PeerOutcome): Promise<void> {
  await fetch('/peer/result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(outcome) });
}

const order = PeerOrder.parse(JSON.parse(decodeURIComponent(location.hash.slice(1))));
run(order).then(report, (error: unknown) => report({ ok: false, error: String(error) }));
