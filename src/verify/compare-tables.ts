/**
 * Compares a source table with its copy: both fingerprints computed at once, each by the engine
 * holding the data, and — only when they differ and the table has a key — the row-level hashes,
 * to name the keys that differ. Whole-table row lists live in memory here; bisection for very
 * large differing tables arrives with `sluice verify`.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { tableFingerprint, tableRowHashes, type RunRows } from './fingerprint-queries.js';
import type { HashDialect } from './hash-dialect.js';
import { diffRowHashes, type RowDiff } from './row-diff.js';
import type { TableFingerprint, TableRef } from './row-hash.js';

/** One side of a comparison: an engine and a way to run SQL in it. */
export interface ComparisonSide {
  /** The engine's SQL dialect. */
  dialect: HashDialect;
  /** Runs SQL there (one connection: PostgreSQL session settings must reach the queries). */
  run: RunRows;
}

/** A table to compare, as discovery describes it. */
export interface ComparedTable extends TableRef {
  /** Columns in source order, with their canonical types. */
  columns: readonly CanonicalColumn[];
  /** Key columns; with none, a difference is reported but not located. */
  primaryKey: readonly string[];
}

/** The outcome for one table. */
export interface TableComparison {
  /** `namespace.name`. */
  table: string;
  /** Fingerprint in the source. */
  source: TableFingerprint;
  /** Fingerprint in the destination. */
  destination: TableFingerprint;
  /** True when both fingerprints are equal. */
  equal: boolean;
  /** The differing keys, when the fingerprints differ and the table has a key. */
  diff?: RowDiff;
}

/**
 * Compares `table` in `source` with the table of the same namespace and name in `destination`
 * (or `destinationTable`, when the copy lives under another name).
 */
export async function compareTable(
  source: ComparisonSide,
  destination: ComparisonSide,
  table: ComparedTable,
  destinationTable: TableRef = table,
): Promise<TableComparison> {
  const [sourcePrint, destinationPrint] = await Promise.all([
    tableFingerprint(source.dialect, source.run, table, table.columns),
    tableFingerprint(destination.dialect, destination.run, destinationTable, table.columns),
  ]);
  const equal =
    sourcePrint.rows === destinationPrint.rows && sourcePrint.hashSum === destinationPrint.hashSum;
  const result: TableComparison = {
    table: `${table.namespace}.${table.name}`,
    source: sourcePrint,
    destination: destinationPrint,
    equal,
  };
  if (!equal && table.primaryKey.length > 0) {
    const [sourceRows, destinationRows] = await Promise.all([
      tableRowHashes(source.dialect, source.run, table, table.columns, table.primaryKey),
      tableRowHashes(destination.dialect, destination.run, destinationTable, table.columns, table.primaryKey),
    ]);
    result.diff = diffRowHashes(sourceRows, destinationRows);
  }
  return result;
}
