/** The real Footfall endpoint (src/server/app.ts) serving a given build, like test/e2e/harness.ts's serveApp does for dist/. */
import { buildServer } from '../../src/server/app.ts';

export interface Served {
  url: string;
  stop: () => Promise<void>;
}

export async function serveBuild(staticDir: string): Promise<Served> {
  const server = await buildServer({ port: 0, host: '127.0.0.1', staticDir });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('the endpoint did not report its port');
  return { url: `http://127.0.0.1:${address.port}`, stop: () => server.close() };
}
