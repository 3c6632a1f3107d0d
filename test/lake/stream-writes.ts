/**
 * One commit through the real lake destination for any stream settings (partitioning, schema
 * policy, merge, soft delete): rows are canonical text, staged one chunk per inner array; with
 * `operations`, each row ends with its `_sluice_op` field.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CommitResult, Destination, DestinationStream } from '../../src/destinations/destination.js';
import { stageChunk } from './lake-fixtures.js';

/** Rows of one staged chunk. */
export type StagedRows = readonly (readonly (string | null)[])[];

/** Writes `chunks` as one stream and commits it; aborts and rethrows on failure. */
export async function writeStream(
  destination: Destination,
  stream: Omit<DestinationStream, 'runId' | 'primaryKey' | 'disposition'> &
    Partial<Pick<DestinationStream, 'runId' | 'primaryKey' | 'disposition'>>,
  chunks: readonly StagedRows[],
  options: { operations?: boolean } = {},
): Promise<CommitResult> {
  const stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
  const writer = await destination.openStream({
    runId: 'run_test',
    primaryKey: [],
    disposition: 'append',
    ...stream,
  });
  try {
    for (const [index, rows] of chunks.entries()) {
      const chunk = await stageChunk(stageDir, index, rows);
      await writer.write(options.operations ? { ...chunk, operations: true } : chunk);
    }
    return await writer.commit({ chunks: chunks.length });
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    await fs.rm(stageDir, { recursive: true, force: true });
  }
}
