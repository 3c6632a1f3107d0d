/**
 * What data files hold, as a content fingerprint (`engine/content-fingerprint.ts`): the files are
 * read back by field id, as a reader of the table reads them. The run compares it with the
 * fingerprint of the staged rows the files were written from.
 */
import type { ContentFingerprint } from '../engine/content-fingerprint.js';
import { NO_ROWS, fingerprintOf } from '../engine/content-fingerprint.js';
import type { DuckDB } from '../engine/duckdb.js';
import type { LakeViewColumn } from '../engine/lake-views.js';
import { parquetScanSql } from '../engine/lake-views.js';
import type { HashedColumn } from '../engine/typed-row-hash.js';

/** A column of the data files: where a reader finds it (field id, type) and how it is hashed. */
export type DataFileColumn = LakeViewColumn & HashedColumn;

/** The fingerprint of the rows of the local Parquet files `paths` over `columns`. */
export async function fingerprintDataFiles(
  db: DuckDB,
  paths: readonly string[],
  columns: readonly DataFileColumn[],
): Promise<ContentFingerprint> {
  if (paths.length === 0) return NO_ROWS;
  return fingerprintOf(db, parquetScanSql(paths, columns), columns);
}
