/**
 * `node --import tsx bench/sync.ts [runs]`: only the sync figure of `npm run bench`, with the
 * PouchDB peer, printed and not written to RESULTS.md. Serves bench/.tmp/app, building it first if
 * missing; always rebuilds the browser bench bundle and the peer's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, buildBrowserBundle, buildPeerBundle, TMP } from './lib/build.ts';
import { openPlainBenchPage } from './lib/plainBenchPage.ts';
import { startPouchPeer } from './lib/pouchPeer.ts';
import { median } from './lib/stats.ts';
import { benchSync } from './lib/syncBench.ts';

const runs = Number(process.argv[2] ?? 3);
const appDir = existsSync(join(TMP, 'app', 'index.html')) ? join(TMP, 'app') : await buildApp();
const bundle = await buildBrowserBundle();
const peer = await startPouchPeer(await buildPeerBundle());
const bp = await openPlainBenchPage(appDir, bundle);
try {
  const result = await benchSync(bp, { events: 10_000, runs, peer, log: (what) => console.log(`[sync bench] ${what}`) });
  const round = median(result.runs.map((r) => r.roundMs));
  const base = median(result.runs.map((r) => r.baseline.totalMs));
  console.log(`[sync bench] median round ${round.toFixed(0)} ms, baseline ${base.toFixed(0)} ms (${(round / base).toFixed(1)}x)`);
  const back = median(result.runs.map((r) => r.afterOffline.roundMs));
  console.log(`[sync bench] saved offline, the round back online: median ${back.toFixed(0)} ms (${(back / base).toFixed(1)}x the baseline)`);
  for (const mode of ['plain', 'encrypted'] as const) {
    const ms = median(result.peer.filter((p) => p.mode === mode).map((p) => p.ms));
    console.log(`[sync bench] PouchDB peer (${mode}) median ${ms.toFixed(0)} ms, ${(ms / round).toFixed(1)}x Footfall's round`);
  }
} finally {
  await bp.dispose();
  await peer.stop();
}
