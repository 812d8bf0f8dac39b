/** The real Footfall endpoint (src/server/app.ts) serving a given build, like test/e2e/harness.ts's serveApp does for dist/. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';

export interface Served {
  url: string;
  stop: () => Promise<void>;
}

/** `routes`: the bench's own pages and routes, on the app's origin beside the endpoint's. */
export async function serveBuild(staticDir: string, routes?: FastifyPluginAsync): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), 'footfall-bench-data-'));
  const server = await buildServer({ port: 0, host: '127.0.0.1', staticDir, dataDir }, { storage: await openSqliteStorage(dataDir) });
  // For the sync figure's baseline: one POST of raw bytes, read in full and answered with its length.
  await server.register(async (sink) => {
    sink.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 256 * 1024 * 1024 }, (_request, body, done) => done(null, body));
    sink.post('/bench/sink', { bodyLimit: 256 * 1024 * 1024 }, async (request) => ({ bytes: (request.body as Buffer).length }));
  });
  if (routes) await server.register(routes);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('the endpoint did not report its port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
