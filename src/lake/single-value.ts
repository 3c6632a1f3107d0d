/**
 * Iceberg's single-value binary serialization (spec Appendix D) for column bounds, from the
 * text DuckDB prints for a value. A text this file cannot read exactly yields null: bounds are
 * optional, so an unknown bound is left out rather than guessed.
 */
import { daysFromCivil } from '../core/civil-days.js';

/** Longest string or binary bound kept, as in Iceberg's default `truncate(16)` metrics mode. */
export const BOUND_TRUNCATE_LENGTH = 16;

/** Which end of the value range a bound is for (truncation rounds down or up accordingly). */
export type BoundSide = 'lower' | 'upper';

/** Serializes DuckDB's text for one value of Iceberg primitive type `type`; null when it cannot. */
export function serializeBound(type: string, text: string, side: BoundSide): Buffer | null {
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return decimalBound(text, Number(decimal[2]));
  switch (type) {
    case 'boolean':
      return text === 'true' || text === 'false' ? Buffer.from([text === 'true' ? 1 : 0]) : null;
    case 'int':
    case 'date': {
      const value = type === 'int' ? integer(text) : epochDays(text);
      if (value === null) return null;
      const out = Buffer.alloc(4);
      out.writeInt32LE(Number(value));
      return out;
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      const value = type === 'long' ? integer(text) : type === 'time' ? timeMicros(text) : epochMicros(text);
      if (value === null) return null;
      const out = Buffer.alloc(8);
      out.writeBigInt64LE(value);
      return out;
    }
    case 'float':
    case 'double':
      return floatBound(type, text, side);
    case 'string':
      return stringBound(text, side);
    case 'binary':
      return binaryBound(text, side);
    default:
      return null;
  }
}

function integer(text: string): bigint | null {
  return /^-?\d+$/.test(text) ? BigInt(text) : null;
}

function floatBound(type: 'float' | 'double', text: string, side: BoundSide): Buffer | null {
  const special: Record<string, number> = {
    inf: Infinity,
    infinity: Infinity,
    '-inf': -Infinity,
    '-infinity': -Infinity,
  };
  let value = special[text.toLowerCase()] ?? Number(text);
  if (Number.isNaN(value) || text.trim() === '') return null;
  // DuckDB's statistics do not tell -0.0 from +0.0; the spec wants -0.0 below and +0.0 above.
  if (value === 0) value = side === 'lower' ? -0 : 0;
  const out = Buffer.alloc(type === 'float' ? 4 : 8);
  if (type === 'float') out.writeFloatLE(value);
  else out.writeDoubleLE(value);
  return out;
}

/** Unscaled value, two's-complement big-endian in the fewest bytes. */
function decimalBound(text: string, scale: number): Buffer | null {
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) return null;
  const fraction = match[3] ?? '';
  if (fraction.length > scale) return null;
  const unscaled = BigInt(`${match[2]}${fraction.padEnd(scale, '0')}`);
  return minimalTwosComplement(match[1] === '-' ? -unscaled : unscaled);
}

/** A bigint as big-endian two's complement in the fewest bytes (the spec's decimal serialization). */
export function minimalTwosComplement(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(Number(BigInt.asUintN(8, rest)));
    rest >>= 8n;
  } while (!(rest === 0n && (bytes[0]! & 0x80) === 0) && !(rest === -1n && (bytes[0]! & 0x80) !== 0));
  return Buffer.from(bytes);
}

/** Strings truncate to 16 code points; an upper bound then bumps its last code point so it stays above. */
function stringBound(text: string, side: BoundSide): Buffer | null {
  const points = Array.from(text);
  if (points.length <= BOUND_TRUNCATE_LENGTH) return Buffer.from(text, 'utf8');
  const kept = points.slice(0, BOUND_TRUNCATE_LENGTH);
  if (side === 'lower') return Buffer.from(kept.join(''), 'utf8');
  for (let i = kept.length - 1; i >= 0; i--) {
    let next = kept[i]!.codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return Buffer.from(kept.slice(0, i).join('') + String.fromCodePoint(next), 'utf8');
  }
  return null;
}

/** DuckDB prints binary statistics as hex; bounds truncate to 16 bytes like strings. */
function binaryBound(hex: string, side: BoundSide): Buffer | null {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return null;
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length <= BOUND_TRUNCATE_LENGTH) return bytes;
  const kept = bytes.subarray(0, BOUND_TRUNCATE_LENGTH);
  if (side === 'lower') return Buffer.from(kept);
  for (let i = kept.length - 1; i >= 0; i--) {
    if (kept[i]! < 0xff) {
      const upper = Buffer.from(kept.subarray(0, i + 1));
      upper[i]! += 1;
      return upper;
    }
  }
  return null;
}

const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
/** DuckDB prints year N BC as `N-MM-DD (BC) HH:MM:SS…`; TIMESTAMPTZ adds the offset (`+00` in a UTC session). */
const TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2})( \(BC\))?[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;

/** Days since 1970-01-01 of a proleptic Gregorian date `YYYY-MM-DD[ (BC)]`. */
function epochDays(text: string): bigint | null {
  const match = /^(\d{4,})-(\d{2})-(\d{2})( \(BC\))?$/.exec(text);
  if (!match) return null;
  return BigInt(daysFromCivil(astronomicalYear(match[1]!, match[4]), Number(match[2]), Number(match[3])));
}

/** Microseconds since midnight of `HH:MM:SS[.ffffff]`. */
function timeMicros(text: string): bigint | null {
  const match = TIME.exec(text);
  if (!match) return null;
  return clockMicros(match[1]!, match[2]!, match[3]!, match[4]);
}

/** Microseconds since the epoch (UTC) of DuckDB's TIMESTAMP / TIMESTAMPTZ text. */
function epochMicros(text: string): bigint | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const [
    ,
    year,
    month,
    day,
    bc,
    hour,
    minute,
    second,
    fraction,
    sign,
    offsetHours,
    offsetMinutes,
    offsetSeconds,
  ] = match;
  const days = daysFromCivil(astronomicalYear(year!, bc), Number(month), Number(day));
  let micros = BigInt(days) * 86_400_000_000n + clockMicros(hour!, minute!, second!, fraction);
  if (sign) {
    const offset =
      (Number(offsetHours) * 3600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0)) * 1_000_000;
    micros -= BigInt(sign === '-' ? -offset : offset);
  }
  return micros;
}

function clockMicros(hour: string, minute: string, second: string, fraction: string | undefined): bigint {
  const seconds = Number(hour) * 3600 + Number(minute) * 60 + Number(second);
  return BigInt(seconds) * 1_000_000n + BigInt((fraction ?? '').padEnd(6, '0'));
}

/** DuckDB prints year N BC as `N (BC)`; astronomically that is year 1 − N. */
function astronomicalYear(year: string, bc: string | undefined): number {
  return bc ? 1 - Number(year) : Number(year);
}
