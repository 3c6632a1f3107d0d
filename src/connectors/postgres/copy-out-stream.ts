/**
 * `COPY … TO STDOUT` as a readable stream of the rows' bytes, for a `pg` client: submitted with
 * `client.query(new CopyOutStream(sql))`, it takes the connection's socket over while the server
 * sends CopyData messages and hands it back to `pg` at CopyDone (or at an ErrorResponse, which
 * `pg` then parses and reports through `handleError`), like pg-copy-streams' `to`.
 *
 * Why not pg-copy-streams: the server sends one CopyData message per row, and its parser handles
 * each through a buffer list (a Buffer object and several calls per row): ~2 CPU s of the main
 * thread per 10M rows of the benchmark table, GC included. Here each socket read is parsed in
 * place: the payloads are moved over the 5-byte message headers within the read's own buffer
 * (`copyWithin`) and pushed as one buffer per read.
 */
import { Readable } from 'node:stream';
import type { Connection } from 'pg';

const COPY_DATA = 0x64; // d
const COPY_DONE = 0x63; // c
const ERROR_RESPONSE = 0x45; // E
/** Messages the server may send between CopyData messages (protocol-flow.html#PROTOCOL-COPY). */
const INTERLEAVED = new Set([
  0x48, // H CopyOutResponse
  0x53, // S ParameterStatus
  0x4e, // N NoticeResponse
  0x41, // A NotificationResponse
]);
/** Code byte plus the Int32 length. */
const HEADER_BYTES = 5;

export class CopyOutStream extends Readable {
  /** Rows the server reported copying (its CommandComplete), once done. */
  rowCount = 0;
  private connection: Connection | undefined;
  /** pg's own 'data' listener on the socket, put back when the copy ends. */
  private pgDataHandler: ((data: Buffer) => void) | undefined;
  private readonly onReadable = () => this.forward();
  /** The consumer wants more (push returned true or `_read` was called). */
  private wanted = false;
  private forwarding = false;
  private finished = false;
  /** Code of the message whose payload is being read, and its bytes still to come. */
  private code = 0;
  private remaining = 0;
  /** The start of a message header cut by the end of a read. */
  private carry: Buffer | undefined;

  constructor(private readonly text: string) {
    super();
  }

  /** Called by `pg` when the query runs (the Submittable interface). */
  submit(connection: Connection): void {
    this.connection = connection;
    const socket = connection.stream;
    const listeners = socket.listeners('data') as ((data: Buffer) => void)[];
    if (listeners.length !== 1)
      throw new Error(`expected pg's one socket data listener, found ${listeners.length}`);
    this.pgDataHandler = listeners[0];
    socket.removeListener('data', this.pgDataHandler!);
    socket.pause();
    socket.on('readable', this.onReadable);
    connection.query(this.text);
    this.forward();
  }

  /** pg: the server's ErrorResponse, or the connection failed. */
  handleError(error: Error): void {
    this.destroy(error);
  }

  /** pg: CommandComplete (`COPY n`) after CopyDone. */
  handleCommandComplete(message: { text?: string } | undefined): void {
    const match = /COPY (\d+)/.exec(message?.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  /** pg: the connection is ready for the next query. */
  handleReadyForQuery(): void {}

  override _read(): void {
    this.wanted = true;
    this.forward();
  }

  private forward(): void {
    if (this.forwarding || !this.wanted || !this.connection || this.finished) return;
    this.forwarding = true;
    try {
      const socket = this.connection.stream;
      let data: Buffer | null;
      while (this.wanted && !this.finished && (data = socket.read() as Buffer | null) !== null) {
        this.parse(data);
      }
    } finally {
      this.forwarding = false;
    }
  }

  /**
   * Moves the CopyData payloads of `read` to its start, pushes them, and ends the copy at
   * CopyDone or at a message that is not part of it.
   */
  private parse(read: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, read]) : read;
    this.carry = undefined;
    const end = buf.length;
    let pos = 0;
    let out = 0;
    while (pos < end) {
      if (this.remaining > 0) {
        // The rest of a payload cut by the previous read (or a long row spanning reads).
        const take = Math.min(this.remaining, end - pos);
        if (this.code === COPY_DATA) {
          buf.copyWithin(out, pos, pos + take);
          out += take;
        }
        pos += take;
        this.remaining -= take;
        continue;
      }
      // Whole CopyData messages: the common case, one per row.
      while (pos + HEADER_BYTES <= end && buf[pos] === COPY_DATA) {
        const length = buf.readUInt32BE(pos + 1) - 4;
        const start = pos + HEADER_BYTES;
        if (start + length > end) break;
        buf.copyWithin(out, start, start + length);
        out += length;
        pos = start + length;
      }
      if (pos >= end) break;
      if (end - pos < HEADER_BYTES) {
        this.carry = Buffer.from(buf.subarray(pos));
        break;
      }
      const code = buf[pos] as number;
      if (code === COPY_DATA || INTERLEAVED.has(code)) {
        this.code = code;
        this.remaining = buf.readUInt32BE(pos + 1) - 4;
        pos += HEADER_BYTES;
        continue;
      }
      // CopyDone ends the copy; an ErrorResponse (or anything else) is pg's to read.
      if (code === COPY_DONE) pos += HEADER_BYTES + buf.readUInt32BE(pos + 1) - 4;
      this.finish(buf.subarray(0, out), buf.subarray(pos), code === ERROR_RESPONSE);
      return;
    }
    if (out > 0) this.wanted = this.push(buf.subarray(0, out));
  }

  /** Pushes the last rows and hands the socket, with the bytes after the copy, back to pg. */
  private finish(rows: Buffer, rest: Buffer, failed: boolean): void {
    this.finished = true;
    if (rows.length > 0) this.push(rows);
    const socket = this.connection!.stream;
    socket.removeListener('readable', this.onReadable);
    socket.on('data', this.pgDataHandler!);
    // pg parses CommandComplete and ReadyForQuery (or the error) from here on.
    if (rest.length > 0) this.pgDataHandler!(rest);
    // The data listener resumes the socket, but a pause from pg's own backpressure may follow.
    process.nextTick(() => socket.resume());
    if (!failed) this.push(null);
  }
}
