/** How the server figures are taken: shared by bench/run.ts and bench/server.ts. */
export const SERVER = {
  devices: 8,
  /**
   * Requests each device keeps in flight, each on its own keep-alive connection: 4 (32 in all) for
   * the main figure, which keeps the endpoint busy while its p99 stays far under the 50 ms bar, and
   * 2 (16 in all) for SQLite again, to show the rate at lower concurrency.
   */
  inFlightPerDevice: 4,
  lowerInFlightPerDevice: 2,
  /** Uploads per run (and as many health checks): 5 runs make 30,000 per figure. */
  perRun: 6_000,
  runs: 5,
  warmup: 1_600,
  /**
   * Real-sized uploads: about 721 KB each, what a device sends with a full backlog (its largest
   * size bucket). Fewer per run, so a figure takes seconds and the stored bytes stay under a
   * gigabyte; 5 runs, so that memory that keeps growing can be told from the RSS moving up and
   * down with tens of megabytes in flight (report.ts memoryBounded).
   */
  realSized: { uploadBytes: 721_000, perRun: 192, warmup: 32, runs: 5 },
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/**
 * Where an upload's time goes (uploadStages.ts): the smallest upload and a real-sized one, in
 * groups of 32, the main figure's requests in flight.
 */
export const UPLOAD_STAGES = [
  { count: 2_000, group: 32 },
  { count: 96, group: 32, uploadBytes: SERVER.realSized.uploadBytes },
] as const;
