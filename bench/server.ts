/**
 * `node --import tsx bench/server.ts [sqlite|postgres|both|processes|stages] [inFlightPerDevice] [runs] [real]`: only the
 * server throughput figures of `npm run bench`, printed and not written to RESULTS.md. For working
 * on the endpoint's speed. `processes` measures PostgreSQL with one endpoint process and then two
 * on the one database, in the same run. `stages` prints where an upload's time goes
 * (uploadStages.ts), small and real-sized. `real` sends real-sized uploads (SERVER.realSized). Serves bench/.tmp/app, building it first if it is missing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, TMP } from './lib/build.ts';
import { benchServer } from './lib/serverBench.ts';
import { SERVER, UPLOAD_STAGES } from './lib/serverConfig.ts';
import { memoryBounded } from './lib/report.ts';
import { median } from './lib/stats.ts';
import { benchUploadStages, uploadStageLines } from './lib/uploadStages.ts';

const which = process.argv[2] ?? 'both';
const inFlight = Number(process.argv[3] ?? SERVER.inFlightPerDevice);
const runs = Number(process.argv[4] ?? SERVER.runs);
const sizing = process.argv[5] === 'real' ? SERVER.realSized : {};
if (which === 'stages') {
  for (const stages of UPLOAD_STAGES) console.log(uploadStageLines(await benchUploadStages({ ...stages, databaseUrl: SERVER.databaseUrl })).join('\n'));
  process.exit(0);
}
const appDir = existsSync(join(TMP, 'app', 'index.html')) ? join(TMP, 'app') : await buildApp();
const log = (what: string) => console.log(`[server bench] ${what}`);
const figures: { backend: 'sqlite' | 'postgres'; processes: number }[] =
  which === 'processes'
    ? [1, 2].map((processes) => ({ backend: 'postgres', processes }))
    : (['sqlite', 'postgres'] as const).filter((backend) => which === 'both' || which === backend).map((backend) => ({ backend, processes: 1 }));
for (const { backend, processes } of figures) {
  const r = await benchServer({ ...SERVER, ...sizing, inFlightPerDevice: inFlight, runs, backend, processes, appDir, databaseUrl: SERVER.databaseUrl, log });
  const rate = median(r.runs.map((k) => k.upload.perSecond));
  const p99 = median(r.runs.map((k) => k.upload.p99));
  const cpu = (kind: 'upload' | 'health' | 'sink') => median(r.runs.map((k) => k[kind].cpuUsPerRequest!)).toFixed(0);
  const loopCpu = median(r.runs.map((k) => k.upload.loopCpuUsPerRequest!)).toFixed(0);
  const clientCpu = median(r.runs.map((k) => k.upload.clientCpuUsPerRequest)).toFixed(0);
  const databaseCpu = r.runs[0]?.upload.databaseCpuUsPerRequest !== undefined ? `; PostgreSQL ${median(r.runs.map((k) => k.upload.databaseCpuUsPerRequest!)).toFixed(0)}` : '';
  log(
    `${backend} x ${processes}: median ${rate.toFixed(0)} uploads/s, p99 ${p99.toFixed(2)} ms, ${cpu('upload')} µs CPU each (${loopCpu} on the event loop; the client ${clientCpu}${databaseCpu}) ` +
      `(health ${cpu('health')} µs, sink ${median(r.runs.map((k) => k.sink.perSecond)).toFixed(0)}/s at ${cpu('sink')} µs); body ${r.bodyBytes} B, journal ${r.journalMode}, ` +
      `idle RSS ${r.idleRssMiB.toFixed(0)} MiB, max RSS ${r.maxRssMiB.toFixed(0)} MiB, end of each run ${r.runs.map((k) => k.rssMiB.toFixed(0)).join(', ')} MiB (${memoryBounded(r) ? 'bounded' : 'GROWING'}), ` +
      `signing took ${(r.signMs / 1000).toFixed(1)} s`,
  );
}
