/**
 * What a benchmark is and what it reports. Each benchmark measures Sluice and a physical limit
 * (or a peer tool) on the same data in the same run, so the ratio means something on any machine.
 */

/** One benchmark's outcome: a row of the `npm run bench` table. */
export interface BenchmarkResult {
  /** Benchmark name, e.g. `pg-full-sync`. */
  name: string;
  /** Sluice's wall time in seconds (best of the runs), or null when it failed. */
  sluiceSeconds: number | null;
  /** The limit's wall time in seconds (best of the runs), or null when it could not be measured. */
  limitSeconds: number | null;
  /** sluiceSeconds / limitSeconds: 1.0 means as fast as the limit; null when either is missing. */
  ratio: number | null;
  /** Peak resident memory of the Sluice process, in bytes, when known. */
  peakRssBytes: number | null;
  /** What was measured against what, or why a measurement is missing. */
  note: string;
  /** True when the benchmark could not produce its numbers (npm run bench then exits 1). */
  failed: boolean;
}

/** A registered benchmark. */
export interface Benchmark {
  /** Short name, used in the table and to select benchmarks on the command line. */
  name: string;
  /** Sets up its data, measures, and cleans up after itself whatever happens. */
  run(): Promise<BenchmarkResult>;
}
