/**
 * One text form for floating-point values, whichever engine holds them.
 *
 * Printed floats cannot be compared across engines, even as "shortest round-trip" digits:
 * PostgreSQL's Ryu excludes the rounding-interval bounds and prints integers below 2^53
 * exactly (`2.2040903304746528e+16` where DuckDB and JavaScript print `2.204090330474653e+16`),
 * and DuckDB prints some float32 values with a digit more than needed (`169189.625` for
 * PostgreSQL's `169189.62`). So a float is rendered from its value instead — the exact binary
 * form, computed with arithmetic that is exact in IEEE doubles in every engine:
 *
 *     [-]<m>p<e>     the value is m × 2^(e − 52): m the 53-bit significand as an integer
 *                    (2^52 ≤ m < 2^53; below 2^52 for subnormals, where e = −1022)
 *
 * e.g. 1 → `4503599627370496p0`, 0.5 → `4503599627370496p-1`, -3 → `-6755399441055744p1`.
 * Zero is `0` / `-0` (the sign of zero is kept: it is a different IEEE value), the specials are
 * `NaN`, `Infinity`, `-Infinity` (every NaN payload is the same NaN). float32 values are first
 * widened to float64, which is exact, so both float kinds share the form.
 */

import { castDouble, castText, type HashDialect } from './hash-dialect.js';

/** Binary exponent range of normal doubles; smaller values are subnormal (exponent fixed at −1022). */
const MIN_EXPONENT = -1022;
const MAX_EXPONENT = 1023;

/** SQL rendering `value`, a non-NULL float32 or float64 expression, in the canonical form above. */
export function canonicalFloatSql(dialect: HashDialect, value: string): string {
  const asText = (expr: string) => castText(dialect, expr);
  const x = castDouble(dialect, value);
  const text = asText(x);
  const a = `abs(${x})`;
  const two = castDouble(dialect, '2');
  // ln() locates the binary exponent to within one; exact comparisons with powers of two settle
  // it. Every power used is a normal double, so pow() is exact and PostgreSQL never raises its
  // under/overflow errors; CASE (not AND) keeps 2^1024 from being evaluated at all.
  const estimate = `greatest(${MIN_EXPONENT}, least(${MAX_EXPONENT}, CAST(floor(ln(${a}) / ln(${two})) AS integer)))`;
  const exponent =
    `(${estimate}` +
    ` - CASE WHEN ${estimate} = ${MIN_EXPONENT} THEN 0 WHEN power(${two}, ${estimate}) > ${a} THEN 1 ELSE 0 END` +
    ` + CASE WHEN ${estimate} = ${MAX_EXPONENT} THEN 0 WHEN ${a} >= power(${two}, ${estimate} + 1) THEN 1 ELSE 0 END)`;
  // a / 2^e lies in [1, 2) (in (0, 1) for subnormals) and scaling by powers of two is exact.
  const significand = `CAST(${a} / power(${two}, ${exponent}) * power(${two}, 52) AS bigint)`;
  return (
    `CASE WHEN lower(${text}) LIKE '%nan%' THEN 'NaN'` +
    ` WHEN lower(${text}) LIKE '%inf%' THEN CASE WHEN ${x} < 0 THEN '-Infinity' ELSE 'Infinity' END` +
    ` WHEN ${x} = 0 THEN CASE WHEN ${text} LIKE '-%' THEN '-0' ELSE '0' END` +
    ` ELSE CASE WHEN ${x} < 0 THEN '-' ELSE '' END || ${asText(significand)} || 'p' || ${asText(exponent)} END`
  );
}

/** The canonical form of a float64 value in JavaScript, read from its IEEE bits. */
export function canonicalFloat64(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const significand = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = biased === 0 ? MIN_EXPONENT : biased - 1023;
  return `${value < 0 ? '-' : ''}${significand}p${exponent}`;
}

/** The canonical form of a float32 value: its exact float64 widening. */
export function canonicalFloat32(value: number): string {
  return canonicalFloat64(Math.fround(value));
}
