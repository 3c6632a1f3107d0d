/**
 * Reads a file stream's files into staged chunks: the files to load (all of them, or for an
 * incremental read those the previous position does not cover) are staged one after another
 * into one byte stream that is cut into chunks at row ends (`splitCsvIntoChunks`), so a large
 * file becomes several chunks and small files share one. Each chunk's position covers the files
 * whose rows all lie in it or earlier chunks. Quarantined rows of all files go to one side file,
 * attached to a closing empty chunk, which also carries the final position when the last data
 * chunk did not (the files at the end had no rows, or there was nothing new).
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { SourcePosition, StagedChunk, StagedQuarantine, StreamPlan } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { splitCsvIntoChunks } from '../csv-chunk-splitter.js';
import type { DescribedFile } from './described-file.js';
import type { ListedFile } from './file-store.js';
import { advanceFilesPosition, decodeFilesPosition, isLoaded } from './file-position.js';
import { QuarantineStage } from './quarantine-stage.js';
import { stageFile } from './stage-file.js';

/** What one read works with. */
export interface FilesRead {
  /** The connector's DuckDB connection. */
  db: DuckDB;
  /** The stream as planned. */
  plan: StreamPlan;
  /** The position to continue from (incremental reads). */
  from: SourcePosition | null;
  /** Every file the glob matches now. */
  listed: readonly ListedFile[];
  /** The description of a file (from discovery, or made now). */
  describe: (file: ListedFile) => Promise<DescribedFile>;
  /** The connector's private directory for pipes and cleaned copies. */
  workDir: string;
}

export async function* readFiles(read: FilesRead): AsyncGenerator<StagedChunk> {
  const { db, plan, listed } = read;
  const incremental = plan.mode === 'incremental';
  const previous = decodeFilesPosition(incremental ? read.from : null);
  const toLoad = incremental ? listed.filter((file) => !isLoaded(previous, file)) : listed;
  const positionAfter = (loaded: readonly ListedFile[]) =>
    incremental ? advanceFilesPosition(previous, listed, loaded) : null;
  const quarantine = new QuarantineStage(plan.stageDir);
  /** Where each staged file's bytes end in the combined stream, in order. */
  const ends: { offset: number; file: ListedFile }[] = [];

  async function* stagedBytes(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (const file of toLoad) {
      const staging = stageFile(db, await read.describe(file), plan.schema.columns, read.workDir);
      for await (const bytes of staging.output) {
        offset += bytes.length;
        yield bytes;
      }
      await quarantine.add(await staging.quarantined());
      ends.push({ offset, file });
    }
  }

  let complete = false;
  try {
    const done: ListedFile[] = [];
    let closedBytes = 0;
    let last: { index: number; position: SourcePosition | null } = { index: -1, position: null };
    for await (const chunk of splitCsvIntoChunks(stagedBytes(), plan.stageDir, plan.chunkBytes)) {
      closedBytes += chunk.bytes;
      while (ends[0] !== undefined && ends[0].offset <= closedBytes) done.push(ends.shift()!.file);
      last = { index: chunk.index, position: positionAfter(done) };
      yield { ...chunk, position: last.position };
    }
    const staged = await quarantine.finish();
    const final = positionAfter(toLoad);
    if (
      staged ||
      JSON.stringify(final) !== JSON.stringify(last.position) ||
      (incremental && last.index < 0)
    ) {
      yield await closingChunk(plan.stageDir, last.index + 1, final, staged);
    }
    complete = true;
  } finally {
    if (!complete) await quarantine.abort();
  }
}

/** An empty chunk that carries the final position and the quarantine file. */
async function closingChunk(
  stageDir: string,
  index: number,
  position: SourcePosition | null,
  quarantine: StagedQuarantine | null,
): Promise<StagedChunk> {
  const file = path.join(stageDir, `chunk-${String(index).padStart(6, '0')}.csv`);
  await (await open(file, 'wx')).close();
  return { index, path: file, rows: 0, bytes: 0, position, ...(quarantine && { quarantine }) };
}
