/**
 * The streaming half of a CDC run: batches from the capture, applied per stream, then progress
 * recorded, then the source acknowledged — in that order, so a crash between any two steps
 * replays and never skips. A retryable failure (a lost connection, a server restart) restarts
 * the stream from what is committed, after a backoff.
 */
import { rm } from 'node:fs/promises';
import type { ChangeBatch, ChangeCapture, LogPosition } from '../cdc/change-capture.js';
import type { StateRepository } from '../control/state-repository.js';
import { SluiceError } from '../core/errors.js';
import type { StreamPlan } from '../core/stream.js';
import type { Destination } from '../destinations/destination.js';
import type { Applied, CdcTarget } from './cdc-apply.js';
import { addApplied, applyStreamChanges } from './cdc-apply.js';
import { saveCommittedColumns } from './cdc-columns.js';
import type { CdcFigures } from './cdc-report.js';
import { LatencySamples } from './cdc-report.js';
import { streamLeaseKey } from './guarded-stream.js';
import { readAhead } from './read-ahead.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import type { SyncProgress } from './sync-report.js';

/** What the loop works on. */
export interface StreamLoop {
  capture: ChangeCapture;
  destination: Destination;
  runId: string;
  plans: StreamPlan[];
  /** Per stream (`captureStreamKey`): its table and the position it holds (updated as batches land). */
  targets: Map<string, CdcTarget>;
  /** Per stream: what was applied, added to as batches land. */
  totals: Map<string, Applied>;
  /** Capture progress in the control database. */
  progress: StateRepository;
  /** Progress key of the source. */
  sourceKey: string;
  /** Destination URL (progress keys are per destination table). */
  destinationUrl: string;
  maxRows: number;
  maxMs: number;
  untilCaughtUp: boolean;
  signal: AbortSignal;
  retry?: Partial<RetryPolicy>;
  onProgress?: (event: SyncProgress) => void;
}

/** The loop's figures (snapshot fields are filled by the caller). */
export type StreamFigures = Omit<CdcFigures, 'snapshotRows' | 'snapshotted' | 'sourceLagBytes'>;

export async function streamChanges(loop: StreamLoop): Promise<StreamFigures> {
  const latency = new LatencySamples();
  const figures = { batches: 0, heartbeats: 0, transactions: 0, changes: 0, caughtUp: false };
  let position: LogPosition | null = null;
  const started = Date.now();
  await withRetry(
    async () => {
      const start = await startPosition(loop);
      const streamFrom = new Map([...loop.targets].map(([key, t]) => [key, t.position!] as const));
      const batches = loop.capture.changes(loop.plans, start, {
        maxRows: loop.maxRows,
        maxMs: loop.maxMs,
        untilCaughtUp: loop.untilCaughtUp,
        signal: loop.signal,
        streamFrom,
      });
      // The capture gathers the next batch while this one is applied (one ahead: bounded disk).
      for await (const batch of readAhead(batches, 1)) {
        await applyBatch(loop, batch);
        const committedAt = Date.now();
        for (const time of batch.commitTimes) latency.add(Math.max(0, committedAt - time));
        figures.batches += 1;
        if (batch.changes === 0 && batch.transactions === 0) figures.heartbeats += 1;
        figures.transactions += batch.transactions;
        figures.changes += batch.changes;
        figures.caughtUp = batch.caughtUp;
        position = batch.position;
      }
    },
    {
      ...DEFAULT_RETRY,
      ...loop.retry,
      signal: loop.signal,
      onRetry: (error, _attempt, delayMs) =>
        loop.onProgress?.({
          stream: '*',
          phase: 'retry',
          rows: 0,
          bytes: 0,
          message: `${error.message}; resuming from the last commit in ${Math.round(delayMs / 1000)} s`,
        }),
    },
  );
  const seconds = Math.max(0.001, (Date.now() - started) / 1000);
  return {
    ...figures,
    changesPerSecond: Math.round(figures.changes / seconds),
    latencyP50Ms: latency.percentile(50),
    latencyP99Ms: latency.percentile(99),
    position,
  };
}

/** Applies one batch: each changed stream behind it merge-commits; then progress; then the ack. */
async function applyBatch(loop: StreamLoop, batch: ChangeBatch): Promise<void> {
  try {
    for (const changes of batch.streams) {
      const target = loop.targets.get(changes.stream);
      if (!target) continue;
      // After a crash some tables were committed past this batch and others not.
      if (target.position && loop.capture.compare(target.position, batch.position) >= 0) continue;
      const applied = await applyStreamChanges(loop.destination, target, loop.runId, changes, batch.position);
      addApplied(loop.totals.get(changes.stream)!, applied);
      const columns = changes.segments.at(-1)?.columns;
      const key = streamLeaseKey(loop.destinationUrl, changes.stream);
      if (columns) await saveCommittedColumns(loop.progress, loop.sourceKey, key, columns);
      loop.onProgress?.({ stream: changes.stream, phase: 'commit', rows: applied.rows, bytes: 0 });
    }
    for (const key of loop.targets.keys()) {
      await loop.progress.putState(
        loop.sourceKey,
        streamLeaseKey(loop.destinationUrl, key),
        batch.position,
        loop.runId,
      );
    }
    await loop.capture.acknowledge(batch.position);
  } finally {
    // A long-running capture must not fill the disk with applied (or abandoned) batches.
    const files = batch.streams.flatMap((s) => s.segments.flatMap((g) => (g.chunk ? [g.chunk.path] : [])));
    await Promise.all(files.map((file) => rm(file, { force: true })));
  }
}

/** min over streams of max(table position, recorded progress): nothing any table lacks is skipped. */
async function startPosition(loop: StreamLoop): Promise<LogPosition> {
  let start: LogPosition | null = null;
  for (const [key, target] of loop.targets) {
    let effective = target.position!;
    const saved = await loop.progress.getState(loop.sourceKey, streamLeaseKey(loop.destinationUrl, key));
    if (saved && loop.capture.compare(saved.position, effective) > 0) effective = saved.position;
    if (start === null || loop.capture.compare(effective, start) < 0) start = effective;
  }
  if (start === null)
    throw new SluiceError('USAGE', 'no tables to capture', { hint: 'name tables with --tables' });
  return start;
}
