/**
 * One query → one zstd Parquet file per partition, in a single streaming `COPY … PARTITION_BY`:
 * the partition columns (computed by the query) name the directories and are left out of the
 * files, `RETURN_STATS` reports each file with its statistics and its partition values. DuckDB
 * keeps one file open per partition, up to `MAX_OPEN_FILES`; beyond that it closes and starts
 * further files, which stays correct, just smaller.
 */
import fs from 'node:fs/promises';
import type { DuckDB } from './duckdb.js';
import { quoteIdent, quoteLiteral } from './duckdb.js';
import type { ParquetColumn, ParquetWriteResult } from './parquet-writer.js';
import { mapEntries, parseColumnStats } from './parquet-writer.js';

/** Partitions written at once before DuckDB starts closing files (its default, 100, splits day-partitioned years). */
const MAX_OPEN_FILES = 2048;

/** One file of a partitioned write. */
export interface PartitionedFile extends ParquetWriteResult {
  /** Local path of the file. */
  path: string;
  /** Value of each partition column for the file's rows, as DuckDB prints it (null for NULL). */
  partition: Map<string, string | null>;
}

/**
 * Writes the rows of `query` under the local directory `targetDir` (which must exist), one file
 * per distinct value of `partitionColumns` (output columns of `query` that are not written).
 * The data columns are named by `parquetName` and tagged with their field ids.
 */
export async function copyQueryToPartitionedParquet(
  db: DuckDB,
  query: string,
  columns: readonly Pick<ParquetColumn, 'parquetName' | 'fieldId'>[],
  partitionColumns: readonly string[],
  targetDir: string,
): Promise<PartitionedFile[]> {
  const fieldIds = columns
    .map((column) => `${quoteLiteral(column.parquetName)}: ${column.fieldId}`)
    .join(', ');
  const partitionBy = partitionColumns.map(quoteIdent).join(', ');
  await db.run(`SET partitioned_write_max_open_files = ${MAX_OPEN_FILES}`);
  const rows = await db.queryJson(
    `COPY (${query}) TO ${quoteLiteral(targetDir)} ` +
      `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${partitionBy}), FIELD_IDS {${fieldIds}}, RETURN_STATS)`,
  );
  const files: PartitionedFile[] = [];
  for (const row of rows) {
    const path = String(row[0]);
    const partition = new Map(
      mapEntries(row[5] ?? null).map((entry) => [
        String(entry.key),
        entry.value === null ? null : String(entry.value),
      ]),
    );
    files.push({
      path,
      rows: Number(row[1] ?? 0),
      bytes: (await fs.stat(path)).size,
      columns: parseColumnStats(row[4] ?? null),
      partition,
    });
  }
  return files;
}
