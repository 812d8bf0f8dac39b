import { buildServer } from './app.ts';
import { configFromEnv } from './config.ts';
import { openStorage } from './storage/index.ts';

try {
  const config = configFromEnv(process.env);
  const storage = await openStorage({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  // The server owns the storage from here and closes it when it closes.
  const app = await buildServer(config, { storage, logger: true });
  await app.listen({ port: config.port, host: config.host });
  if (config.setupClosed) {
    console.warn('New organisations cannot be set up on this server: it can be reached from other machines. Set FOOTFALL_SETUP_TOKEN to allow it.');
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
