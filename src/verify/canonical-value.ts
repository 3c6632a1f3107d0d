/**
 * The canonical rendering rules of `row-hash.ts`, in JavaScript, for values that arrive as
 * JavaScript values rather than inside an engine that runs our SQL — SQLite rows read with
 * `node:sqlite` (integers as BigInt). SQLite stores what it is given, so this also states which
 * storage forms are understood for each canonical type:
 *
 * - boolean: integer 0 / 1;
 * - int32 / int64: integer;
 * - decimal: integer, real (its shortest round-trip digits) or decimal text (`-12.5`, `1e3`);
 * - float32 / float64: real or integer;
 * - date: text `YYYY-MM-DD`; time: text `HH:MM[:SS[.ffffff]]`;
 * - timestamp / timestamptz: text `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]` with an optional `Z` or
 *   `±HH[:MM]` offset (none means UTC), or an integer of Unix seconds;
 * - binary: blob, or text as its UTF-8 bytes; string / json / uuid: text (a number as its digits,
 *   a blob as UTF-8).
 *
 * Anything else is a TYPE_UNSUPPORTED error rather than a guess.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { daysFromCivil } from '../core/civil-days.js';
import { SluiceError } from '../core/errors.js';
import { canonicalFloat32, canonicalFloat64 } from './float-text.js';

/** A value as `node:sqlite` returns it with BigInt reading on. */
export type JsValue = null | number | bigint | string | Uint8Array;

/** The canonical text of NULL. */
export const NULL_TEXT = '\\N';

function unsupported(column: CanonicalColumn, value: JsValue): never {
  const shown = value instanceof Uint8Array ? `a ${value.length}-byte blob` : JSON.stringify(String(value));
  throw new SluiceError('TYPE_UNSUPPORTED', `column ${column.name} (${column.type.kind}) holds ${shown}`, {
    hint: 'store the value in one of the forms listed in src/verify/canonical-value.ts, or map the column to string',
  });
}

function escapeText(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\t', '\\t');
}

/** Plain decimal digits of a decimal or scientific number text, or null when it is not one. */
function plainDecimal(text: string): { negative: boolean; int: string; fraction: string } | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;
  let int = match[2] ?? '';
  let fraction = match[3] ?? '';
  const shift = Number(match[4] ?? 0);
  if (shift > 0) {
    fraction = fraction.padEnd(shift, '0');
    int += fraction.slice(0, shift);
    fraction = fraction.slice(shift);
  } else if (shift < 0) {
    int = int.padStart(-shift, '0');
    fraction = int.slice(int.length + shift) + fraction;
    int = int.slice(0, int.length + shift);
  }
  return { negative: match[1] === '-', int: int.replace(/^0+/, '') || '0', fraction };
}

/** Exactly `scale` fraction digits, padded; a longer non-zero fraction is kept whole. */
function canonicalDecimal(text: string, scale: number): string | null {
  const parsed = plainDecimal(text);
  if (!parsed) return null;
  let fraction = parsed.fraction.replace(/0+$/, '');
  if (fraction.length <= scale) fraction = fraction.padEnd(scale, '0');
  const zero = /^0*$/.test(parsed.int + fraction);
  const sign = parsed.negative && !zero ? '-' : '';
  return `${sign}${parsed.int}${fraction === '' ? '' : `.${fraction}`}`;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function epochDays(year: number, month: number, day: number): number | null {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays) return null;
  return daysFromCivil(year, month, day);
}

/** Microseconds since midnight of `HH:MM[:SS[.ffffff]]` parts, or null when out of range. */
function dayMicros(hour: string, minute: string, second = '0', fraction = ''): bigint | null {
  const [h, m, s] = [Number(hour), Number(minute), Number(second)];
  if (
    fraction.length > 6 ||
    m > 59 ||
    s > 59 ||
    h > 24 ||
    (h === 24 && (m > 0 || s > 0 || /[1-9]/.test(fraction)))
  ) {
    return null;
  }
  return BigInt(((h * 60 + m) * 60 + s) * 1_000_000) + BigInt(fraction.padEnd(6, '0') || '0');
}

const DATE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;
const TIMESTAMP =
  /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function dateText(text: string): string | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const days = epochDays(Number(match[1]), Number(match[2]), Number(match[3]));
  return days === null ? null : String(days);
}

function timeText(text: string): string | null {
  const match = TIME.exec(text);
  const micros = match && dayMicros(match[1] ?? '', match[2] ?? '', match[3], match[4]);
  return micros === null || micros === undefined ? null : String(micros);
}

function timestampText(text: string): string | null {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return null;
  const days = epochDays(Number(match[1]), Number(match[2]), Number(match[3]));
  const micros = dayMicros(match[4] ?? '0', match[5] ?? '0', match[6], match[7]);
  if (days === null || micros === null) return null;
  let offsetMinutes = 0;
  const zone = match[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes =
      (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * (zone[0] === '-' ? -1 : 1);
  }
  return String(BigInt(days) * 86_400_000_000n + micros - BigInt(offsetMinutes) * 60_000_000n);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Canonical text of a non-NULL value, or null when its storage form is not understood. */
function render(column: CanonicalColumn, value: Exclude<JsValue, null>): string | null {
  const type = column.type;
  switch (type.kind) {
    case 'string':
    case 'json':
    case 'uuid': {
      if (value instanceof Uint8Array) return escapeText(Buffer.from(value).toString('utf8'));
      return escapeText(String(value));
    }
    case 'boolean':
      return value === 0n || value === 0 ? 'f' : value === 1n || value === 1 ? 't' : null;
    case 'int32':
    case 'int64':
      if (typeof value === 'bigint') return String(value);
      return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
    case 'decimal':
      if (value instanceof Uint8Array) return null;
      return canonicalDecimal(String(value), type.scale);
    case 'float32':
    case 'float64': {
      if (typeof value !== 'number' && typeof value !== 'bigint') return null;
      return type.kind === 'float32' ? canonicalFloat32(Number(value)) : canonicalFloat64(Number(value));
    }
    case 'binary':
      return value instanceof Uint8Array
        ? hex(value)
        : typeof value === 'string'
          ? hex(Buffer.from(value))
          : null;
    case 'date':
      return typeof value === 'string' ? dateText(value) : null;
    case 'time':
      return typeof value === 'string' ? timeText(value) : null;
    case 'timestamp':
    case 'timestamptz':
      if (typeof value === 'bigint') return String(value * 1_000_000n);
      return typeof value === 'string' ? timestampText(value) : null;
  }
}

/** Canonical text of one value of `column` (NULL → `\N`); throws TYPE_UNSUPPORTED on an unknown form. */
export function canonicalValueText(column: CanonicalColumn, value: JsValue): string {
  if (value === null) return NULL_TEXT;
  return render(column, value) ?? unsupported(column, value);
}

/** Canonical text of a row whose values are in `columns` order. */
export function canonicalRowText(columns: readonly CanonicalColumn[], values: readonly JsValue[]): string {
  return columns.map((column, index) => canonicalValueText(column, values[index] ?? null)).join('\t');
}
