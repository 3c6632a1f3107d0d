/**
 * DuckDB's 64-bit `hash()` of a row's typed values, each column first brought to one DuckDB type
 * per type family so equal values hash equal whatever type they were stored in (the table and
 * the reasons are in `verify/typed-hash.ts`, which sums these per key range). Shared by verify
 * and by the run-time content check of written chunks (`content-fingerprint.ts`).
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { quoteIdent } from './duckdb.js';

/** What a row hash needs of a column: its name in the hashed rows and its canonical type. */
export type HashedColumn = Pick<CanonicalColumn, 'name' | 'type'>;

/** The DuckDB expressions hashed for one column of the current row. */
function hashedValues(column: HashedColumn): string[] {
  const expr = quoteIdent(column.name);
  const type = column.type;
  switch (type.kind) {
    case 'int32':
    case 'int64':
      return [`CAST(${expr} AS BIGINT)`];
    case 'decimal':
      return [`CAST(${expr} AS DECIMAL(38,${type.scale}))`];
    case 'float32':
    case 'float64': {
      const double = `CAST(${expr} AS DOUBLE)`;
      // hash(-0.0) = hash(0.0), but the canonical form keeps the sign of zero.
      return [double, `CASE WHEN ${double} = 0 THEN signbit(${double}) END`];
    }
    case 'string':
    case 'json':
    case 'uuid':
      return [`CAST(${expr} AS VARCHAR)`];
    case 'timestamp':
    case 'timestamptz':
      return [`epoch_us(${expr})`];
    case 'boolean':
    case 'date':
    case 'time':
    case 'binary':
      return [expr];
  }
}

/** The DuckDB expression of the current row's 64-bit hash over `columns`, in order. */
export function typedRowHashSql(columns: readonly HashedColumn[]): string {
  return `hash(${columns.flatMap(hashedValues).join(', ')})`;
}
