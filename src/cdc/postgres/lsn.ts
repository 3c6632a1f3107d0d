/**
 * PostgreSQL log sequence numbers: `X/Y` text (two hex halves of a 64-bit WAL byte offset) and
 * the `{ lsn }` position Sluice commits with the data.
 */
import { SluiceError } from '../../core/errors.js';
import type { LogPosition } from '../change-capture.js';

/** The 64-bit value of an `X/Y` LSN. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new SluiceError('SOURCE_READ', `not a PostgreSQL LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** `X/Y` text of a 64-bit LSN, as PostgreSQL prints it. */
export function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The position of an LSN. */
export function lsnPosition(value: bigint): LogPosition {
  return { lsn: formatLsn(value) };
}

/** The LSN of a position this capture produced; a foreign position is a usage error. */
export function positionLsn(position: LogPosition): bigint {
  const lsn = position['lsn'];
  if (typeof lsn !== 'string') {
    throw new SluiceError('SOURCE_READ', `not a PostgreSQL position: ${JSON.stringify(position)}`, {
      hint: 'the table was last committed by another kind of source; re-snapshot it with `sluice sync --mode cdc --resnapshot`',
    });
  }
  return parseLsn(lsn);
}
