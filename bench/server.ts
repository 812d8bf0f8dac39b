/**
 * `node --import tsx bench/server.ts [sqlite|postgres|both] [inFlightPerDevice]`: only the server
 * throughput figures of `npm run bench`, printed and not written to RESULTS.md. For working on
 * the endpoint's speed. Serves bench/.tmp/app, building it first if it is missing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, TMP } from './lib/build.ts';
import { benchServer } from './lib/serverBench.ts';
import { SERVER } from './lib/serverConfig.ts';

const which = process.argv[2] ?? 'both';
const inFlight = Number(process.argv[3] ?? SERVER.inFlightPerDevice);
const appDir = existsSync(join(TMP, 'app', 'index.html')) ? join(TMP, 'app') : await buildApp();
const log = (what: string) => console.log(`[server bench] ${what}`);
for (const backend of ['sqlite', 'postgres'] as const) {
  if (which !== 'both' && which !== backend) continue;
  const r = await benchServer({ ...SERVER, inFlightPerDevice: inFlight, backend, appDir, databaseUrl: SERVER.databaseUrl, log });
  log(`${backend}: body ${r.bodyBytes} B, journal ${r.journalMode}, idle RSS ${r.idleRssMiB.toFixed(0)} MiB, max RSS ${r.maxRssMiB.toFixed(0)} MiB, signing took ${(r.signMs / 1000).toFixed(1)} s`);
}
