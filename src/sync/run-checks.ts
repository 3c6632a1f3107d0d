/**
 * The checks every load runs on what it moved, shared by `sluice sync` (run-sync.ts) and change
 * data capture (cdc-apply.ts): each chunk's content where the writer proves it
 * (chunk-fingerprints.ts), and after the commit that every staged row is in it.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { StagedChunk } from '../core/stream.js';
import type { CommitResult, StreamWriter } from '../destinations/destination.js';
import type { ChunkFingerprints } from './chunk-fingerprints.js';
import { assertChunkContent } from './chunk-fingerprints.js';

/**
 * Writes `chunk` with `writer`. When the writer proves content (`contentColumns`), the staged
 * chunk (of the stream's `columns`) is fingerprinted beside the write and must equal what the
 * writer read back; `label` names the chunk in the error (VERIFY_MISMATCH, before any commit).
 */
export async function writeProved(
  writer: StreamWriter,
  chunk: StagedChunk,
  columns: readonly CanonicalColumn[],
  fingerprints: ChunkFingerprints,
  label: string,
): Promise<void> {
  const proved = writer.contentColumns;
  const staged = proved && (await fingerprints.start(chunk, columns, proved));
  const written = await writer.write(chunk);
  if (staged) assertChunkContent(label, await staged.result, written?.content);
}

/**
 * Fails with VERIFY_MISMATCH unless the commit consumed every staged row: `staged` rows read in
 * this run plus `resumed` ones a resumed load committed before (a merge consumes them all, the
 * superseded changes of a key and the deletes included).
 */
export function assertCommitCount(label: string, staged: number, result: CommitResult, resumed = 0): void {
  const consumed = result.rowsStaged ?? result.rowsWritten;
  if (consumed === staged + resumed) return;
  throw new SluiceError(
    'VERIFY_MISMATCH',
    `${label}: read ${staged} rows` +
      (resumed ? ` (and resumed ${resumed})` : '') +
      ` but the commit holds ${consumed}`,
    {
      hint: 'this is a bug in Sluice; the snapshot is in history and can be inspected with `sluice history`',
    },
  );
}
