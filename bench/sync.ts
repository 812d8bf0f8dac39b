/**
 * `node --import tsx bench/sync.ts [runs]`: only the sync figure of `npm run bench`, in Chromium,
 * printed and not written to RESULTS.md. Serves bench/.tmp/app, building it first if missing;
 * always rebuilds the browser bench bundle.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, buildBrowserBundle, TMP } from './lib/build.ts';
import { openBenchPage } from './lib/browserPage.ts';
import { benchSync } from './lib/syncBench.ts';

const runs = Number(process.argv[2] ?? 3);
const appDir = existsSync(join(TMP, 'app', 'index.html')) ? join(TMP, 'app') : await buildApp();
const bundle = await buildBrowserBundle();
const bp = await openBenchPage(appDir, bundle);
try {
  await benchSync(bp, { events: 10_000, runs, log: (what) => console.log(`[sync bench] ${what}`) });
} finally {
  await bp.dispose();
}
