/**
 * DuckDB types (what DuckDB reads CSV, JSON and Parquet files as) → canonical types, the
 * widening of one column's types across files, and the SQL that renders a typed value as
 * canonical stage text. Mappings are lossless: a type the canonical set cannot hold exactly is
 * carried as text with a note, never narrowed.
 *
 * - Signed integers up to 32 bits and unsigned up to 16 → int32; BIGINT and UINTEGER → int64;
 *   UBIGINT → decimal(20,0); HUGEINT/UHUGEINT (up to 39 digits) → string.
 * - FLOAT/DOUBLE → float32/float64; DECIMAL(p,s) → decimal(p,s). A CSV number column is typed
 *   from all of its values (csv-numbers.ts): plain decimal literals are DECIMAL(p,s) (or VARCHAR
 *   beyond 38 digits), never DOUBLE, and an integer column stays one only while every value is
 *   an integer its type holds. Across files, floats widen with floats and integers of up to 32 bits to
 *   DOUBLE; with decimals or 64-bit integers to text (a double would change their digits).
 * - TIMESTAMP, TIMESTAMP_S and _MS → timestamp; TIMESTAMP_NS → string (nanoseconds would be cut
 *   to microseconds); TIMESTAMP WITH TIME ZONE → timestamptz.
 * - STRUCT, LIST, arrays, MAP, UNION and JSON → json, as JSON text. A JSON source's nested
 *   values are read as DuckDB JSON, which keeps the document's own text (no added null keys).
 * - INTERVAL, TIME WITH TIME ZONE, BIT, ENUM and anything unknown → string (DuckDB's text).
 *
 * Floats are rendered by DuckDB (shortest round-trip digits, e.g. `1000000000000000.0`) with
 * `NaN`/`Infinity`/`-Infinity` spelled as the stage dialect wants; the value is exact, only the
 * spelling differs from PostgreSQL's.
 */
import type { CanonicalColumn, CanonicalType } from '../../core/canonical-types.js';
import { duckdbType } from '../../core/canonical-types.js';
import { quoteIdent } from '../../engine/duckdb.js';
import { stageFieldName } from '../../engine/stage-decode.js';

/** The canonical type of a DuckDB type, and why when it is not the obvious one. */
export interface FileTypeMapping {
  /** The canonical type values are carried as. */
  type: CanonicalType;
  /** Set when the mapping is a fallback to text. */
  note?: string;
}

const MAX_DECIMAL_PRECISION = 38;

const EXACT: Readonly<Record<string, CanonicalType>> = {
  BOOLEAN: { kind: 'boolean' },
  TINYINT: { kind: 'int32' },
  SMALLINT: { kind: 'int32' },
  INTEGER: { kind: 'int32' },
  UTINYINT: { kind: 'int32' },
  USMALLINT: { kind: 'int32' },
  BIGINT: { kind: 'int64' },
  UINTEGER: { kind: 'int64' },
  UBIGINT: { kind: 'decimal', precision: 20, scale: 0 },
  FLOAT: { kind: 'float32' },
  DOUBLE: { kind: 'float64' },
  VARCHAR: { kind: 'string' },
  BLOB: { kind: 'binary' },
  DATE: { kind: 'date' },
  TIME: { kind: 'time' },
  TIMESTAMP: { kind: 'timestamp' },
  TIMESTAMP_S: { kind: 'timestamp' },
  TIMESTAMP_MS: { kind: 'timestamp' },
  'TIMESTAMP WITH TIME ZONE': { kind: 'timestamptz' },
  UUID: { kind: 'uuid' },
  JSON: { kind: 'json' },
};

const DECIMAL = /^DECIMAL\((\d+),\s*(\d+)\)$/;

/** True for DuckDB's nested types (carried as JSON text). */
export function isNestedType(duckdbType: string): boolean {
  return /^(STRUCT|MAP|UNION)\(/.test(duckdbType) || /\[\d*\]$/.test(duckdbType);
}

export function canonicalFileType(duckdbType: string): FileTypeMapping {
  const exact = EXACT[duckdbType];
  if (exact) return { type: exact };
  const decimal = DECIMAL.exec(duckdbType);
  if (decimal) {
    return { type: { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) } };
  }
  if (isNestedType(duckdbType)) return { type: { kind: 'json' }, note: `${duckdbType} carried as JSON text` };
  const why =
    duckdbType === 'TIMESTAMP_NS'
      ? 'nanosecond timestamps do not fit the microsecond timestamp type'
      : duckdbType === 'HUGEINT' || duckdbType === 'UHUGEINT'
        ? `${duckdbType} can exceed decimal(38)`
        : `type ${duckdbType} has no canonical equivalent`;
  return { type: { kind: 'string' }, note: `${why}; carried losslessly as DuckDB's text` };
}

/** A column's type across files: the widest of the types each file has, or text. */
export interface WidenedType {
  /** The DuckDB type every file's values are read (or cast) as. */
  type: string;
  /** Set when the files disagreed in a way that changed the type. */
  note?: string;
}

const INTEGER_RANK: Readonly<Record<string, number>> = {
  TINYINT: 1,
  UTINYINT: 2,
  SMALLINT: 2,
  USMALLINT: 3,
  INTEGER: 3,
  UINTEGER: 4,
  BIGINT: 4,
};
const SIGNED_BY_RANK = ['', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'];
/** Decimal digits each integer type needs. */
const INTEGER_DIGITS: Readonly<Record<string, number>> = {
  TINYINT: 3,
  UTINYINT: 3,
  SMALLINT: 5,
  USMALLINT: 5,
  INTEGER: 10,
  UINTEGER: 10,
  BIGINT: 19,
};
/** DuckDB's float types. */
export const FLOAT_TYPES: ReadonlySet<string> = new Set(['FLOAT', 'DOUBLE']);
const TIMESTAMPS = new Set(['DATE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP']);

/** The type one column is read as when files disagree; `a` is what earlier files had. */
export function widenFileTypes(a: string, b: string): WidenedType {
  if (a === b) return { type: a };
  const differ = `${a} in some files, ${b} in others`;
  if (isNestedType(a) || isNestedType(b) || a === 'JSON' || b === 'JSON') {
    return { type: 'JSON', note: `${differ}: carried as JSON text` };
  }
  const rankA = INTEGER_RANK[a];
  const rankB = INTEGER_RANK[b];
  if (rankA !== undefined && rankB !== undefined) {
    return { type: SIGNED_BY_RANK[Math.max(rankA, rankB)] ?? 'BIGINT' };
  }
  const decimalA = decimalParts(a);
  const decimalB = decimalParts(b);
  if (decimalA && decimalB) return widenDecimals(decimalA, decimalB, differ);
  if (decimalA && rankB !== undefined) return widenDecimals(decimalA, integerDecimal(b), differ);
  if (decimalB && rankA !== undefined) return widenDecimals(integerDecimal(a), decimalB, differ);
  // A double holds every float and every integer of up to 32 bits exactly, but not every
  // decimal or 64-bit integer: those mixed with floats are carried as text, digit for digit.
  const exactInDouble = (t: string) => FLOAT_TYPES.has(t) || (INTEGER_DIGITS[t] ?? 99) <= 10;
  if (exactInDouble(a) && exactInDouble(b)) {
    return { type: 'DOUBLE', note: `${differ}: read as float64` };
  }
  if (TIMESTAMPS.has(a) && TIMESTAMPS.has(b)) return { type: 'TIMESTAMP' };
  return { type: 'VARCHAR', note: `${differ}: carried as text` };
}

function decimalParts(type: string): { precision: number; scale: number } | null {
  const match = DECIMAL.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : null;
}

function integerDecimal(type: string): { precision: number; scale: number } {
  return { precision: INTEGER_DIGITS[type] ?? 19, scale: 0 };
}

function widenDecimals(
  a: { precision: number; scale: number },
  b: { precision: number; scale: number },
  differ: string,
): WidenedType {
  const scale = Math.max(a.scale, b.scale);
  const precision = Math.max(a.precision - a.scale, b.precision - b.scale) + scale;
  if (precision > MAX_DECIMAL_PRECISION) return { type: 'VARCHAR', note: `${differ}: carried as text` };
  return { type: `DECIMAL(${precision},${scale})` };
}

/**
 * SQL rendering the value `ref` (already of the column's DuckDB type, `column.sourceType`) as
 * the stage dialect's canonical text; NULL stays NULL.
 */
export function canonicalTextSql(column: CanonicalColumn, ref: string): string {
  switch (column.type.kind) {
    case 'boolean':
      return `CASE WHEN ${ref} THEN 't' WHEN NOT ${ref} THEN 'f' END`;
    case 'float32':
    case 'float64':
      return (
        `CASE WHEN isnan(${ref}) THEN 'NaN' WHEN isinf(${ref}) THEN ` +
        `CASE WHEN ${ref} > 0 THEN 'Infinity' ELSE '-Infinity' END ELSE CAST(${ref} AS VARCHAR) END`
      );
    case 'binary':
      return `'\\x' || lower(hex(${ref}))`;
    case 'json':
      return column.sourceType === 'JSON' ? `CAST(${ref} AS VARCHAR)` : `CAST(to_json(${ref}) AS VARCHAR)`;
    default:
      return `CAST(${ref} AS VARCHAR)`;
  }
}

/**
 * The SELECT list staging one file: the stream's columns in order, each from the file's column
 * of the same name (cast to the stream's type when the file's differs) or NULL when the file
 * does not have it.
 */
export function stageSelectList(
  columns: readonly CanonicalColumn[],
  fileTypes: ReadonlyMap<string, string>,
): string {
  return columns
    .map((column) => {
      const ref = streamValueSql(column, fileTypes);
      return ref === null ? 'NULL' : canonicalTextSql(column, ref);
    })
    .join(', ');
}

/**
 * The SELECT list staging one file as a Parquet chunk (`StagedFormat` `parquet`): the stream's
 * columns in order, named `c0…`, each as the DuckDB type of its canonical type. Text-carried
 * types (string, json, uuid) hold the same canonical text `stageSelectList` renders; the others
 * are cast from the stream's type, which only widens (TINYINT → INTEGER, UBIGINT →
 * DECIMAL(20,0), TIMESTAMP_S → TIMESTAMP), so every value is the one the stage CSV's text
 * decodes to.
 */
export function typedSelectList(
  columns: readonly CanonicalColumn[],
  fileTypes: ReadonlyMap<string, string>,
): string {
  return columns
    .map((column, i) => {
      const ref = streamValueSql(column, fileTypes);
      const type = duckdbType(column.type);
      const value =
        ref === null
          ? `CAST(NULL AS ${type})`
          : type === 'VARCHAR'
            ? canonicalTextSql(column, ref)
            : `CAST(${ref} AS ${type})`;
      return `${value} AS ${quoteIdent(stageFieldName(i))}`;
    })
    .join(', ');
}

/** The file's value of `column` as the stream's DuckDB type; null when the file lacks it. */
function streamValueSql(column: CanonicalColumn, fileTypes: ReadonlyMap<string, string>): string | null {
  const fileType = fileTypes.get(column.name);
  if (fileType === undefined) return null;
  return fileType === column.sourceType
    ? quoteIdent(column.name)
    : `CAST(${quoteIdent(column.name)} AS ${column.sourceType})`;
}
