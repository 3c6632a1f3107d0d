/**
 * The two SQL pieces every part of a merge reads data files with: a data file's columns found by
 * field id (for `parquetScanSql`), and the join of two row sets on the key fields.
 */
import { quoteIdent } from '../../engine/duckdb.js';
import type { LakeViewColumn } from '../../engine/lake-views.js';
import type { IcebergField } from '../iceberg-schema.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from '../iceberg-schema.js';

/** Columns of `fields` as the Parquet files name them, each found by its field id. */
export function fieldScanColumns(fields: readonly IcebergField[]): LakeViewColumn[] {
  return fields.map((field) => ({
    name: avroCompatibleName(field.name),
    fieldId: field.id,
    duckdbType: duckdbTypeOfIceberg(field.type),
  }));
}

/** `left.k = right.k AND …` over the key fields, as the Parquet files name them. */
export function keyJoinSql(keys: readonly IcebergField[], left: string, right: string): string {
  return keys
    .map((key) => {
      const column = quoteIdent(avroCompatibleName(key.name));
      return `${left}.${column} = ${right}.${column}`;
    })
    .join(' AND ');
}
