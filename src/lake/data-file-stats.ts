/**
 * The manifest's `data_file` record for a Parquet file DuckDB wrote: counts and bounds per
 * field id from the statistics `COPY … RETURN_STATS` reported.
 */
import type { ParquetWriteResult } from '../engine/parquet-writer.js';
import type { IcebergField } from './iceberg-schema.js';
import { avroCompatibleName } from './iceberg-schema.js';
import type { DataFile, MapEntry } from './manifest-schemas.js';
import type { PartitionTuple } from './partitioning/partition-avro.js';
import { serializeBound } from './single-value.js';

/** Builds the data_file record for the Parquet file at `url` holding `fields` (in partition `partition`). */
export function dataFileFromParquet(
  url: string,
  written: ParquetWriteResult,
  fields: readonly IcebergField[],
  partition: PartitionTuple = {},
): DataFile {
  const columnSizes: MapEntry<number>[] = [];
  const valueCounts: MapEntry<number>[] = [];
  const nullCounts: MapEntry<number>[] = [];
  const nanCounts: MapEntry<number>[] = [];
  const lower: MapEntry<Buffer>[] = [];
  const upper: MapEntry<Buffer>[] = [];
  for (const field of fields) {
    const stats = written.columns.get(avroCompatibleName(field.name));
    if (!stats) continue;
    const key = field.id;
    if (stats.sizeBytes !== null) columnSizes.push({ key, value: stats.sizeBytes });
    valueCounts.push({ key, value: stats.valueCount });
    nullCounts.push({ key, value: stats.nullCount });
    // DuckDB reports whether NaN occurs, not how often: a count is only known when it is zero.
    if (stats.hasNan === false) nanCounts.push({ key, value: 0 });
    const min = stats.min === null ? null : serializeBound(field.type, stats.min, 'lower');
    const max = stats.max === null ? null : serializeBound(field.type, stats.max, 'upper');
    if (min && max) {
      lower.push({ key, value: min });
      upper.push({ key, value: max });
    }
  }
  return {
    content: 0,
    file_path: url,
    file_format: 'PARQUET',
    partition,
    record_count: written.rows,
    file_size_in_bytes: written.bytes,
    column_sizes: columnSizes,
    value_counts: valueCounts,
    null_value_counts: nullCounts,
    nan_value_counts: nanCounts,
    lower_bounds: lower,
    upper_bounds: upper,
    key_metadata: null,
    split_offsets: null,
    equality_ids: null,
    sort_order_id: 0,
  };
}
