/**
 * `node --max-old-space-size=6000 --import tsx bench/micro/report.ts [events]` (RUNS=n for other
 * than 4 runs): the report's pure stages on a synthetic history (bench/lib/history.ts), each on its
 * own in Node: chunk rows parsed and decoded, gathered and bound, resolved, encoded, kept as JSON,
 * decoded, counted. For finding where a report opening's JavaScript time goes without a browser;
 * not part of `npm run bench`.
 */
import { decodeSealedChunk, encodeChunk } from '../../src/app/admin/archive/chunkCodec.ts';
import { gatherEvents } from '../../src/app/admin/archive/archiveEvents.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import { decodeHistory, encodeHistory } from '../../src/domain/historyCodec.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import { syntheticHistory } from '../lib/history.ts';

const total = Number(process.argv[2] ?? 500_000);
const config = defaultConfig({ key: 'main', name: 'Main' });
const events = syntheticHistory(total, crypto.randomUUID(), crypto.randomUUID());
const rows: { id: string; json: string }[] = [];
for (let i = 0; i < events.length; i += 5000) rows.push({ id: `chunk:${i}`, json: JSON.stringify(encodeChunk(events.slice(i, i + 5000))) });

for (let run = 0; run < Number(process.env.RUNS ?? 4); run++) {
  const stages: string[] = [];
  let last = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    stages.push(`${name} ${(now - last).toFixed(0)}`);
    last = now;
  };
  const values = rows.map((r) => JSON.parse(r.json) as unknown);
  lap('parse');
  const rowsRead = values.map(decodeSealedChunk);
  lap('unpack');
  const gathered = await gatherEvents(rowsRead, { events: [], unreadable: 0 });
  lap('gather');
  const history = resolveHistory(gathered.events, config);
  lap('resolve');
  const encoded = encodeHistory(history);
  lap('encode');
  const json = JSON.stringify(encoded);
  lap('stringify');
  const decoded = decodeHistory(JSON.parse(json), config);
  lap('parse+decode');
  const report = buildReport(decoded, config, { kind: 'financialYear', startYear: 2024 });
  lap('count');
  console.log(`run ${run + 1}: ${stages.join(', ')} ms; ${history.records.length} records, ${report.figures.visits} visits, ${(json.length / 1e6).toFixed(1)} MB kept`);
}
