/**
 * A value's text-protocol bytes → its stage field, per column (see `mysql-types.ts` for the
 * mapping decisions). Most values are copied byte for byte; only what needs it is touched:
 * doubles are re-printed in the canonical float form, display padding and trailing fraction
 * zeros are dropped, bit strings become numbers, bytes become hex. A value with no canonical
 * equivalent (a zero date) throws a ValueRejected, which the reader turns into TYPE_UNSUPPORTED
 * naming table, column, value and row key.
 */
import { formatFloat32, formatFloat64 } from '../canonical-text.js';
import { daysInMonth } from '../datetime-text.js';
import type { StageRowBuffer } from '../stage-row-buffer.js';
import type { MysqlMapping } from './mysql-types.js';

/** Writes one non-NULL value as a stage field, or throws ValueRejected. */
export type MysqlFieldEncoder = (value: Buffer, out: StageRowBuffer) => void;

/** A stored value the canonical type cannot carry; the reader adds table, column and row. */
export class ValueRejected extends Error {
  override readonly name = 'ValueRejected';

  /** @param value the value as MySQL printed it */
  constructor(readonly value: string) {
    super(`value ${value} has no canonical equivalent`);
  }
}

const ZERO = 0x30;
const DASH = 0x2d;
const DOT = 0x2e;
/** `YYYY-MM-DD HH:MM:SS`: a datetime without fraction. */
const DATETIME_LENGTH = 19;

export function mysqlFieldEncoder(mapping: MysqlMapping): MysqlFieldEncoder {
  switch (mapping.wire) {
    case 'plain':
      return (value, out) => out.plainField(value);
    case 'text':
      return (value, out) => out.textField(value);
    case 'unpadded':
      return (value, out) => out.plainField(value.subarray(paddingLength(value)));
    case 'float64':
      return (value, out) => out.asciiField(formatFloat64(Number(value.toString('latin1'))));
    case 'float32':
      return (value, out) => out.asciiField(formatFloat32(Number(value.toString('latin1'))));
    case 'binary':
      return (value, out) => out.hexField(value);
    case 'bits':
      if (mapping.type.kind === 'boolean')
        return (value, out) => out.asciiField(bitsValue(value) ? 't' : 'f');
      return (value, out) => out.asciiField(bitsValue(value).toString());
    case 'date':
      return (value, out) => out.plainField(value.subarray(0, checkedLength(value, 10)));
    case 'datetime':
      return (value, out) => out.plainField(value.subarray(0, checkedLength(value, DATETIME_LENGTH)));
    case 'timestamp':
      return (value, out) => out.plainField(value.subarray(0, checkedLength(value, DATETIME_LENGTH)), '+00');
  }
}

/** Leading zeros to skip so that at least one digit stays before the end or a decimal point. */
function paddingLength(value: Buffer): number {
  let start = 0;
  while (start < value.length - 1 && value[start] === ZERO && value[start + 1] !== DOT) start++;
  return start;
}

/** The unsigned number held by a bit(n) value's big-endian bytes. */
function bitsValue(value: Buffer): bigint | number {
  // Up to six bytes fit a double exactly; bit(49…64) needs a bigint.
  if (value.length <= 6) return value.length === 0 ? 0 : value.readUIntBE(0, value.length);
  return BigInt(`0x${value.toString('hex')}`);
}

/**
 * The length of the canonical text of a MySQL date (`minLength` 10) or datetime (19) value:
 * trailing fraction zeros (and a bare point) are cut, as PostgreSQL prints fractions. Throws
 * ValueRejected for a zero date and any other day that is not on the calendar; MySQL itself
 * guarantees the shape and the time of day.
 */
function checkedLength(value: Buffer, minLength: number): number {
  const year = digit(value, 0) * 1000 + digit(value, 1) * 100 + digit(value, 2) * 10 + digit(value, 3);
  const month = digit(value, 5) * 10 + digit(value, 6);
  const day = digit(value, 8) * 10 + digit(value, 9);
  const shaped = value.length >= minLength && value[4] === DASH && value[7] === DASH;
  if (!shaped || year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new ValueRejected(value.toString('latin1'));
  }
  let end = value.length;
  if (end > DATETIME_LENGTH) {
    while (end > DATETIME_LENGTH + 1 && value[end - 1] === ZERO) end--;
    if (end === DATETIME_LENGTH + 1) end = DATETIME_LENGTH;
  }
  return end;
}

function digit(value: Buffer, index: number): number {
  return (value[index] ?? ZERO) - ZERO;
}
