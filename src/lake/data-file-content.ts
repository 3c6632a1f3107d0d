/**
 * Proof that data files hold exactly the rows they were written from: the files are read back
 * by field id, as a reader of the table reads them, and their content fingerprint
 * (`engine/content-fingerprint.ts`) must equal the one taken of the rows before writing.
 */
import { SluiceError } from '../core/errors.js';
import type { ContentFingerprint } from '../engine/content-fingerprint.js';
import { NO_ROWS, describeFingerprint, fingerprintOf, sameContent } from '../engine/content-fingerprint.js';
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

/**
 * Fails with VERIFY_MISMATCH unless the files `paths` hold exactly the rows fingerprinted as
 * `expected`; `label` names what was written (e.g. the table and chunk).
 */
export async function assertFilesHold(
  db: DuckDB,
  label: string,
  expected: ContentFingerprint,
  paths: readonly string[],
  columns: readonly DataFileColumn[],
): Promise<void> {
  const written = await fingerprintDataFiles(db, paths, columns);
  if (sameContent(expected, written)) return;
  throw new SluiceError(
    'VERIFY_MISMATCH',
    `${label}: the Parquet files written differ from the rows they were written from (rows ${describeFingerprint(expected)}; files ${describeFingerprint(written)})`,
    {
      hint: "nothing was published; this is a bug in Sluice or DuckDB: please report it with the table's column types",
    },
  );
}
