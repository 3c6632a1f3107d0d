/**
 * Staging files as Parquet chunks (`StagedFormat` `parquet`, for consumers that read them): the
 * rows of a group of files, read by DuckDB with the stream's types (`typedSelectList`), go in one
 * `COPY … TO` a directory of Parquet files of about `fileBytes` each (DuckDB's FILE_SIZE_BYTES
 * rotation), and each file becomes one chunk. The file is parsed once: no value is rendered as
 * canonical text and parsed again by the destination.
 *
 * The chunks of a group exist once its COPY has finished (DuckDB creates the next file of a
 * rotation before it has finished the previous one, so a file is not known complete earlier):
 * a large file is staged whole, as Parquet (about a third of its CSV size), before its first
 * chunk loads.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import { fileReadError } from './files-errors.js';
import type { FileRead } from './stage-file.js';

/** One Parquet file written, with DuckDB's own count of its rows. */
export interface StagedParquetFile {
  /** Absolute path (inside the directory given). */
  path: string;
  /** Rows in the file. */
  rows: number;
  /** Its size in bytes. */
  bytes: number;
}

/**
 * Writes the rows of `reads` (whose SELECT lists give the same columns) as Parquet files of about
 * `fileBytes` into `dir`, which must not exist yet; returns the files with rows, in DuckDB's
 * order. `names` names the files read, for the error when the read fails.
 */
export async function stageAsParquet(
  db: DuckDB,
  reads: readonly FileRead[],
  names: readonly string[],
  dir: string,
  fileBytes: number,
): Promise<StagedParquetFile[]> {
  const query = reads.map((read) => read.select).join(' UNION ALL ');
  // Snappy: a third of the uncompressed size for a tenth more CPU (zstd costs more, and the
  // destination writes zstd anyway); the size also bounds what the run hashes per chunk.
  const copy =
    `COPY (${query}) TO ${quoteLiteral(dir)} ` +
    `(FORMAT parquet, COMPRESSION snappy, FILE_SIZE_BYTES ${Math.max(1, Math.floor(fileBytes))}, RETURN_STATS)`;
  let rows;
  try {
    rows = await db.queryJson(copy);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const named =
      names.length <= 3
        ? names.join(', ')
        : `${names.slice(0, 3).join(', ')} (or one of ${names.length - 3} more read with them)`;
    throw fileReadError(named, error);
  }
  const files: StagedParquetFile[] = [];
  for (const row of rows) {
    const file = path.resolve(String(row[0]));
    if (Number(row[1]) > 0) files.push({ path: file, rows: Number(row[1]), bytes: (await stat(file)).size });
    else await rm(file, { force: true });
  }
  // DuckDB numbers the files of a rotation (data_0, data_1, …): keep that order.
  const number = (file: StagedParquetFile) => Number(/(\d+)\.parquet$/.exec(file.path)?.[1] ?? 0);
  return files.sort((a, b) => number(a) - number(b));
}
