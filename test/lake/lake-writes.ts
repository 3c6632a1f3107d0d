/**
 * Small tables written through the real lake destination, for catalog, concurrency and
 * table-operation tests: each batch is one commit of rows `(batch, n)` whose values say which
 * commit wrote them, so a reader can tell a lost, duplicated or partial commit apart.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { SourcePosition } from '../../src/core/stream.js';
import type { CommitResult, Destination, DestinationStream } from '../../src/destinations/destination.js';
import { stageChunk } from './lake-fixtures.js';

/** Columns of a batch table: which commit wrote the row, and its number within the commit. */
export const BATCH_COLUMNS: CanonicalColumn[] = [
  { name: 'batch', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
  { name: 'n', type: { kind: 'int64' }, nullable: false, sourceType: 'bigint' },
];

/** The rows of batch `batch`: `size` rows numbered 1…size. */
export function batchRows(batch: string, size: number): string[][] {
  return Array.from({ length: size }, (_, i) => [batch, String(i + 1)]);
}

/** Commits `rows` (one chunk per `chunkRows`) to `namespace.name` in one commit. */
export async function commitRows(
  destination: Destination,
  table: { namespace: string; name: string },
  rows: readonly (readonly (string | null)[])[],
  options: {
    disposition?: DestinationStream['disposition'];
    runId?: string;
    chunkRows?: number;
    columns?: CanonicalColumn[];
    position?: SourcePosition;
  } = {},
): Promise<CommitResult> {
  const stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
  const writer = await destination.openStream({
    ...table,
    columns: options.columns ?? BATCH_COLUMNS,
    primaryKey: [],
    disposition: options.disposition ?? 'append',
    runId: options.runId ?? 'run_test',
  });
  try {
    const chunkRows = options.chunkRows ?? Math.max(1, rows.length);
    for (let index = 0; index * chunkRows < rows.length; index++) {
      await writer.write(
        await stageChunk(stageDir, index, rows.slice(index * chunkRows, (index + 1) * chunkRows)),
      );
    }
    return await writer.commit(options.position ?? null);
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    await fs.rm(stageDir, { recursive: true, force: true });
  }
}

/** `batch → row count` of a table read back as `[batch, n]` rows, failing on a repeated row. */
export function countBatches(rows: readonly (readonly unknown[])[]): Map<string, number> {
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  for (const [batch, n] of rows) {
    const key = `${String(batch)}#${String(n)}`;
    if (seen.has(key)) throw new Error(`row ${key} appears twice`);
    seen.add(key);
    counts.set(String(batch), (counts.get(String(batch)) ?? 0) + 1);
  }
  return counts;
}
