/**
 * Staged chunk → one Parquet file, in a single streaming `COPY` through DuckDB: read every
 * field (chunk-query.ts: stage CSV decoded, Parquet chunks as they are), name the columns as the table format wants them and tag each with
 * its field id, compress with zstd. `RETURN_STATS` hands back per-column counts and min/max in
 * the same pass, so statistics cost no second read of the data.
 */
import fs from 'node:fs/promises';
import type { CanonicalType } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { DuckDB, Json } from './duckdb.js';
import { quoteLiteral } from './duckdb.js';
import type { ChunkSource } from './chunk-query.js';
import { chunkQuery } from './chunk-query.js';

/** One column of the Parquet file, in staged field order. */
export interface ParquetColumn {
  /** Column name inside the Parquet file (for Iceberg: the Avro-sanitised name). */
  parquetName: string;
  /** Parquet field id (for Iceberg: the schema's field id). */
  fieldId: number;
  /** Canonical type of the staged values. */
  type: CanonicalType;
  /** The column's own name, for error messages. */
  label: string;
}

/** What DuckDB reports about one column of a written file. */
export interface ParquetColumnStats {
  /** Values including nulls and NaN. */
  valueCount: number;
  /** Null values. */
  nullCount: number;
  /** True when a float column holds NaN; null for other types. */
  hasNan: boolean | null;
  /** Smallest non-null, non-NaN value in DuckDB's text form; null when unknown. May be truncated for long strings. */
  min: string | null;
  /** Largest non-null, non-NaN value in DuckDB's text form; null when unknown. May be truncated for long strings. */
  max: string | null;
  /** Compressed bytes of the column's data, or null when not reported. */
  sizeBytes: number | null;
}

/** The file written and its statistics. */
export interface ParquetWriteResult {
  /** Rows in the file. */
  rows: number;
  /** Exact file size in bytes (from the filesystem, not an estimate). */
  bytes: number;
  /** Statistics by `parquetName`. */
  columns: Map<string, ParquetColumnStats>;
}

/**
 * Writes the staged chunk `chunk` (any `StagedFormat`, fields in `columns` order) as a Parquet
 * file at the local path `target`, whose directory must exist.
 */
export async function writeStageAsParquet(
  db: DuckDB,
  chunk: ChunkSource,
  columns: readonly ParquetColumn[],
  target: string,
): Promise<ParquetWriteResult> {
  if (columns.length === 0) {
    throw new SluiceError('USAGE', 'cannot write a Parquet file with no columns', {
      hint: 'the stream must have at least one column',
    });
  }
  const fields = columns.map((column, index) => ({
    index,
    type: column.type,
    as: column.parquetName,
    label: column.label,
  }));
  return copyQueryToParquet(db, chunkQuery(chunk, columns.length, fields), columns, target);
}

/**
 * Writes the rows of `query` (whose output columns are named by `parquetName`) as one zstd
 * Parquet file at `target` with the columns' field ids, returning its statistics. Used for staged
 * chunks and for rewriting existing data files (compaction).
 */
export async function copyQueryToParquet(
  db: DuckDB,
  query: string,
  columns: readonly Pick<ParquetColumn, 'parquetName' | 'fieldId'>[],
  target: string,
): Promise<ParquetWriteResult> {
  const fieldIds = columns
    .map((column) => `${quoteLiteral(column.parquetName)}: ${column.fieldId}`)
    .join(', ');
  const sql =
    `COPY (${query}) TO ${quoteLiteral(target)} ` +
    `(FORMAT parquet, COMPRESSION zstd, FIELD_IDS {${fieldIds}}, RETURN_STATS)`;
  const [row] = await db.queryJson(sql);
  const bytes = (await fs.stat(target)).size;
  return { rows: Number(row?.[1] ?? 0), bytes, columns: parseColumnStats(row?.[4] ?? null) };
}

/** Reads RETURN_STATS' `column_statistics`: a MAP from quoted column name to a MAP of texts. */
export function parseColumnStats(value: Json): Map<string, ParquetColumnStats> {
  const result = new Map<string, ParquetColumnStats>();
  for (const entry of mapEntries(value)) {
    const name = unquote(String(entry.key));
    const stats = new Map(mapEntries(entry.value).map((item) => [String(item.key), item.value]));
    const text = (key: string) => {
      const found = stats.get(key);
      return found === undefined || found === null ? null : String(found);
    };
    const hasNan = text('has_nan');
    const size = text('column_size_bytes');
    result.set(name, {
      valueCount: Number(text('num_values') ?? 0),
      nullCount: Number(text('null_count') ?? 0),
      hasNan: hasNan === null ? null : hasNan === 'true',
      min: text('min'),
      max: text('max'),
      sizeBytes: size === null ? null : Number(size),
    });
  }
  return result;
}

/** The entries of a DuckDB MAP in its JSON form (a list of key/value objects). */
export function mapEntries(value: Json): { key: Json; value: Json }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) =>
    item !== null && typeof item === 'object' && !Array.isArray(item) && 'key' in item
      ? [{ key: item.key ?? null, value: item.value ?? null }]
      : [],
  );
}

/** DuckDB names columns in the statistics as quoted identifiers (`"a b"`). */
function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}
