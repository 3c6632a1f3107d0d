/**
 * The row packets of one text-protocol result set, read straight off the connection's socket.
 *
 * Why: mysql2 hands every packet through its parser, connection and command state machine
 * (~330 ns a row, a third of the main thread's time on the mariadb-full-sync benchmark) before
 * our row parser sees it. Here each socket read is cut into packets in place and each row's
 * payload goes to `onRow` directly; mysql2 still handles everything else.
 *
 * How: installed on an idle connection right before the query is sent, this takes over the
 * socket's data events (like `postgres/copy-out-stream.ts` does for COPY). The response's first
 * packets — the column count, the column definitions and their EOF — are passed on to mysql2
 * unchanged, so the query knows its fields; from the first row on, rows are consumed here. The
 * packet that ends the rows (EOF, or an ERR when the query fails midway) and every byte after it
 * go back to mysql2, with its sequence counter set as if it had seen the rows, and mysql2 ends
 * the query as usual. A response without rows (an ERR, an OK) is mysql2's from its first byte.
 *
 * The protocol (MySQL client/server protocol, "Text Resultset"): a packet is a 3-byte
 * little-endian payload length, a sequence id and the payload; a payload of 0xffffff bytes
 * continues in the next packet. Without CLIENT_DEPRECATE_EOF (mysql2 does not ask for it) the
 * column definitions end with an EOF packet (0xfe, payload under 9 bytes); a row never starts
 * like that (0xfe there is the prefix of an 8-byte length, so its payload is longer).
 */
import type { Socket } from 'node:net';
import type { Connection } from 'mysql2';
import { lengthAt } from './mysql-text-rows.js';

const HEADER_BYTES = 4;
const MAX_PAYLOAD = 0xffffff;
const EOF = 0xfe;
const ERR = 0xff;
const OK = 0x00;
const LOCAL_INFILE = 0xfb;

/** mysql2's connection internals this file relies on (mysql2 3.x). */
interface Mysql2Internals {
  stream: Socket;
  sequenceId: number;
  _command?: unknown;
  config?: { compress?: boolean };
}

/**
 * Receives one row's payload, `buffer[start, end)`; valid only during the call. Returns false
 * to stop taking rows until `resume()`.
 */
export type RowPayloadHandler = (buffer: Buffer, start: number, end: number) => boolean;

export class RowPacketReader {
  private readonly socket: Socket;
  private readonly onData = (data: Buffer) => this.take(data);
  /** Packets of the response before the rows, still to come: the count, then definitions, then EOF. */
  private phase: 'count' | 'columns' | 'rows' | 'done' = 'count';
  private columnsLeft = 0;
  /** Bytes of an incomplete packet (or the unread rest of a read while paused). */
  private carry: Buffer | undefined;
  /** Payload parts of a row longer than one packet. */
  private longRow: Buffer[] = [];
  private paused = false;

  private constructor(
    private readonly connection: Mysql2Internals,
    private readonly onRow: RowPayloadHandler,
    /** mysql2's own 'data' listener (its packet parser), put back when the rows end. */
    private readonly mysqlData: (data: Buffer) => void,
  ) {
    this.socket = connection.stream;
    this.socket.removeListener('data', this.mysqlData);
    this.socket.on('data', this.onData);
  }

  /**
   * Takes over the rows of the next result set on `connection`, or returns null when the
   * connection is busy with another command (its response would be read as ours), uses the
   * compressed protocol, or is not the mysql2 connection this file knows: the caller then lets
   * mysql2 parse the rows.
   */
  static install(connection: Connection, onRow: RowPayloadHandler): RowPacketReader | null {
    const internals = connection as unknown as Partial<Mysql2Internals>;
    if (internals._command !== undefined && internals._command !== null) return null;
    // The compressed protocol wraps packets in frames of its own (7-byte headers); Sluice does
    // not ask for it, but a connection that uses it is left to mysql2.
    if (internals.config?.compress) return null;
    if (!internals.stream || typeof internals.sequenceId !== 'number') return null;
    const listeners = internals.stream.listeners('data') as ((data: Buffer) => void)[];
    if (listeners.length !== 1) return null;
    return new RowPacketReader(internals as Mysql2Internals, onRow, listeners[0]!);
  }

  /** Takes rows again after `onRow` returned false. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const rest = this.carry;
    this.carry = undefined;
    if (rest) this.take(rest);
    // Also once the rows ended: mysql2 has the socket, which this paused.
    if (!this.paused) this.socket.resume();
  }

  /** Gives the socket back to mysql2 (after a failure; the rows' end does it by itself). */
  detach(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.socket.removeListener('data', this.onData);
    this.socket.on('data', this.mysqlData);
  }

  /** Consumes one socket read (after the carried start of a packet). */
  private take(read: Buffer): void {
    if (this.phase === 'done') {
      this.mysqlData(read);
      return;
    }
    const buf = this.carry ? Buffer.concat([this.carry, read]) : read;
    this.carry = undefined;
    let pos = 0;
    while (pos + HEADER_BYTES <= buf.length) {
      const length = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16);
      const start = pos + HEADER_BYTES;
      const end = start + length;
      if (end > buf.length) break;
      if (this.phase !== 'rows') {
        const next = this.header(buf, start, end);
        if (next === 'mysql2') {
          // No rows (an ERR or OK first), or not a response this file knows: all of it is mysql2's.
          this.handBack(buf);
          return;
        }
        pos = end;
        if (next === 'rows') this.mysqlData(buf.subarray(0, pos));
        continue;
      }
      const first = buf[start];
      if (this.longRow.length === 0 && (first === ERR || (first === EOF && length < 9))) {
        // The rows' end: mysql2 reads this packet, and what follows, as if it had read them all.
        this.connection.sequenceId = buf[pos + 3]!;
        this.handBack(buf.subarray(pos));
        return;
      }
      pos = end;
      if (length === MAX_PAYLOAD || this.longRow.length > 0) {
        this.longRow.push(Buffer.from(buf.subarray(start, end)));
        if (length === MAX_PAYLOAD) continue;
        const row = Buffer.concat(this.longRow);
        this.longRow = [];
        if (!this.onRow(row, 0, row.length)) return this.pause(buf.subarray(pos));
        continue;
      }
      if (!this.onRow(buf, start, end)) return this.pause(buf.subarray(pos));
    }
    // Until the rows start, the whole packets read are passed on to mysql2 as they are (the phase
    // only moves forward, so none of them was passed on above).
    if (this.phase !== 'rows' && pos > 0) this.mysqlData(buf.subarray(0, pos));
    if (pos < buf.length) this.carry = buf.subarray(pos);
  }

  /**
   * Reads one packet before the rows: 'rows' when the rows come next, 'mysql2' when mysql2 is to
   * read the whole response (it has no rows, or is not what this file expects). A column
   * definition is never 0xfe-led, so the EOF after them is found by count and checked by its
   * first byte.
   */
  private header(buf: Buffer, start: number, end: number): 'more' | 'rows' | 'mysql2' {
    const first = buf[start]!;
    if (this.phase === 'count') {
      if (first === ERR || first === OK || first === LOCAL_INFILE) return 'mysql2';
      this.columnsLeft = lengthAt(buf, start);
      this.phase = 'columns';
      return 'more';
    }
    if (this.columnsLeft > 0) {
      this.columnsLeft--;
      return 'more';
    }
    // Not the EOF this file expects (a server speaking another dialect): mysql2 parses it all.
    if (first !== EOF || end - start >= 9) return 'mysql2';
    this.phase = 'rows';
    return 'rows';
  }

  /** Stops taking rows, keeping the unread bytes of this read, and pauses the socket. */
  private pause(rest: Buffer): void {
    this.paused = true;
    this.carry = rest.length > 0 ? rest : undefined;
    this.socket.pause();
  }

  /** Puts mysql2's listener back and hands it `rest`. */
  private handBack(rest: Buffer): void {
    this.detach();
    if (rest.length > 0) this.mysqlData(rest);
  }
}
