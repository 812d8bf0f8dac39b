import { buildServer } from './app.ts';
import { configFromEnv } from './config.ts';

try {
  const config = configFromEnv(process.env);
  const app = await buildServer(config, { logger: true });
  await app.listen({ port: config.port, host: config.host });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
