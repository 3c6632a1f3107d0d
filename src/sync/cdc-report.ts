/** What a CDC run reports beyond a sync report: batches, changes, throughput and latency. */
import type { SyncReport } from './sync-report.js';

/** Figures of the change stream of one CDC run. */
export interface CdcFigures {
  /** Batches applied (each one commit per changed stream). */
  batches: number;
  /** Heartbeat batches among them (no changes; the position moved on). */
  heartbeats: number;
  /** Source transactions applied. */
  transactions: number;
  /** Row changes applied (inserts, updates, deletes, truncates). */
  changes: number;
  /** Rows loaded by initial snapshots. */
  snapshotRows: number;
  /** Streams that got an initial snapshot (or a re-snapshot) in this run. */
  snapshotted: string[];
  /** Row changes per second of streaming time (snapshot excluded). */
  changesPerSecond: number;
  /** End-to-end latency (destination commit time − source commit time), median, ms; null without transactions. */
  latencyP50Ms: number | null;
  /** The same, 99th percentile. */
  latencyP99Ms: number | null;
  /** Position the run ended at (the last batch's), or null when no batch was applied. */
  position: Readonly<Record<string, string | number | boolean | null>> | null;
  /** True when the run stopped because it caught up (`--until-caught-up`). */
  caughtUp: boolean;
  /** Log the source still keeps for Sluice when the run ended (the slot's lag, bytes), or null when unknown. */
  sourceLagBytes: number | null;
}

/** A CDC run's report: the sync report plus the change stream's figures. */
export interface CdcReport extends SyncReport {
  /** The change stream's figures. */
  cdc: CdcFigures;
}

/** Latency samples kept for percentiles: a bounded reservoir, so a long run keeps flat memory. */
export class LatencySamples {
  private readonly samples: number[] = [];
  private seen = 0;

  constructor(private readonly capacity = 100_000) {}

  /** Adds one latency (ms). */
  add(ms: number): void {
    this.seen += 1;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.capacity) this.samples[slot] = ms;
    }
  }

  /** The `p`-th percentile (0–100), or null without samples. */
  percentile(p: number): number | null {
    if (this.samples.length === 0) return null;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[index] ?? null;
  }
}
