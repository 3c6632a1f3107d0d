/**
 * PostgreSQL → canonical types, in one place, and the SELECT expression that reads each column.
 *
 * COPY … (FORMAT csv) with the session settings the reader sets (TimeZone=UTC, DateStyle=ISO,
 * extra_float_digits=3, bytea_output=hex, IntervalStyle=postgres) already prints the stage
 * dialect's canonical text for every mapped type, so most columns are selected as they are.
 * Values that PostgreSQL can hold but the canonical type cannot carry are rejected while
 * reading, never changed:
 *
 * - `infinity`/`-infinity` and BC dates in date, timestamp and timestamptz columns: the lake's
 *   date and timestamp types have no infinity and no year 0 or before. Decision: the read fails
 *   with TYPE_UNSUPPORTED naming table, column, value and row key, rather than falling back to
 *   text, because the fallback would turn every ordinary timestamp column into a string; the
 *   same for timestamps after 294247-01-10 04:00:54.775806, the last microsecond an int64
 *   count from 1970 holds (PostgreSQL accepts up to 294276 AD);
 * - `NaN` in numeric(p,s) (Iceberg decimals have no NaN);
 * - `24:00:00` in time (outside the canonical 00:00–23:59:59.999999 day).
 *
 * The rejection runs inside the COPY: the column's expression casts a marker text to int4 for
 * offending rows, which aborts the statement with that text in the error message, so checking
 * costs no extra scan. `parseRejection` turns the message back into table, column, value and key.
 * Years after 9999 pass through (PostgreSQL prints them with more digits; DuckDB reads them).
 *
 * Types without an exact canonical equivalent are carried as their PostgreSQL text output with a
 * `note` (lossless, never silent): numeric without precision or with precision > 38 (NaN and
 * ±Infinity included), interval, arrays (NULL elements, nested, non-default bounds `[0:1]={…}`,
 * elements in their own text form: timestamptz elements in UTC), enums, ranges and multiranges
 * (`empty`, unbounded ends, infinite bounds), composites, inet/cidr/macaddr/macaddr8, money
 * (formatted by lc_monetary: `-$92,233,720,368,547,758.08`), timetz (with its offset), bit and
 * varbit (`1010`), tsvector/tsquery (normalised by PostgreSQL), xml, geometric types (point,
 * line, lseg, box, path, polygon, circle; floats printed with extra_float_digits=3) and other
 * types. Domains map as their base type (a domain over an array is an array). Each of these is
 * asserted value by value, staged and in the lake, in test/connectors/postgres.test.ts.
 */
import type { CanonicalColumn, CanonicalType } from '../../core/canonical-types.js';

/** A column's type as discovery reads it from pg_catalog, domains resolved to their base type. */
export interface PgColumnType {
  /** The column's type as PostgreSQL spells it (`format_type`), e.g. `numeric(10,2)` or a domain name. */
  declared: string;
  /** Name of the base type in pg_type, e.g. `numeric`, `_int4`, `citext`. */
  baseName: string;
  /** Schema of the base type; built-in types live in `pg_catalog`. */
  baseSchema: string;
  /** pg_type.typtype of the base type: `b` base, `e` enum, `r` range, `m` multirange, `c` composite. */
  kind: string;
  /** pg_type.typcategory of the base type; `A` for arrays. */
  category: string;
  /** Type modifier in effect (the column's, or the nearest domain's); -1 for none. */
  typmod: number;
  /** Domains between the column and its base type, outermost first. */
  domains: string[];
}

/** The canonical type of a column and why, when it is not the obvious one. */
export interface CanonicalMapping {
  /** The canonical type values are carried as. */
  type: CanonicalType;
  /** Set when the mapping is a fallback (e.g. lossless text) or went through a domain. */
  note?: string;
}

const EXACT: Readonly<Record<string, CanonicalType>> = {
  bool: { kind: 'boolean' },
  int2: { kind: 'int32' },
  int4: { kind: 'int32' },
  int8: { kind: 'int64' },
  float4: { kind: 'float32' },
  float8: { kind: 'float64' },
  text: { kind: 'string' },
  varchar: { kind: 'string' },
  bpchar: { kind: 'string' },
  name: { kind: 'string' },
  bytea: { kind: 'binary' },
  date: { kind: 'date' },
  time: { kind: 'time' },
  timestamp: { kind: 'timestamp' },
  timestamptz: { kind: 'timestamptz' },
  uuid: { kind: 'uuid' },
  json: { kind: 'json' },
  jsonb: { kind: 'json' },
};

const MAX_DECIMAL_PRECISION = 38;
/** pg's VARHDRSZ: numeric typmods are stored offset by it. */
const TYPMOD_OFFSET = 4;

export function canonicalPostgresType(t: PgColumnType): CanonicalMapping {
  const mapping = mapBaseType(t);
  if (t.domains.length === 0) return mapping;
  const domainNote = `domain ${t.domains.join(' → ')} over ${t.baseName}`;
  return { type: mapping.type, note: mapping.note ? `${domainNote}; ${mapping.note}` : domainNote };
}

function mapBaseType(t: PgColumnType): CanonicalMapping {
  const textFallback = (why: string): CanonicalMapping => ({
    type: { kind: 'string' },
    note: `${why}; carried losslessly as PostgreSQL's text output`,
  });
  // citext is an extension type: its schema is wherever the extension was installed.
  if (t.baseName === 'citext' && t.kind === 'b') return { type: { kind: 'string' } };
  if (t.baseSchema !== 'pg_catalog') {
    if (t.kind === 'e') return textFallback('enum label');
    return textFallback(`type ${t.declared} has no canonical equivalent`);
  }
  if (t.category === 'A') return textFallback(`array ${t.declared} (PostgreSQL array literal)`);
  if (t.baseName === 'numeric') return mapNumeric(t.typmod, textFallback);
  const exact = EXACT[t.baseName];
  if (exact) return { type: exact };
  return textFallback(`type ${t.declared} has no canonical equivalent`);
}

function mapNumeric(typmod: number, textFallback: (why: string) => CanonicalMapping): CanonicalMapping {
  if (typmod < TYPMOD_OFFSET) return textFallback('numeric without precision can exceed decimal(38)');
  const precision = ((typmod - TYPMOD_OFFSET) >> 16) & 0xffff;
  // PostgreSQL 15 allows negative scales (and scales above the precision); the low 11 bits are signed.
  const scale = (((typmod - TYPMOD_OFFSET) & 0x7ff) ^ 1024) - 1024;
  if (precision > MAX_DECIMAL_PRECISION)
    return textFallback(`numeric(${precision},${scale}) exceeds decimal(38)`);
  if (scale < 0 || scale > precision)
    return textFallback(`numeric(${precision},${scale}) has no decimal equivalent`);
  return { type: { kind: 'decimal', precision, scale } };
}

/** Quotes an identifier for PostgreSQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The table of a stream as PostgreSQL names it: `"schema"."table"`. */
export function qualifiedPgTable(table: { namespace: string; name: string }): string {
  return `${quoteIdent(table.namespace)}.${quoteIdent(table.name)}`;
}

/**
 * The last instant a lake timestamp holds: Iceberg (and DuckDB) count microseconds from 1970 in
 * an int64, whose largest value DuckDB reserves for infinity. PostgreSQL goes on to 294276 AD.
 */
const LAST_MICROSECOND = '294247-01-10 04:00:54.775806';

/** PostgreSQL's last date (a lake date, 32-bit days from 1970, goes further). */
const LAST_DATE = '5874897-12-31';

/**
 * SQL predicates that pick out values a canonical kind cannot carry (see the file comment).
 * `$` stands for the column reference. The server evaluates them for every row it exports, so
 * each is one comparison or range test: `infinity` sorts after and `-infinity` before every
 * other value, so the range test also catches both (an `isfinite` call beside it cost ~0.1 s of
 * server CPU per 10M timestamps).
 */
const UNCARRIABLE: Partial<Record<CanonicalType['kind'], string>> = {
  decimal: `$ = 'NaN'::numeric`,
  date: `$ NOT BETWEEN '0001-01-01'::date AND '${LAST_DATE}'::date`,
  timestamp: `$ NOT BETWEEN '0001-01-01 00:00:00'::timestamp AND '${LAST_MICROSECOND}'::timestamp`,
  timestamptz: `$ NOT BETWEEN '0001-01-01 00:00:00+00'::timestamptz AND '${LAST_MICROSECOND}+00'::timestamptz`,
  time: `$ = '24:00:00'::time`,
};

const MARKER = 'sluice-reject';

/**
 * The expression that reads one column in the COPY's SELECT list. `index` is the column's
 * position in the plan; `keyText` is a text expression naming the row (for error messages).
 */
export function columnSelectExpression(column: CanonicalColumn, index: number, keyText: string): string {
  const ref = quoteIdent(column.name);
  const predicate = UNCARRIABLE[column.type.kind];
  if (!predicate) return ref;
  const marker = `'${MARKER} ${index} value=' || ${ref}::text || ' key=' || ${keyText}`;
  // The cast of the marker to int4 always fails, aborting the COPY with the marker in the message.
  // It sits in the condition so both branches keep the column's own type: COPY then prints the
  // value with its output function directly, where `::text` first built a text copy of every
  // value (~10% of the server's CPU on a 10M-row export, and the export is the read's bottleneck).
  return `CASE WHEN (${predicate.replaceAll('$', ref)}) AND CAST(${marker} AS int4) IS NULL THEN NULL ELSE ${ref} END`;
}

/** A value the COPY rejected, decoded from the PostgreSQL error message. */
export interface Rejection {
  /** Position of the column in the plan. */
  columnIndex: number;
  /** The value as PostgreSQL prints it, e.g. `infinity`. */
  value: string;
  /** The row's key as a PostgreSQL row literal, e.g. `(42)`, or empty when the table has none. */
  key: string;
}

const REJECTION = new RegExp(`${MARKER} (\\d+) value=(.*) key=(.*)"`, 's');

/** Decodes a rejection from an error message, or returns null when the error is something else. */
export function parseRejection(message: string): Rejection | null {
  const match = REJECTION.exec(message);
  if (!match) return null;
  return { columnIndex: Number(match[1]), value: match[2] ?? '', key: match[3] ?? '' };
}
