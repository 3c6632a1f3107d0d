/**
 * Text-protocol row packets → stage rows, without a JavaScript value per field. mysql2 hands a
 * streamed row over as an array of one Buffer per value (`typeCast: false`): at 10M rows × 6
 * columns that is 60M small objects, and allocating and collecting them cost more main-thread
 * time than everything else in the read. This parser takes the row packet itself and copies
 * each value's bytes straight into the StageRowBuffer; only columns whose text must be looked at
 * (dates, floats, bits, bytes…) still get a Buffer view for their encoder.
 *
 * The reader feeds it the row packets it reads off the socket itself (mysql-row-packets.ts); where
 * that reader cannot be installed, it plugs into mysql2 as the query's row parser (`_rowParser`,
 * the object the Query command calls with each row packet; mysql2 3.x), with the driver's own
 * flow control (`pause()` queues packets, `resume()` replays them).
 */
import type { Query } from 'mysql2';
import type { StageRowBuffer } from '../stage-row-buffer.js';
import type { MysqlFieldEncoder } from './mysql-value-encoder.js';
import type { MysqlMapping } from './mysql-types.js';

/** The part of a mysql2 packet the parser reads: the payload is `buffer[offset, end)`. */
interface RowPacket {
  /** Bytes holding the packet. */
  buffer: Buffer;
  /** Start of the payload. */
  offset: number;
  /** End of the payload. */
  end: number;
}

/** NULL in the text protocol: a length byte no value can have. */
const NULL_VALUE = 0xfb;

/** What to do with a row that failed to encode: the error and the row's values, for its message. */
export type RowFailure = (error: unknown, row: (Buffer | null)[], column: number) => void;

/** Receives row packets from mysql2 and writes each row into `out`. */
export class TextRowStager {
  /** Per column: copy the bytes as they are (no quotes needed), quote them as text, or encode. */
  private readonly kinds: ('plain' | 'text' | 'encode')[];

  /**
   * @param afterRow called after each row is complete (e.g. to pause the connection when the
   *   buffer is full)
   * @param onFailure called instead of throwing when a value cannot be encoded; the row is dropped
   */
  constructor(
    private readonly out: StageRowBuffer,
    private readonly encoders: readonly MysqlFieldEncoder[],
    mappings: readonly MysqlMapping[],
    private readonly afterRow: () => void,
    private readonly onFailure: RowFailure,
  ) {
    this.kinds = mappings.map((m) => (m.wire === 'plain' ? 'plain' : m.wire === 'text' ? 'text' : 'encode'));
  }

  /** Makes this the row parser of `query`, whatever parser mysql2 builds once the fields arrive. */
  attach(query: Query): void {
    Object.defineProperty(query, '_rowParser', {
      configurable: true,
      get: () => this,
      set: () => undefined,
    });
  }

  /** mysql2's row parser interface: parses one row packet; the returned row is not used. */
  next(packet: RowPacket): null {
    this.row(packet.buffer, packet.offset);
    return null;
  }

  /** Parses the row whose payload starts at `buf[start]` (mysql-row-packets.ts hands these over). */
  row(buf: Buffer, start: number): void {
    let pos = start;
    const out = this.out;
    for (let i = 0; i < this.kinds.length; i++) {
      const first = buf[pos] as number;
      if (first === NULL_VALUE) {
        out.nullField();
        pos += 1;
        continue;
      }
      let length: number;
      if (first < NULL_VALUE) {
        length = first;
        pos += 1;
      } else {
        length = lengthAt(buf, pos);
        pos += first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
      }
      const end = pos + length;
      const kind = this.kinds[i];
      if (kind === 'plain') out.plainBytes(buf, pos, end);
      else if (kind === 'text') out.textBytes(buf, pos, end);
      else {
        try {
          (this.encoders[i] as MysqlFieldEncoder)(buf, pos, end, out);
        } catch (error) {
          out.dropRow();
          this.onFailure(error, rowValues(buf, start, this.kinds.length), i);
          return;
        }
      }
      pos = end;
    }
    out.endRow();
    this.afterRow();
  }
}

/**
 * The value of the length-encoded integer at `pos`: a value's length (the row parser reads a
 * one-byte length itself) or a result set's column count (`mysql-row-packets.ts`).
 */
export function lengthAt(buf: Buffer, pos: number): number {
  const first = buf[pos] as number;
  if (first < NULL_VALUE) return first;
  if (first === 0xfc) return buf.readUInt16LE(pos + 1);
  if (first === 0xfd) return buf.readUIntLE(pos + 1, 3);
  // 0xfe: eight bytes; a packet cannot hold more than 2^53 bytes anyway.
  return Number(buf.readBigUInt64LE(pos + 1));
}

/** Every value of a row as bytes (for an error message naming the row's key). */
function rowValues(buf: Buffer, start: number, count: number): (Buffer | null)[] {
  const values: (Buffer | null)[] = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const first = buf[pos] as number;
    if (first === NULL_VALUE) {
      values.push(null);
      pos += 1;
      continue;
    }
    const length = first < NULL_VALUE ? first : lengthAt(buf, pos);
    pos += first < NULL_VALUE ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
    values.push(buf.subarray(pos, pos + length));
    pos += length;
  }
  return values;
}
