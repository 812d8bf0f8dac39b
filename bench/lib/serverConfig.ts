/** How the server figures are taken: shared by bench/run.ts and bench/server.ts. */
export const SERVER = {
  devices: 8,
  /** Requests each device keeps in flight, each on its own keep-alive connection. */
  inFlightPerDevice: 2,
  /** Uploads per run (and as many health checks): 5 runs make 30,000 per figure. */
  perRun: 6_000,
  runs: 5,
  warmup: 1_600,
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};
