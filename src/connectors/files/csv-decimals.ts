/**
 * Decimal-safe typing of CSV numbers. DuckDB's sniffer types a column of `0.1`, `12.50`,
 * `12345678901234567.89` as DOUBLE, and a double keeps only ~15–17 significant digits: the last
 * value would become 12345678901234568. Numbers written as plain decimal literals are decimals,
 * so after sniffing, every FLOAT/DOUBLE column is scanned once over the whole file (not just the
 * sniffer's sample, since one longer value later would otherwise be rounded by a too-small scale):
 *
 * - every number in it is a plain decimal literal (`[+-]digits[.digits]`): DECIMAL(p,s) with the
 *   largest integer digits and the largest scale seen (p = digits + scale); when p > 38, text;
 * - some numbers are float literals (`1.5e-5`, `NaN`, `inf`): the column stays a float when each
 *   plain decimal in it has at most 15 significant digits (a double then keeps them exactly),
 *   else text, spelled as in the file;
 * - fields that are not numbers at all are left to the read, which quarantines them.
 *
 * Costs one extra scan of a file at discovery, only for files with float-typed columns.
 */
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent } from '../../engine/duckdb.js';
import type { FileColumn } from './described-file.js';

/** Largest decimal precision the canonical decimal type holds. */
const MAX_PRECISION = 38;
/** Significant digits every double keeps exactly through its shortest round-trip text. */
const DOUBLE_DIGITS = 15;
const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE']);
const PLAIN_DECIMAL = `'[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)'`;

/**
 * The columns with each FLOAT/DOUBLE column retyped as above; the others unchanged. `source`
 * gives the file's `read_csv(…)` with the columns given (here all VARCHAR), bad rows skipped.
 */
export async function decimalSafeColumns(
  db: DuckDB,
  columns: readonly FileColumn[],
  source: (columns: readonly FileColumn[]) => string,
): Promise<FileColumn[]> {
  const floats = columns.filter((c) => FLOAT_TYPES.has(c.type));
  if (floats.length === 0) return [...columns];
  const text = columns.map((c) => ({ name: c.name, type: 'VARCHAR' }));
  // One regex per value (the plain-decimal test); digits and scale from the dot's position.
  const values = floats.map((c, i) => `trim(${quoteIdent(c.name)}) AS v${i}`);
  const derived = floats.map(
    (_, i) => `v${i}, strpos(v${i}, '.') AS p${i}, regexp_full_match(v${i}, ${PLAIN_DECIMAL}) AS plain${i}`,
  );
  const measures = floats.flatMap((_, i) => [
    `count(*) FILTER (WHERE NOT plain${i} AND TRY_CAST(v${i} AS DOUBLE) IS NOT NULL) AS f${i}`,
    `max(${integerDigits(`v${i}`, `p${i}`)}) FILTER (WHERE plain${i}) AS d${i}`,
    `max(CASE WHEN p${i} > 0 THEN length(v${i}) - p${i} ELSE 0 END) FILTER (WHERE plain${i}) AS s${i}`,
  ]);
  const [row] = await db.queryObjects(
    `SELECT ${measures.join(', ')} FROM (SELECT ${derived.join(', ')} FROM (SELECT ${values.join(', ')} FROM ${source(text)}))`,
  );
  const retyped = new Map(
    floats.map((c, i) => {
      const floatLiterals = Number(row?.[`f${i}`] ?? 0);
      const digits = Number(row?.[`d${i}`] ?? 0);
      const scale = Number(row?.[`s${i}`] ?? 0);
      return [c.name, decimalSafeType(c.type, floatLiterals, digits, scale)];
    }),
  );
  return columns.map((c) => ({ name: c.name, type: retyped.get(c.name) ?? c.type }));
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

/** The type of one float-sniffed column from what its values look like. */
export function decimalSafeType(
  sniffed: string,
  floatLiterals: number,
  digits: number,
  scale: number,
): string {
  if (floatLiterals > 0) return digits + scale > DOUBLE_DIGITS ? 'VARCHAR' : sniffed;
  const precision = Math.max(digits + scale, 1);
  return precision > MAX_PRECISION ? 'VARCHAR' : `DECIMAL(${precision},${scale})`;
}
