/**
 * Whole-file typing of CSV number columns. DuckDB's sniffer types columns from a sample of the
 * file, and the read then casts every value to the sniffed type, which rounds where it should
 * refuse: a BIGINT column whose row 50,000 holds `1.5` reads 2, and a DOUBLE keeps only ~15–17
 * significant digits (`12345678901234567.89` becomes 12345678901234568). So every column sniffed
 * as a number (integer or float) is scanned once over the whole file, and typed from what its
 * values are, not from the sample:
 *
 * - every number in it a plain decimal literal (`[+-]digits[.digits]`):
 *   - with no fraction digit, and each fitting the sniffed integer type: that type;
 *   - else DECIMAL(p,s) with the largest integer digits and the largest scale seen (p = digits +
 *     scale); text when p > 38;
 * - some numbers float literals (`1.5e-5`, `NaN`, `inf`): a float (DOUBLE for a column sniffed as
 *   integers) when each plain decimal in it has at most 15 significant digits (a double then keeps
 *   them exactly), else text, spelled as in the file;
 * - fields that are not numbers at all are left to the read, which quarantines them.
 *
 * Padding and signs are not digits: `0012.5` and `+5` are the numbers 12.5 and 5.
 *
 * Costs one extra scan of a file at discovery, for files with number columns.
 */
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent } from '../../engine/duckdb.js';
import type { FileColumn } from './described-file.js';

/** Largest decimal precision the canonical decimal type holds. */
const MAX_PRECISION = 38;
/** Significant digits every double keeps exactly through its shortest round-trip text. */
const DOUBLE_DIGITS = 15;
const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE']);
const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT']);
const PLAIN_DECIMAL = `'[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)'`;

/** What the scan saw of one column's values. */
export interface NumberShape {
  /** Values that are float literals (`1e3`, `NaN`), not plain decimals. */
  floatLiterals: number;
  /** Most integer digits of a plain decimal (no sign, no leading zeros). */
  digits: number;
  /** Most fraction digits of a plain decimal. */
  scale: number;
  /** Plain integers the sniffed integer type cannot hold (0 for a float column). */
  overflows: number;
}

/**
 * The columns with each number column retyped as above; the others unchanged. `source` gives the
 * file's `read_csv(…)` with the columns given (here all VARCHAR), bad rows skipped.
 */
export async function numberSafeColumns(
  db: DuckDB,
  columns: readonly FileColumn[],
  source: (columns: readonly FileColumn[]) => string,
): Promise<FileColumn[]> {
  const numbers = columns.filter((c) => FLOAT_TYPES.has(c.type) || INTEGER_TYPES.has(c.type));
  if (numbers.length === 0) return [...columns];
  const text = columns.map((c) => ({ name: c.name, type: 'VARCHAR' }));
  const scans = numbers.map((c, i) => columnScan(c, i));
  const [row] = await db.queryObjects(
    `SELECT ${scans.flatMap((scan) => scan.measures).join(', ')} ` +
      `FROM (SELECT ${scans.flatMap((scan) => scan.derived).join(', ')} ` +
      `FROM (SELECT ${scans.flatMap((scan) => scan.values).join(', ')} FROM ${source(text)}))`,
  );
  const retyped = new Map(numbers.map((c, i) => [c.name, numberColumnType(c.type, shapeOf(row ?? {}, i))]));
  return columns.map((c) => ({ name: c.name, type: retyped.get(c.name) ?? c.type }));
}

/** The three layers of the scan of one column: its values, what is derived of them, the measures. */
interface ColumnScan {
  values: string[];
  derived: string[];
  measures: string[];
}

/**
 * The scan of number column `column`, the `i`-th: `v<i>` is a value's trimmed text, `p<i>` the
 * position of its dot (0: none), `plain<i>` whether it is a plain decimal literal. Measures:
 * `f<i>` float literals, `d<i>`/`s<i>` most integer/fraction digits of a plain decimal, `o<i>`
 * plain integers the sniffed integer type cannot hold, `hi<i>`/`lo<i>` (integer columns) the
 * largest and smallest value of those taken by the fast test below.
 *
 * In an integer column, a text its cast renders back unchanged (`42`, `-7`: the common case) is
 * an integer that fits, and is only counted by its value: the text functions and the regular
 * expression (which made the scan of a 3M-row file of two such columns cost ~1 CPU s more) run
 * only for the other texts (`007`, `1.5`, `x`).
 */
function columnScan(column: FileColumn, i: number): ColumnScan {
  const name = quoteIdent(column.name);
  const v = `v${i}`;
  const texts = [
    `count(*) FILTER (WHERE NOT plain${i} AND TRY_CAST(${v} AS DOUBLE) IS NOT NULL) AS f${i}`,
    `max(${integerDigits(v, `p${i}`)}) FILTER (WHERE plain${i}) AS d${i}`,
    `max(CASE WHEN p${i} > 0 THEN length(${v}) - p${i} ELSE 0 END) FILTER (WHERE plain${i}) AS s${i}`,
  ];
  const plain = `${v}, strpos(${v}, '.') AS p${i}, regexp_full_match(${v}, ${PLAIN_DECIMAL}) AS plain${i}`;
  if (!INTEGER_TYPES.has(column.type)) {
    return { values: [`trim(${name}) AS ${v}`], derived: [plain], measures: [...texts, `0 AS o${i}`] };
  }
  const typed = `TRY_CAST(${name} AS ${column.type})`;
  const fast = `CAST(${typed} AS VARCHAR) = ${name}`;
  return {
    // v is NULL for the values the fast test takes: the text measures skip them.
    values: [
      `CASE WHEN ${fast} THEN ${typed} END AS x${i}`,
      `CASE WHEN ${fast} THEN NULL ELSE trim(${name}) END AS ${v}`,
    ],
    derived: [`x${i}`, plain],
    measures: [
      ...texts,
      // Plain and dotless, yet refused by the cast: more digits than the type holds.
      `count(*) FILTER (WHERE plain${i} AND p${i} = 0 AND TRY_CAST(${v} AS ${column.type}) IS NULL) AS o${i}`,
      `CAST(max(x${i}) AS VARCHAR) AS hi${i}`,
      `CAST(min(x${i}) AS VARCHAR) AS lo${i}`,
    ],
  };
}

/** What the scan's row says of the `i`-th column. */
function shapeOf(row: Record<string, unknown>, i: number): NumberShape {
  // The fast test's integers count their digits from the extremes' text, without sign.
  const extremes = [row[`hi${i}`], row[`lo${i}`]].map((value) =>
    value === null || value === undefined ? 0 : String(value).replace('-', '').length,
  );
  return {
    floatLiterals: Number(row[`f${i}`] ?? 0),
    digits: Math.max(Number(row[`d${i}`] ?? 0), ...extremes),
    scale: Number(row[`s${i}`] ?? 0),
    overflows: Number(row[`o${i}`] ?? 0),
  };
}

/**
 * SQL for the integer digits of the plain decimal `v` whose dot is at `p` (0: none), without sign
 * or leading zeros. Cutting and trimming the text costs a third of the scan, so it is done only
 * for the values that start with a zero (after the sign); the others count by positions.
 */
function integerDigits(v: string, p: string): string {
  const integerPart = `CASE WHEN ${p} > 0 THEN left(${v}, ${p} - 1) ELSE ${v} END`;
  const trimmed = `length(ltrim(ltrim(${integerPart}, '+-'), '0'))`;
  const leadingZero = `starts_with(${v}, '0') OR starts_with(${v}, '-0') OR starts_with(${v}, '+0')`;
  const sign = `CASE WHEN starts_with(${v}, '-') OR starts_with(${v}, '+') THEN 1 ELSE 0 END`;
  return `CASE WHEN ${leadingZero} THEN ${trimmed} ELSE CASE WHEN ${p} > 0 THEN ${p} - 1 ELSE length(${v}) END - ${sign} END`;
}

/** The type of one number column sniffed as `sniffed`, from what its values look like. */
export function numberColumnType(sniffed: string, shape: NumberShape): string {
  const { floatLiterals, digits, scale, overflows } = shape;
  if (floatLiterals > 0) {
    if (digits + scale > DOUBLE_DIGITS) return 'VARCHAR';
    return FLOAT_TYPES.has(sniffed) ? sniffed : 'DOUBLE';
  }
  if (INTEGER_TYPES.has(sniffed) && scale === 0 && overflows === 0) return sniffed;
  const precision = Math.max(digits + scale, 1);
  return precision > MAX_PRECISION ? 'VARCHAR' : `DECIMAL(${precision},${scale})`;
}
