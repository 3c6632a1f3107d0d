/**
 * Reads a file stream's files into staged chunks: the files to load (all of them, or for an
 * incremental read those the previous position does not cover) are staged one after another
 * into one byte stream that is cut into chunks at row ends (`splitCsvIntoChunks`), so a large
 * file becomes several chunks and small files share one. Each chunk's position covers the files
 * whose rows all lie in it or earlier chunks. Quarantined rows of all files go to one side file,
 * attached to a closing empty chunk, which also carries the final position when the last data
 * chunk did not (the files at the end had no rows, or there was nothing new).
 *
 * When the chunks may be Parquet (`stagesParquet`: the consumer reads them, not a merge),
 * consecutive files of up to `chunkBytes` together are read as one group straight into typed
 * Parquet chunks (`stage-parquet.ts`) of about `chunkBytes` each; a group's last chunk carries
 * the position covering its files.
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SourcePosition, StagedChunk, StagedQuarantine, StreamPlan } from '../../core/stream.js';
import { stagesParquet } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { splitCsvIntoChunks } from '../csv-chunk-splitter.js';
import type { DescribedFile } from './described-file.js';
import type { ListedFile } from './file-store.js';
import { advanceFilesPosition, decodeFilesPosition, isLoaded } from './file-position.js';
import { typedSelectList } from './files-types.js';
import { QuarantineStage } from './quarantine-stage.js';
import type { FileRead } from './stage-file.js';
import { fileRead, stageFile } from './stage-file.js';
import { stageAsParquet } from './stage-parquet.js';
import { sizeGroups } from '../../core/size-groups.js';

/**
 * Files read by one statement at most (a `UNION ALL` of their readers, each with its own reject
 * tables): 300 small files read in one took 2.4 s where staging them as CSV took 5.2 s, and the
 * cap keeps the statement's size and planning bounded for globs of many thousands.
 */
const MAX_GROUP_FILES = 256;

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
  if (stagesParquet(read.plan)) {
    yield* readFilesAsParquet(read);
    return;
  }
  const { db, plan } = read;
  const { toLoad, positionAfter, quarantine } = startRead(read);
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
    const closing = await closingChunk(plan, await quarantine.finish(), positionAfter(toLoad), last);
    if (closing) yield closing;
    complete = true;
  } finally {
    if (!complete) await quarantine.abort();
  }
}

async function* readFilesAsParquet(read: FilesRead): AsyncGenerator<StagedChunk> {
  const { db, plan } = read;
  const { toLoad, positionAfter, quarantine } = startRead(read);
  let complete = false;
  /** The directory of the group being staged: its files not yet handed over go if the read stops. */
  let groupDir: string | null = null;
  try {
    const done: ListedFile[] = [];
    let last: { index: number; position: SourcePosition | null } = { index: -1, position: null };
    for (const group of fileGroups(toLoad, plan.chunkBytes)) {
      const reads: FileRead[] = [];
      for (const file of group) {
        const fileReading = fileRead(db, await read.describe(file), plan.schema.columns, typedSelectList);
        if (fileReading) reads.push(fileReading);
      }
      const dir = path.join(plan.stageDir, `parquet-${randomUUID()}`);
      groupDir = dir;
      const files =
        reads.length === 0
          ? []
          : await stageAsParquet(
              db,
              reads,
              group.map((file) => file.name),
              dir,
              // As large as a CSV chunk on disk, so ~3× its rows: the loader streams a Parquet
              // chunk, and fewer chunks cost less (10M rows: 12.8 CPU s and 291 MB peak RSS in 2
              // chunks, 14.3 CPU s and 321 MB in 7 of a quarter of the size).
              plan.chunkBytes,
            );
      for (const reading of reads) await quarantine.add(await reading.quarantined());
      const before = positionAfter(done);
      done.push(...group);
      for (const [i, file] of files.entries()) {
        const index = last.index + 1;
        const chunkPath = path.join(plan.stageDir, `chunk-${String(index).padStart(6, '0')}.parquet`);
        await rename(file.path, chunkPath);
        last = { index, position: i === files.length - 1 ? positionAfter(done) : before };
        yield {
          index,
          path: chunkPath,
          format: 'parquet',
          rows: file.rows,
          bytes: file.bytes,
          position: last.position,
        };
      }
      await rm(dir, { recursive: true, force: true });
      groupDir = null;
    }
    const closing = await closingChunk(plan, await quarantine.finish(), positionAfter(toLoad), last);
    if (closing) yield closing;
    complete = true;
  } finally {
    if (!complete) {
      if (groupDir) await rm(groupDir, { recursive: true, force: true });
      await quarantine.abort();
    }
  }
}

/**
 * Consecutive files of up to `bytes` and `MAX_GROUP_FILES` together (a larger file alone), read
 * as one group.
 */
function fileGroups(files: readonly ListedFile[], bytes: number): ListedFile[][] {
  return sizeGroups(files, (file) => file.size, bytes, MAX_GROUP_FILES);
}

/**
 * What both reads start from: the files to load (an incremental read skips those its previous
 * position covers), the position after a set of them, and the quarantine stage.
 */
function startRead(read: FilesRead): {
  toLoad: readonly ListedFile[];
  positionAfter: (loaded: readonly ListedFile[]) => SourcePosition | null;
  quarantine: QuarantineStage;
} {
  const { plan, listed } = read;
  const incremental = plan.mode === 'incremental';
  const previous = decodeFilesPosition(incremental ? read.from : null);
  return {
    toLoad: incremental ? listed.filter((file) => !isLoaded(previous, file)) : listed,
    positionAfter: (loaded) => (incremental ? advanceFilesPosition(previous, listed, loaded) : null),
    quarantine: new QuarantineStage(plan.stageDir),
  };
}

/**
 * An empty chunk after `last` (the last chunk yielded, index -1 when none) that carries the
 * quarantine file and the final position, when either still has to reach the run: there are
 * quarantined rows, the last chunk ended before `position`, or an incremental read yielded nothing
 * (its position must still be committed). Null when the last chunk said it all.
 */
async function closingChunk(
  plan: StreamPlan,
  quarantine: StagedQuarantine | null,
  position: SourcePosition | null,
  last: { index: number; position: SourcePosition | null },
): Promise<StagedChunk | null> {
  const moved = JSON.stringify(position) !== JSON.stringify(last.position);
  if (!quarantine && !moved && !(plan.mode === 'incremental' && last.index < 0)) return null;
  const index = last.index + 1;
  const file = path.join(plan.stageDir, `chunk-${String(index).padStart(6, '0')}.csv`);
  await (await open(file, 'wx')).close();
  return { index, path: file, rows: 0, bytes: 0, position, ...(quarantine && { quarantine }) };
}
