/**
 * Values of Iceberg primitive types in one form whose natural order is Iceberg's order for the
 * type, so pruning and transforms can compare bounds, partition values and literals without
 * caring where each came from: integers, dates (days), times and timestamps (microseconds),
 * decimals (unscaled) and booleans (0 / 1) as bigint, floats as number, strings (UTF-8) and
 * binary as bytes, compared unsigned as the spec orders them.
 */
import { SluiceError } from '../../core/errors.js';
import { minimalTwosComplement, serializeBound } from '../single-value.js';

/** A value of an Iceberg primitive type in its comparable form (see the file comment). */
export type Comparable = bigint | number | Buffer;

/** Negative, zero or positive as `a` sorts before, with or after `b` (same Iceberg type). */
export function compareValues(a: Comparable, b: Comparable): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  throw new SluiceError('LAKE_CORRUPT', 'cannot compare values of different types', {
    hint: 'a bound or partition value does not match its column type; this is a bug in Sluice',
  });
}

/** The decimal scale of an Iceberg `decimal(P,S)` type, or null for other types. */
export function decimalScale(type: string): number | null {
  const match = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  return match ? Number(match[2]) : null;
}

/**
 * Reads a single-value serialization (spec Appendix D) of `type`. Bounds written before a type
 * was widened keep their old width (an int bound of a column now long is 4 bytes), so integer
 * and float widths are taken from the bytes.
 */
export function comparableFromBound(type: string, bytes: Buffer): Comparable | null {
  if (decimalScale(type) !== null) return bytes.length === 0 ? null : bigIntFromTwosComplement(bytes);
  switch (type) {
    case 'boolean':
      return bytes.length === 1 ? BigInt(bytes[0]! === 0 ? 0 : 1) : null;
    case 'int':
    case 'long':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (bytes.length === 4) return BigInt(bytes.readInt32LE());
      return bytes.length === 8 ? bytes.readBigInt64LE() : null;
    case 'float':
    case 'double':
      if (bytes.length === 4) return bytes.readFloatLE();
      return bytes.length === 8 ? bytes.readDoubleLE() : null;
    case 'string':
    case 'binary':
    case 'uuid':
      return Buffer.from(bytes);
    default:
      return null;
  }
}

/**
 * The comparable form of a value written as DuckDB prints it (the stage's canonical text: `t`/`f`
 * or `true`/`false`, digits, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]`, `\x`-hex
 * for binary); null when the text is not an exact value of the type.
 */
export function comparableFromText(type: string, text: string): Comparable | null {
  switch (type) {
    case 'string':
    case 'uuid':
      return Buffer.from(text, 'utf8');
    case 'binary':
      return /^\\x(?:[0-9a-fA-F]{2})*$/.test(text) ? Buffer.from(text.slice(2), 'hex') : null;
    case 'boolean':
      if (text === 't' || text === 'true') return 1n;
      return text === 'f' || text === 'false' ? 0n : null;
    default: {
      // A date alone means its midnight, as DuckDB casts it to a timestamp.
      const dateOnly = (type === 'timestamp' || type === 'timestamptz') && /^\d{4,}-\d{2}-\d{2}$/.test(text);
      // No string or binary is left, so serializeBound never truncates here.
      const bytes = serializeBound(type, dateOnly ? `${text} 00:00:00` : text, 'lower');
      if (bytes === null) return null;
      const value = comparableFromBound(type, bytes);
      // serializeBound turns 0 into -0 for lower bounds; as a value, 0 is 0.
      return typeof value === 'number' && value === 0 ? 0 : value;
    }
  }
}

/** The single-value serialization of a comparable value of `type` (for partition field summaries). */
export function boundFromComparable(type: string, value: Comparable): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'number') {
    const out = Buffer.alloc(type === 'float' ? 4 : 8);
    if (type === 'float') out.writeFloatLE(value);
    else out.writeDoubleLE(value);
    return out;
  }
  if (decimalScale(type) !== null) return minimalTwosComplement(value);
  switch (type) {
    case 'boolean':
      return Buffer.from([value === 0n ? 0 : 1]);
    case 'int':
    case 'date': {
      const out = Buffer.alloc(4);
      out.writeInt32LE(Number(value));
      return out;
    }
    default: {
      const out = Buffer.alloc(8);
      out.writeBigInt64LE(value);
      return out;
    }
  }
}

/** Big-endian two's complement → bigint. */
export function bigIntFromTwosComplement(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? value - (1n << bits) : value;
}

/** bigint → big-endian two's complement sign-extended to `size` bytes (Avro `fixed` decimals). */
export function fixedTwosComplement(value: bigint, size: number): Buffer {
  const out = Buffer.alloc(size);
  let rest = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(BigInt.asUintN(8, rest));
    rest >>= 8n;
  }
  return out;
}
