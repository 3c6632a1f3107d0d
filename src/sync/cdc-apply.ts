/**
 * Applies what a change capture produced to a destination, one stream at a time: an initial
 * snapshot as a replace, a batch's segments as merges. Every commit carries the position its
 * table then holds. Only a batch's last commit carries the batch's position; a truncate (an
 * empty replace) or an earlier segment keeps the stream's previous position, so a crash between
 * them replays the whole batch for that stream, which by the capture contract is harmless.
 */
import type { LogPosition, StreamChanges } from '../cdc/change-capture.js';
import type { CanonicalColumn } from '../core/canonical-types.js';
import type { StagedChunk, StreamPlan } from '../core/stream.js';
import type { CommitResult, Destination, DestinationStream } from '../destinations/destination.js';
import type { ChunkFingerprints } from './chunk-fingerprints.js';
import { assertCommitCount, writeProved } from './run-checks.js';
import type { StreamLease } from './stream-lease.js';

/** One stream as a CDC run applies it. */
export interface CdcTarget {
  /** The stream's read plan (schema, key). */
  plan: StreamPlan;
  /** Partitioning, schema policy, soft delete of its table. */
  table: Pick<DestinationStream, 'partitionBy' | 'schemaPolicy' | 'softDelete'>;
  /** The held lease; checked right before each commit. */
  lease: StreamLease;
  /** Position its table holds (from the destination), or null before its first snapshot. */
  position: LogPosition | null;
  /** The run's fingerprinting of staged chunks, for the content check of each write. */
  fingerprints: ChunkFingerprints;
}

/** What applying to one stream did. */
export interface Applied {
  /** Staged rows consumed. */
  rows: number;
  /** Rows written by the commits. */
  rowsWritten: number;
  /** Bytes of data files written. */
  bytesWritten: number;
  /** Data files written. */
  filesWritten: number;
  /** The last snapshot committed. */
  snapshotId: string | null;
  /** Commits made, each with its row count checked. */
  commits: number;
  /** Of those, commits whose content was proved too (`CommitResult.contentChecked`). */
  contentChecked: number;
}

/** An empty result to add to. */
export function noneApplied(): Applied {
  return {
    rows: 0,
    rowsWritten: 0,
    bytesWritten: 0,
    filesWritten: 0,
    snapshotId: null,
    commits: 0,
    contentChecked: 0,
  };
}

/** Adds what one more application did to `total`. */
export function addApplied(total: Applied, applied: Applied): void {
  total.rows += applied.rows;
  total.rowsWritten += applied.rowsWritten;
  total.bytesWritten += applied.bytesWritten;
  total.filesWritten += applied.filesWritten;
  total.snapshotId = applied.snapshotId ?? total.snapshotId;
  total.commits += applied.commits;
  total.contentChecked += applied.contentChecked;
}

/** What one commit of `rows` staged rows did, as an application. */
function appliedBy(result: CommitResult, rows: number): Applied {
  return {
    rows,
    rowsWritten: result.rowsWritten,
    bytesWritten: result.bytesWritten,
    filesWritten: result.filesWritten,
    snapshotId: result.snapshotId,
    commits: 1,
    contentChecked: result.contentChecked ? 1 : 0,
  };
}

/** Writes `chunks` to the stream's table with `disposition` and commits them at `position`. */
export async function commitChunks(
  destination: Destination,
  target: CdcTarget,
  runId: string,
  disposition: 'replace' | 'merge',
  columns: CanonicalColumn[],
  chunks: AsyncIterable<StagedChunk> | Iterable<StagedChunk>,
  position: LogPosition | null,
  total: Applied,
): Promise<void> {
  const { schema, primaryKey } = target.plan;
  const writer = await destination.openStream({
    namespace: schema.namespace,
    name: schema.name,
    columns,
    primaryKey,
    disposition,
    runId,
    ...target.table,
  });
  try {
    let rows = 0;
    const name = `${schema.namespace}.${schema.name}`;
    for await (const chunk of chunks) {
      await writeProved(writer, chunk, columns, target.fingerprints, `${name} chunk ${chunk.index}`);
      rows += chunk.rows;
    }
    await target.lease.assertHeld();
    const result = await writer.commit(position);
    assertCommitCount(name, rows, result);
    addApplied(total, appliedBy(result, rows));
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
}

/** Applies one stream's changes of a batch, in order; the table then holds `batchPosition`. */
export async function applyStreamChanges(
  destination: Destination,
  target: CdcTarget,
  runId: string,
  changes: StreamChanges,
  batchPosition: LogPosition,
): Promise<Applied> {
  const total = noneApplied();
  const segments = changes.segments;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment.truncateFirst) {
      const position = last && !segment.chunk ? batchPosition : target.position;
      await commitChunks(destination, target, runId, 'replace', segment.columns, [], position, total);
    }
    if (segment.chunk) {
      const position = last ? batchPosition : target.position;
      await commitChunks(
        destination,
        target,
        runId,
        'merge',
        segment.columns,
        [segment.chunk],
        position,
        total,
      );
    }
  }
  target.position = batchPosition;
  return total;
}
