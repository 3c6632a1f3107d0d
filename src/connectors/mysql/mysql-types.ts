/**
 * MySQL/MariaDB → canonical types, in one place, and how the reader selects and renders each
 * column. Values arrive as the text protocol's bytes (nothing is parsed by the driver); the
 * `wire` of a mapping says how those bytes become canonical text. Decisions, all lossless:
 *
 * - `tinyint(1)` (MySQL's BOOLEAN) → int32, not boolean: the column holds -128…127 whatever
 *   its name, and a mapping that depended on the values seen would change with the data;
 * - unsigned integers widen (int unsigned → int64), bigint unsigned → decimal(20,0);
 * - decimal(p,s) with p ≤ 38 → decimal; wider (up to 65,30) → string of MySQL's plain digits;
 * - float → float32 and double → float64, selected as `col + 0e0`: MySQL prints FLOAT (and
 *   DOUBLE(M,D)) rounded to 6 digits (or D decimals), the double sum is exact;
 * - datetime → timestamp; timestamp (stored in UTC, read in a +00:00 session) → timestamptz;
 *   zero dates (`0000-00-00`), dates with a zero month or day, and invalid dates stored under
 *   ALLOW_INVALID_DATES have no canonical equivalent: the read fails with TYPE_UNSUPPORTED
 *   naming table, column, value and row key — never a silent NULL;
 * - time → string: MySQL's time is a duration (-838:59:59…838:59:59), not a time of day;
 * - year → int32 (the zero year `0000` is 0); bit(1) → boolean, bit(2…63) → int64,
 *   bit(64) → decimal(20,0) (the unsigned value of the bits);
 * - enum and set → string (the label; a set's members comma-separated); json → json (MariaDB's
 *   JSON is a longtext with a json_valid() check, found by discovery); uuid → uuid;
 * - binary, varbinary, blobs and vector → binary; geometry → binary in MySQL's own format
 *   (4-byte little-endian SRID, then WKB), so the SRID is kept;
 * - zerofill padding is display only: the number is carried without it.
 *
 * Text columns are read in utf8mb4, so every character set arrives as UTF-8. Types this file
 * does not know become string with a note (MySQL's text output).
 */
import type { CanonicalColumn, CanonicalType } from '../../core/canonical-types.js';

/** A column's type, as information_schema.COLUMNS.COLUMN_TYPE spells it, taken apart. */
export interface MysqlColumnType {
  /** The type name in lower case: `int`, `decimal`, `varchar`, … (DATA_TYPE). */
  dataType: string;
  /** The whole COLUMN_TYPE in lower case, e.g. `tinyint(1)`, `bigint(20) unsigned zerofill`. */
  columnType: string;
  /** The first number in parentheses: digits of a decimal, bits of a bit column; null when absent. */
  precision: number | null;
  /** The second number in parentheses (a decimal's scale); null when absent. */
  scale: number | null;
  /** True for a MariaDB JSON column (a longtext with a `json_valid()` check constraint). */
  jsonCheck: boolean;
}

/** Takes a COLUMN_TYPE apart; `jsonCheck` says whether MariaDB guards the column with json_valid(). */
export function parseMysqlColumnType(columnType: string, jsonCheck: boolean): MysqlColumnType {
  const lower = columnType.trim().toLowerCase();
  const numbers = /^[a-z0-9_]+\s*\((\d+)(?:\s*,\s*(\d+))?\)/.exec(lower);
  return {
    dataType: /^[a-z0-9_]+/.exec(lower)?.[0] ?? lower,
    columnType: lower,
    precision: numbers?.[1] === undefined ? null : Number(numbers[1]),
    scale: numbers?.[2] === undefined ? null : Number(numbers[2]),
    jsonCheck,
  };
}

/**
 * The mapping of a discovered column, recovered from its source type: a plan carries canonical
 * columns, and the reader needs to know again how to select and render each one.
 */
export function mappingOfColumn(column: CanonicalColumn): MysqlMapping {
  const isJsonText = column.type.kind === 'json' && !/^json\b/i.test(column.sourceType);
  return canonicalMysqlType(parseMysqlColumnType(column.sourceType, isJsonText));
}

/** How the reader turns a value's text-protocol bytes into canonical text. */
export type MysqlWire =
  /** Already canonical and never quoted: digits, decimals, uuid, time. */
  | 'plain'
  /** UTF-8 text, quoted when it holds quotes, commas or line breaks. */
  | 'text'
  /** Digits with display padding (zerofill, year): leading zeros dropped. */
  | 'unpadded'
  /** A double's text, re-printed in the canonical float64 form. */
  | 'float64'
  /** A float widened to a double (`col + 0e0`), printed as the float32 it is. */
  | 'float32'
  /** bit(n): big-endian bytes of an unsigned number. */
  | 'bits'
  /** Bytes, written as `\x` + hex. */
  | 'binary'
  /** `YYYY-MM-DD`, checked to be a real date. */
  | 'date'
  /** `YYYY-MM-DD HH:MM:SS[.ffffff]`, checked and trailing fraction zeros dropped. */
  | 'datetime'
  /** The same, in UTC, with `+00` appended. */
  | 'timestamp';

/** The canonical type of a column, why when it is not the obvious one, and how it is read. */
export interface MysqlMapping {
  /** The canonical type values are carried as. */
  type: CanonicalType;
  /** Set when the mapping is a fallback or a choice a reader of the lake should know about. */
  note?: string;
  /** How the value's bytes become canonical text. */
  wire: MysqlWire;
  /** Select as `col + 0e0`, because MySQL prints the column's own values rounded. */
  asDouble?: boolean;
}

const MAX_DECIMAL_PRECISION = 38;
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'vector']);
/** MySQL spatial types (stored as SRID + WKB). */
export const GEOMETRY_TYPES = new Set([
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

export function canonicalMysqlType(t: MysqlColumnType): MysqlMapping {
  const unsigned = /\bunsigned\b/.test(t.columnType);
  const zerofill = /\bzerofill\b/.test(t.columnType);
  const digits: MysqlWire = zerofill ? 'unpadded' : 'plain';
  const padNote = zerofill ? 'zerofill padding is display only: carried as the number' : undefined;
  const withNote = (mapping: MysqlMapping, note: string | undefined): MysqlMapping =>
    note ? { ...mapping, note: mapping.note ? `${mapping.note}; ${note}` : note } : mapping;

  switch (t.dataType) {
    case 'tinyint':
      if (/^tinyint\(1\)/.test(t.columnType) && !unsigned) {
        return withNote(
          {
            type: { kind: 'int32' },
            wire: digits,
            note: "tinyint(1) (MySQL's BOOLEAN) holds -128…127, not only 0/1: carried as int32",
          },
          padNote,
        );
      }
      return withNote({ type: { kind: 'int32' }, wire: digits }, padNote);
    case 'smallint':
    case 'mediumint':
      return withNote({ type: { kind: 'int32' }, wire: digits }, padNote);
    case 'int':
    case 'integer':
      return unsigned
        ? withNote(
            {
              type: { kind: 'int64' },
              wire: digits,
              note: 'int unsigned reaches 4294967295: carried as int64',
            },
            padNote,
          )
        : withNote({ type: { kind: 'int32' }, wire: digits }, padNote);
    case 'bigint':
      return unsigned
        ? withNote(
            {
              type: { kind: 'decimal', precision: 20, scale: 0 },
              wire: digits,
              note: 'bigint unsigned reaches 18446744073709551615, beyond int64: carried as decimal(20,0)',
            },
            padNote,
          )
        : withNote({ type: { kind: 'int64' }, wire: digits }, padNote);
    case 'decimal':
    case 'numeric':
      return withNote(mapDecimal(t, digits), padNote);
    case 'float':
      return { type: { kind: 'float32' }, wire: 'float32', asDouble: true };
    case 'double':
    case 'real':
      return { type: { kind: 'float64' }, wire: 'float64', asDouble: /\(/.test(t.columnType) };
    case 'bit':
      return mapBit(t.precision ?? 1);
    case 'year':
      return {
        type: { kind: 'int32' },
        wire: 'unpadded',
        note: 'year as a number (the zero year 0000 is 0)',
      };
    case 'date':
      return { type: { kind: 'date' }, wire: 'date' };
    case 'datetime':
      return { type: { kind: 'timestamp' }, wire: 'datetime' };
    case 'timestamp':
      return { type: { kind: 'timestamptz' }, wire: 'timestamp' };
    case 'time':
      return {
        type: { kind: 'string' },
        wire: 'plain',
        note: "MySQL's time is a duration (-838:59:59…838:59:59), not a time of day: carried losslessly as its text",
      };
    case 'json':
      return { type: { kind: 'json' }, wire: 'text' };
    case 'uuid':
      return { type: { kind: 'uuid' }, wire: 'plain' };
    case 'inet4':
    case 'inet6':
      return { type: { kind: 'string' }, wire: 'text', note: `MariaDB ${t.dataType} carried as its text` };
  }
  if (TEXT_TYPES.has(t.dataType)) {
    if (t.jsonCheck)
      return {
        type: { kind: 'json' },
        wire: 'text',
        note: 'MariaDB JSON (a longtext checked by json_valid)',
      };
    return { type: { kind: 'string' }, wire: 'text' };
  }
  if (BINARY_TYPES.has(t.dataType)) return { type: { kind: 'binary' }, wire: 'binary' };
  if (GEOMETRY_TYPES.has(t.dataType)) {
    return {
      type: { kind: 'binary' },
      wire: 'binary',
      note: "MySQL's geometry format: a 4-byte little-endian SRID followed by the WKB",
    };
  }
  return {
    type: { kind: 'string' },
    wire: 'text',
    note: `type ${t.columnType} has no canonical equivalent: carried losslessly as MySQL's text output`,
  };
}

function mapDecimal(t: MysqlColumnType, wire: MysqlWire): MysqlMapping {
  // MySQL's DECIMAL without arguments is decimal(10,0); COLUMN_TYPE always spells them out.
  const precision = t.precision ?? 10;
  const scale = t.scale ?? 0;
  if (precision <= MAX_DECIMAL_PRECISION) return { type: { kind: 'decimal', precision, scale }, wire };
  return {
    type: { kind: 'string' },
    wire,
    note: `decimal(${precision},${scale}) exceeds decimal(38): carried losslessly as MySQL's plain digits`,
  };
}

function mapBit(bits: number): MysqlMapping {
  if (bits === 1) return { type: { kind: 'boolean' }, wire: 'bits' };
  if (bits < 64) return { type: { kind: 'int64' }, wire: 'bits', note: `bit(${bits}) as its unsigned value` };
  return {
    type: { kind: 'decimal', precision: 20, scale: 0 },
    wire: 'bits',
    note: 'bit(64) reaches 18446744073709551615, beyond int64: its unsigned value as decimal(20,0)',
  };
}

/** Quotes an identifier for MySQL. */
export function quoteMysqlIdent(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

/** The expression that reads one column in the SELECT list. */
export function mysqlSelectExpression(name: string, mapping: MysqlMapping): string {
  const ref = quoteMysqlIdent(name);
  return mapping.asDouble ? `(${ref} + 0e0)` : ref;
}
