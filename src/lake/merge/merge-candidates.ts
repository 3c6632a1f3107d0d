/**
 * Which live data files a merge must rewrite. First without reading any data file: a file is
 * skipped when, for some key column, its lower/upper bounds from the manifest miss the range of
 * the incoming keys, or when a partition field over a key column holds a value the incoming keys
 * cannot produce. Then exactly: the key columns of the remaining files are joined with the
 * incoming keys, and only files holding one of them are rewritten; every other file stays
 * referenced as it is.
 */
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent } from '../../engine/duckdb.js';
import { parquetScanSql } from '../../engine/lake-views.js';
import type { IcebergField } from '../iceberg-schema.js';
import { avroCompatibleName } from '../iceberg-schema.js';
import type { LiveFile } from '../manifest-io.js';
import type { Comparable } from '../partitioning/comparable-value.js';
import { comparableFromBound, comparableFromText, compareValues } from '../partitioning/comparable-value.js';
import { tupleValues } from '../partitioning/partition-avro.js';
import type { BoundPartitionField } from '../partitioning/partition-spec.js';
import { applyTransform, preservesOrder } from '../partitioning/partition-transform.js';
import { fieldScanColumns, keyJoinSql } from './merge-scan.js';

/** The smallest and largest incoming value of one key field (null when unknown). */
export interface KeyRange {
  /** The key field. */
  field: IcebergField;
  /** Smallest incoming value. */
  min: Comparable | null;
  /** Largest incoming value. */
  max: Comparable | null;
}

/** The SQL text of a value that `comparableFromText` reads back exactly. */
export function comparableTextSql(type: string, expression: string): string {
  return type === 'binary' ? `'\\x' || lower(hex(${expression}))` : `CAST(${expression} AS VARCHAR)`;
}

/** The range of each key field over the rows of `source` (a DuckDB table expression). */
export async function keyRanges(
  db: DuckDB,
  source: string,
  keys: readonly IcebergField[],
): Promise<KeyRange[]> {
  const select = keys.flatMap((key) => {
    const column = quoteIdent(avroCompatibleName(key.name));
    return [comparableTextSql(key.type, `min(${column})`), comparableTextSql(key.type, `max(${column})`)];
  });
  const [row] = (await db.query(`SELECT ${select.join(', ')} FROM ${source}`)).rows;
  return keys.map((field, i) => {
    const text = (value: unknown) =>
      typeof value === 'string' ? comparableFromText(field.type, value) : null;
    return { field, min: text(row?.[2 * i]), max: text(row?.[2 * i + 1]) };
  });
}

/**
 * The files that may hold an incoming key, judged from manifests alone. `specFields` gives the
 * bound partition fields of a file's spec.
 */
export function filesInKeyRange(
  files: readonly LiveFile[],
  ranges: readonly KeyRange[],
  specFields: (specId: number) => readonly BoundPartitionField[],
): LiveFile[] {
  return files.filter((file) =>
    ranges.every(
      (range) => boundsMayHold(file, range) && partitionMayHold(file, range, specFields(file.specId)),
    ),
  );
}

function boundsMayHold(file: LiveFile, range: KeyRange): boolean {
  if (range.min === null || range.max === null) return true;
  const id = range.field.id;
  const lowerBytes = file.dataFile.lower_bounds?.find((entry) => entry.key === id)?.value;
  const upperBytes = file.dataFile.upper_bounds?.find((entry) => entry.key === id)?.value;
  const lower = lowerBytes ? comparableFromBound(range.field.type, Buffer.from(lowerBytes)) : null;
  const upper = upperBytes ? comparableFromBound(range.field.type, Buffer.from(upperBytes)) : null;
  if (upper !== null && compareValues(upper, range.min) < 0) return false;
  return !(lower !== null && compareValues(lower, range.max) > 0);
}

/** A partition field over a key column pins which partitions incoming keys can be in. */
function partitionMayHold(file: LiveFile, range: KeyRange, fields: readonly BoundPartitionField[]): boolean {
  if (range.min === null || range.max === null) return true;
  const values = tupleValues(fields, file.dataFile.partition);
  return fields.every((bound, i) => {
    if (bound.source.id !== range.field.id) return true;
    const value = values[i] ?? null;
    // Keys are never NULL, and a NULL partition value means a NULL source value.
    if (value === null) return false;
    const low = applyTransform(bound.transform, bound.source.type, range.min);
    const high = applyTransform(bound.transform, bound.source.type, range.max);
    if (low === null || high === null) return true;
    if (!preservesOrder(bound.transform) && compareValues(range.min!, range.max!) !== 0) return true;
    return compareValues(value, low) >= 0 && compareValues(value, high) <= 0;
  });
}

/**
 * Of `files` (with their local copies, same order), those holding a row whose key is in the
 * table expression `incoming`: read from the key columns only.
 */
export async function filesHoldingKeys(
  db: DuckDB,
  files: readonly LiveFile[],
  localPaths: readonly string[],
  keys: readonly IcebergField[],
  incoming: string,
): Promise<LiveFile[]> {
  if (files.length === 0) return [];
  const on = keyJoinSql(keys, 't', 'i');
  const scan = parquetScanSql(localPaths, fieldScanColumns(keys), { filename: true });
  const result = await db.query(`SELECT DISTINCT t.filename FROM ${scan} t SEMI JOIN ${incoming} i ON ${on}`);
  const hit = new Set(result.rows.map((row) => String(row[0])));
  return files.filter((_, i) => hit.has(localPaths[i]!));
}
