/**
 * A binlog row value (as `@vlasky/zongji` decodes it) → its stage field, byte for byte the text
 * the MySQL connector's snapshot SELECT stages for the same value. Rather than a second set of
 * rendering rules, each value is turned back into the text MySQL's text protocol would send and
 * handed to the snapshot path's own encoder (`mysql-value-encoder.ts`): zerofill, fraction
 * zeros, zero-date rejection, bit numbers and hex all happen in one place. The decoder's own
 * forms that differ from MySQL's text are undone here:
 *
 * - integers arrive as numbers, or exact strings beyond 2^53: printed as digits;
 * - float and double arrive as the IEEE value: rendered directly (a float32 widened to a double
 *   is what the snapshot's `col + 0e0` prints);
 * - YEAR arrives as raw + 1900, so the zero year `0000` arrives as 1900 (not a YEAR value);
 * - an ENUM holding the empty error value (index 0) arrives as undefined;
 * - INET6 is handed over as its 16 bytes (`mysql-binlog-columns.ts` describes it as binary(16))
 *   and printed here the way MariaDB prints it, which the decoder's own formatter does not match
 *   (MariaDB compresses the longest zero run even of one group, and prints `::a.b.c.d` only
 *   for a six-group leading zero run);
 * - GEOMETRY arrives parsed (the SRID is gone): refused up front by the capture's check.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { formatFloat32, formatFloat64 } from '../../connectors/canonical-text.js';
import { mappingOfColumn, parseMysqlColumnType } from '../../connectors/mysql/mysql-types.js';
import { mysqlFieldEncoder } from '../../connectors/mysql/mysql-value-encoder.js';
import type { StageRowBuffer } from '../../connectors/stage-row-buffer.js';

/** Writes one binlog value (never null) as a stage field; throws ValueRejected for a zero date. */
export type BinlogFieldWriter = (value: unknown, out: StageRowBuffer) => void;

/** YEAR's zero value as the decoder reports it (raw byte 0 + 1900). */
const DECODED_ZERO_YEAR = 1900;

export function binlogFieldWriter(column: CanonicalColumn): BinlogFieldWriter {
  const mapping = mappingOfColumn(column);
  const encodeRange = mysqlFieldEncoder(mapping);
  const encode = (bytes: Buffer, out: StageRowBuffer) => encodeRange(bytes, 0, bytes.length, out);
  const dataType = parseMysqlColumnType(column.sourceType, false).dataType;
  if (mapping.wire === 'float64') return (value, out) => out.asciiField(formatFloat64(Number(value)));
  if (mapping.wire === 'float32') return (value, out) => out.asciiField(formatFloat32(Number(value)));
  if (dataType === 'year') {
    return (value, out) =>
      encode(Buffer.from(value === DECODED_ZERO_YEAR ? '0' : String(value), 'latin1'), out);
  }
  if (dataType === 'inet6')
    return (value, out) => encode(Buffer.from(mariadbInet6Text(value as Buffer), 'latin1'), out);
  if (dataType === 'enum') return (value, out) => encode(textBytes(value ?? ''), out);
  return (value, out) => encode(textBytes(value), out);
}

/** The bytes MySQL's text protocol would send for a decoded value. */
function textBytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return Buffer.from(String(value), 'latin1');
  // A decoder form this file does not know: failing beats staging a wrong value.
  throw new TypeError(`unexpected binlog value ${JSON.stringify(value)} (${typeof value})`);
}

/** An INET6 value's 16 bytes as MariaDB prints them (its ipv6_to_str). */
export function mariadbInet6Text(bytes: Buffer): string {
  const words = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // The longest run of zero groups, the first one on a tie; a single zero group counts.
  let gap = { pos: -1, length: -1 };
  let run = { pos: -1, length: -1 };
  for (let i = 0; i < 8; i++) {
    if (words[i] !== 0) {
      if (run.pos !== -1 && run.length > gap.length) gap = run;
      run = { pos: -1, length: -1 };
    } else if (run.pos !== -1) {
      run = { pos: run.pos, length: run.length + 1 };
    } else {
      run = { pos: i, length: 1 };
    }
  }
  if (run.pos !== -1 && run.length > gap.length) gap = run;
  if (gap.pos === 0 && (gap.length === 6 || (gap.length === 5 && words[5] === 0xffff))) {
    return `::${gap.length === 5 ? 'ffff:' : ''}${[...bytes.subarray(12, 16)].join('.')}`;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === gap.pos) {
      text += i === 0 ? '::' : ':';
      i += gap.length - 1;
    } else {
      text += (words[i] as number).toString(16) + (i === 7 ? '' : ':');
    }
  }
  return text;
}
