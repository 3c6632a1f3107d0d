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
  const encode = mysqlFieldEncoder(mapping);
  const dataType = parseMysqlColumnType(column.sourceType, false).dataType;
  if (mapping.wire === 'float64') return (value, out) => out.asciiField(formatFloat64(Number(value)));
  if (mapping.wire === 'float32') return (value, out) => out.asciiField(formatFloat32(Number(value)));
  if (dataType === 'year') {
    return (value, out) =>
      encode(Buffer.from(value === DECODED_ZERO_YEAR ? '0' : String(value), 'latin1'), out);
  }
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
