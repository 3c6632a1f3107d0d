/**
 * Stored SQLite value → canonical text, checked against the column's canonical type. SQLite is
 * dynamically typed: an INTEGER column can hold text, a NUMERIC(10,2) column 0.995, a DATETIME
 * column anything. A value that does not fit exactly is reported, never changed: the encoder
 * throws a ValueMismatch and the reader turns it into TYPE_UNSUPPORTED naming table, column,
 * row key and storage class. Values must be read with setReadBigInts(true) so integers beyond
 * 2^53 arrive exact, which also tells integers (bigint) from reals (number).
 */
import type { SQLOutputValue } from 'node:sqlite';
import type { CanonicalType } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import { decimalFromDouble, decimalFromInteger, formatFloat64 } from '../canonical-text.js';
import { canonicalDate, canonicalTime, canonicalTimestamp } from '../datetime-text.js';

/** SQLite storage class of a value read with setReadBigInts(true). */
export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

export function storageClassOf(value: SQLOutputValue): StorageClass {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return 'real';
  if (typeof value === 'string') return 'text';
  return 'blob';
}

/** A stored value that does not fit its column's type; the reader adds table, column and row. */
export class ValueMismatch extends Error {
  override readonly name = 'ValueMismatch';
  /** Storage class of the offending value. */
  readonly storageClass: StorageClass;

  constructor(value: SQLOutputValue, expected: string) {
    const storageClass = storageClassOf(value);
    super(`stored ${storageClass} ${describeValue(value)} does not fit ${expected}`);
    this.storageClass = storageClass;
  }
}

/** A short, printable rendering of a stored value for messages. */
export function describeValue(value: SQLOutputValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatFloat64(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
  return `(${value.byteLength} bytes)`;
}

/** Turns one stored value into canonical text (null for NULL) or throws ValueMismatch. */
export type SqliteValueEncoder = (value: SQLOutputValue) => string | null;

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const SAFE_INTEGER = BigInt(Number.MAX_SAFE_INTEGER);

export function sqliteValueEncoder(type: CanonicalType): SqliteValueEncoder {
  switch (type.kind) {
    case 'int64':
      return (v) => (v === null ? null : typeof v === 'bigint' ? v.toString() : mismatch(v, 'int64'));
    case 'int32':
      return (v) =>
        v === null
          ? null
          : typeof v === 'bigint' && v >= INT32_MIN && v <= INT32_MAX
            ? v.toString()
            : mismatch(v, 'int32');
    case 'float64':
      return (v) => {
        if (v === null) return null;
        if (typeof v === 'number') return formatFloat64(v);
        // Only integers a double holds exactly are the same value as a float64.
        if (typeof v === 'bigint' && v <= SAFE_INTEGER && v >= -SAFE_INTEGER) return formatFloat64(Number(v));
        return mismatch(v, 'float64');
      };
    case 'decimal': {
      const { precision, scale } = type;
      const expected = `decimal(${precision},${scale})`;
      return (v) => {
        if (v === null) return null;
        const text =
          typeof v === 'bigint'
            ? decimalFromInteger(v, precision, scale)
            : typeof v === 'number'
              ? decimalFromDouble(v, precision, scale)
              : null;
        return text ?? mismatch(v, expected);
      };
    }
    case 'boolean':
      return (v) => (v === null ? null : v === 0n ? 'f' : v === 1n ? 't' : mismatch(v, 'boolean (0 or 1)'));
    case 'string':
      return (v) => {
        if (v === null || typeof v === 'string') return v;
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'number') return formatFloat64(v);
        return mismatch(v, 'string (declare the column BLOB to carry bytes)');
      };
    case 'binary':
      return (v) =>
        v === null
          ? null
          : v instanceof Uint8Array
            ? '\\x' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
            : mismatch(v, 'binary');
    case 'date':
      return textEncoder(canonicalDate, 'date (YYYY-MM-DD)');
    case 'time':
      return textEncoder(canonicalTime, 'time (HH:MM[:SS[.ffffff]])');
    case 'timestamp':
      return textEncoder(canonicalTimestamp, 'timestamp (YYYY-MM-DD HH:MM[:SS[.ffffff]], no zone)');
    case 'float32':
    case 'timestamptz':
    case 'uuid':
    case 'json':
      throw new SluiceError('TYPE_UNSUPPORTED', `SQLite columns cannot be read as ${type.kind}`, {
        hint: 'use the column types SQLite discovery reports',
      });
  }
}

function textEncoder(canonical: (text: string) => string | null, expected: string): SqliteValueEncoder {
  return (v) => {
    if (v === null) return null;
    return (typeof v === 'string' ? canonical(v) : null) ?? mismatch(v, expected);
  };
}

function mismatch(value: SQLOutputValue, expected: string): never {
  throw new ValueMismatch(value, expected);
}
