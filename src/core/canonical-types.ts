/**
 * The canonical type vocabulary. Every connector maps its native types onto these (one
 * `*-types.ts` per connector), every destination maps these onto its own. A type that cannot be
 * carried exactly is mapped to `string` with the fallback recorded in `CanonicalColumn.note`,
 * or rejected with TYPE_UNSUPPORTED — never silently changed.
 */
export type CanonicalType =
  | { kind: 'boolean' }
  | { kind: 'int32' }
  | { kind: 'int64' }
  | { kind: 'float32' }
  | { kind: 'float64' }
  /** Exact decimal; precision ≤ 38 (Iceberg's limit). */
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'string' }
  | { kind: 'binary' }
  | { kind: 'date' }
  /** Time of day, microsecond precision, no zone. */
  | { kind: 'time' }
  /** Timestamp without zone, microsecond precision. */
  | { kind: 'timestamp' }
  /** Instant (timestamp with zone, stored as UTC), microsecond precision. */
  | { kind: 'timestamptz' }
  | { kind: 'uuid' }
  /** JSON document, carried as its text. */
  | { kind: 'json' };

export type CanonicalKind = CanonicalType['kind'];

/** One column of a stream as Sluice sees it. */
export interface CanonicalColumn {
  /** Column name exactly as in the source. */
  name: string;
  /** Canonical type the values are carried as. */
  type: CanonicalType;
  /** False when the source guarantees no NULLs. */
  nullable: boolean;
  /** The source's own type name, for messages and docs (e.g. `numeric(10,2)`). */
  sourceType: string;
  /** Why the mapping is not the obvious one (e.g. a lossless fallback to string). */
  note?: string;
}

export function typeToString(type: CanonicalType): string {
  return type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.kind;
}

/**
 * The DuckDB type each canonical type is held in while staging and writing. Text-like types
 * (json, uuid) stay VARCHAR so their exact source text survives.
 */
export function duckdbType(type: CanonicalType): string {
  switch (type.kind) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
    case 'float32':
      return 'FLOAT';
    case 'float64':
      return 'DOUBLE';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'string':
    case 'json':
    case 'uuid':
      return 'VARCHAR';
    case 'binary':
      return 'BLOB';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
  }
}
