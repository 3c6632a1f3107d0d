/**
 * Pairs the columns of a table on two endpoints before any hashing, so a schema difference is
 * reported as such instead of as every row changed.
 *
 * Columns pair by exact name (or by case-insensitive name when that is unambiguous: MySQL and
 * PostgreSQL fold case differently). A pair is compared when both canonical types render the same
 * canonical text for equal values: int32/int64, string/json/uuid (all text), float32/float64,
 * timestamp/timestamptz (both microseconds since the epoch), decimals of the same scale, and
 * otherwise the same kind. A column missing on one side, or a pair of incompatible types, is
 * reported, left out of the hashes (the remaining columns are still compared row by row) and
 * makes the table "different".
 */
import type { CanonicalColumn, CanonicalType } from '../core/canonical-types.js';
import { typeToString } from '../core/canonical-types.js';

/** The columns both sides hash, in source order, and what could not be compared. */
export interface ColumnMatch {
  /** Compared columns on the source side. */
  source: CanonicalColumn[];
  /** The same columns on the destination side, position by position. */
  destination: CanonicalColumn[];
  /** One readable line per difference, e.g. `column note: only in the source`. */
  differences: string[];
}

function family(type: CanonicalType): string {
  switch (type.kind) {
    case 'int32':
    case 'int64':
      return 'integer';
    case 'string':
    case 'json':
    case 'uuid':
      return 'text';
    case 'float32':
    case 'float64':
      return 'float';
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    case 'decimal':
      return `decimal scale ${type.scale}`;
    default:
      return type.kind;
  }
}

/** The column of `columns` that `name` refers to: exact name, else a unique case-insensitive match. */
export function findColumn(columns: readonly CanonicalColumn[], name: string): CanonicalColumn | undefined {
  const exact = columns.find((column) => column.name === name);
  if (exact) return exact;
  const folded = columns.filter((column) => column.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

export function matchColumns(
  source: readonly CanonicalColumn[],
  destination: readonly CanonicalColumn[],
): ColumnMatch {
  const match: ColumnMatch = { source: [], destination: [], differences: [] };
  const paired = new Set<CanonicalColumn>();
  for (const column of source) {
    const other = findColumn(destination, column.name);
    if (!other) {
      match.differences.push(`column ${column.name}: only in the source`);
      continue;
    }
    paired.add(other);
    if (family(column.type) !== family(other.type)) {
      match.differences.push(
        `column ${column.name}: ${typeToString(column.type)} in the source, ${typeToString(other.type)} in the destination (not compared)`,
      );
      continue;
    }
    match.source.push(column);
    match.destination.push(other);
  }
  for (const column of destination) {
    if (!paired.has(column)) match.differences.push(`column ${column.name}: only in the destination`);
  }
  return match;
}
