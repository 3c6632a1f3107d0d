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
  return styled(negative, digits, exponent, 15);
}

/**
 * A float32 (given widened to a double) in shortest round-trip form for float32, as PostgreSQL's
 * float4 output (Ryū) prints it with extra_float_digits ≥ 1: the fewest digits that read back as
 * the same float32 — a decimal exactly halfway to a neighbouring float32 does not count, and of
 * two candidates the nearer wins, the even one on a tie — in plain notation for decimal
 * exponents -4…5, otherwise `d.ddde±XX`. JavaScript prints only doubles, so the search runs on
 * the value's exact decimal digits.
 */
export function formatFloat32(value: number): string {
  const float = Math.fround(value);
  if (!Number.isFinite(float) || float === 0) return formatFloat64(float);
  const magnitude = Math.abs(float);
  const { digits: exact, exponent } = exactDigits(magnitude);
  const [below, above] = float32Midpoints(magnitude);
  for (let precision = 1; precision <= 9; precision++) {
    const rest = exact.slice(precision);
    const lower = BigInt(exact.slice(0, precision).padEnd(precision, '0'));
    const half = rest === '' ? -1 : compareToHalf(rest);
    const nearerFirst =
      half < 0 || (half === 0 && lower % 2n === 0n) ? [lower, lower + 1n] : [lower + 1n, lower];
    for (const candidate of rest === '' ? [lower] : nearerFirst) {
      const text = `${candidate}e${exponent - precision + 1}`;
      const read = Number(text);
      if (Math.fround(read) === magnitude && read !== below && read !== above) {
        const shortest = shortestDigits(read);
        return styled(float < 0, shortest.digits, shortest.exponent, 6);
      }
    }
  }
  return formatFloat64(float);
}

/** Significant digits (trailing zeros trimmed) and decimal exponent of a positive double, exactly. */
function exactDigits(value: number): { digits: string; exponent: number } {
  // 100 significant digits are exact for every float32 whose expansion is short enough to matter.
  const [mantissa = '', exp = '0'] = value.toExponential(99).split('e');
  return { digits: mantissa.replace('.', '').replace(/0+$/, ''), exponent: Number(exp) };
}

/** -1, 0 or 1 as the digits after the cut are below, exactly at or above one half unit. */
function compareToHalf(rest: string): number {
  const first = rest.charCodeAt(0) - 48;
  if (first !== 5) return first < 5 ? -1 : 1;
  return /[1-9]/.test(rest.slice(1)) ? 1 : 0;
}

/** The doubles halfway between a positive float32 and its float32 neighbours (exact in a double). */
function float32Midpoints(magnitude: number): [number, number] {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, magnitude);
  const bits = view.getUint32(0);
  view.setUint32(0, bits - 1);
  const previous = view.getFloat32(0);
  view.setUint32(0, bits + 1);
  const next = view.getFloat32(0);
  return [(magnitude + previous) / 2, (magnitude + next) / 2];
}

/** PostgreSQL's float style: plain for decimal exponents -4 up to `maxPlain` - 1, else `d.ddde±XX`. */
function styled(negative: boolean, digits: string, exponent: number, maxPlain: number): string {
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= maxPlain) {
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
