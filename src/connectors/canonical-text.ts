/**
 * Canonical text for values a connector renders itself (PostgreSQL's COPY renders its own).
 * The forms match PostgreSQL's output byte for byte, so the same value staged from any source
 * has the same text, and the same content hash.
 */

/**
 * A double in shortest round-trip form, styled like PostgreSQL's float8 output with
 * extra_float_digits ≥ 1: plain notation for decimal exponents -4…14, otherwise `d.ddde±XX`
 * (at least two exponent digits); `NaN`, `Infinity`, `-Infinity`, and `-0` keeps its sign.
 */
export function formatFloat64(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const magnitude = Math.abs(value);
  // Fast path: in this range JavaScript's String() is already the same plain shortest text.
  if (magnitude >= 1e-4 && magnitude < 1e15) return String(value);
  const { negative, digits, exponent } = shortestDigits(value);
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 15) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const exp = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${exp}`;
  }
  return sign + placeDecimalPoint(digits, exponent);
}

/**
 * Exact decimal text with exactly `scale` fraction digits (as PostgreSQL prints numeric(p,s)),
 * or null when the integer does not fit decimal(precision, scale).
 */
export function decimalFromInteger(value: bigint, precision: number, scale: number): string | null {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  if (value !== 0n && digits.length > precision - scale) return null;
  const fraction = scale > 0 ? '.' + '0'.repeat(scale) : '';
  return (negative ? '-' : '') + digits + fraction;
}

/**
 * The decimal a double stands for — its shortest round-trip text, which is what the writer of
 * the value typed — with exactly `scale` fraction digits; null when that text has more fraction
 * digits than `scale` or more integer digits than `precision - scale`, or is not finite.
 */
export function decimalFromDouble(value: number, precision: number, scale: number): string | null {
  if (!Number.isFinite(value)) return null;
  if (value === 0) return decimalFromInteger(0n, precision, scale);
  const plainText = String(Math.abs(value));
  // Fast path: String() is plain shortest text for 1e-7 ≤ |value| < 1e21.
  if (!plainText.includes('e')) return padDecimal(value < 0, plainText, precision, scale);
  const { negative, digits, exponent } = shortestDigits(value);
  return padDecimal(negative, placeDecimalPoint(digits, exponent), precision, scale);
}

/** Plain decimal text of a magnitude, padded to `scale` fraction digits; null when it does not fit. */
function padDecimal(negative: boolean, plain: string, precision: number, scale: number): string | null {
  const [whole = '0', fraction = ''] = plain.split('.');
  const integerDigits = whole === '0' ? 0 : whole.length;
  if (fraction.length > scale || integerDigits > precision - scale) return null;
  return (negative ? '-' : '') + (scale > 0 ? `${whole}.${fraction.padEnd(scale, '0')}` : whole);
}

/** Significant digits (no leading or trailing zeros) and decimal exponent of a finite, non-zero double. */
function shortestDigits(value: number): { negative: boolean; digits: string; exponent: number } {
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa = '', exp = '0'] = Math.abs(value).toExponential().split('e');
  return { negative: value < 0, digits: mantissa.replace('.', ''), exponent: Number(exp) };
}

/** `digits` × 10^(exponent - digits.length + 1) in plain notation. */
function placeDecimalPoint(digits: string, exponent: number): string {
  if (exponent < 0) return '0.' + '0'.repeat(-exponent - 1) + digits;
  if (digits.length <= exponent + 1) return digits + '0'.repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}
