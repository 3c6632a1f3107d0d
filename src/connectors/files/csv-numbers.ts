/**
 * The whole-file typing of CSV number columns (csv-column-scan.ts says why): a column sniffed as
 * a number (integer or float) is typed from all of its values —
 *
 * - every number in it a plain decimal literal (`[+-]digits[.digits]`):
 *   - with no fraction digit, and each fitting the sniffed integer type: that type;
 *   - else DECIMAL(p,s) with the largest integer digits and the largest scale seen (p = digits +
 *     scale), since a double keeps only ~15–17 significant digits (`12345678901234567.89` would
 *     become 12345678901234568); text when p > 38;
 * - some numbers float literals (`1.5e-5`, `NaN`, `inf`): a float (DOUBLE for a column sniffed as
 *   integers) when each plain decimal in it has at most 15 significant digits (a double then keeps
 *   them exactly), else text, spelled as in the file.
 *
 * Padding and signs are not digits: `0012.5` and `+5` are the numbers 12.5 and 5.
 */
import { quoteIdent } from '../../engine/duckdb.js';
import type { FileColumn } from './described-file.js';
import type { ColumnScan } from './csv-column-scan.js';
import { FLOAT_TYPES } from './files-types.js';

/** Largest decimal precision the canonical decimal type holds. */
const MAX_PRECISION = 38;
/** Significant digits every double keeps exactly through its shortest round-trip text. */
const DOUBLE_DIGITS = 15;
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
export function numberScan(column: FileColumn, i: number): ColumnScan | null {
  if (!FLOAT_TYPES.has(column.type) && !INTEGER_TYPES.has(column.type)) return null;
  const typeOf = (row: Readonly<Record<string, unknown>>) => numberColumnType(column.type, shapeOf(row, i));
  const name = quoteIdent(column.name);
  const v = `v${i}`;
  const texts = [
    `count(*) FILTER (WHERE NOT plain${i} AND TRY_CAST(${v} AS DOUBLE) IS NOT NULL) AS f${i}`,
    `max(${integerDigits(v, `p${i}`)}) FILTER (WHERE plain${i}) AS d${i}`,
    `max(CASE WHEN p${i} > 0 THEN length(${v}) - p${i} ELSE 0 END) FILTER (WHERE plain${i}) AS s${i}`,
  ];
  const plain = `${v}, strpos(${v}, '.') AS p${i}, regexp_full_match(${v}, ${PLAIN_DECIMAL}) AS plain${i}`;
  if (!INTEGER_TYPES.has(column.type)) {
    return {
      values: [`trim(${name}) AS ${v}`],
      derived: [plain],
      measures: [...texts, `0 AS o${i}`],
      typeOf,
    };
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
    typeOf,
  };
}

/** What the scan's row says of the `i`-th column. */
function shapeOf(row: Readonly<Record<string, unknown>>, i: number): NumberShape {
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
