/**
 * Assembles stage-dialect rows (`core/stage-csv.ts`) from field bytes, for sources whose driver
 * hands over each value's text as bytes (MySQL's text protocol). Text is quoted by scanning its
 * bytes and never decoded into a JavaScript string, and rows collect in one buffer that the
 * reader flushes into a StageChunkWriter in large writes: per-value strings and per-row writes
 * would cost more than the database takes to send the rows.
 */
import type { StageChunkWriter } from './stage-chunk-writer.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const BACKSLASH = 0x5c;
const X = 0x78;

export class StageRowBuffer {
  private buffer: Buffer;
  private length = 0;
  private fieldsInRow = 0;
  private rowCount = 0;
  /** Where the row in progress starts in the buffer. */
  private rowStart = 0;
  /** Bytes of the longest complete row held (tells the loader how large its read buffers must be). */
  private longestRow = 0;

  /** @param initialBytes starting size; the buffer grows for a huge row and shrinks after the flush */
  constructor(private readonly initialBytes = 1024 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes of complete and partial rows held. */
  get bytes(): number {
    return this.length;
  }

  /** Complete rows held. */
  get rows(): number {
    return this.rowCount;
  }

  /** NULL: an empty, unquoted field. */
  nullField(): void {
    this.separate(0);
  }

  /**
   * `bytes[start, end)`, already canonical text that never needs quotes (digits, dates,
   * decimals), followed by an ASCII `suffix` (e.g. a timestamp's `+00`). A range and not a view,
   * so a reader copies straight from its packet buffer.
   */
  plainBytes(bytes: Uint8Array, start: number, end: number, suffix = ''): void {
    this.separate(end - start + suffix.length);
    this.copy(bytes, start, end);
    // By hand: Buffer#write costs more than the copy for a suffix of a few characters.
    for (let i = 0; i < suffix.length; i++) this.buffer[this.length++] = suffix.charCodeAt(i);
  }

  /** ASCII text already in canonical form, without quotes, commas or line breaks. */
  asciiField(text: string): void {
    this.separate(text.length);
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  /**
   * Text as the UTF-8 bytes `bytes[start, end)`: quoted when empty or holding `"`, `,`, CR or LF
   * (`"` doubled inside).
   */
  textBytes(bytes: Uint8Array, start: number, end: number): void {
    if (end > start && !needsQuotes(bytes, start, end)) {
      this.plainBytes(bytes, start, end);
      return;
    }
    let quotes = 0;
    for (let i = start; i < end; i++) if (bytes[i] === QUOTE) quotes++;
    this.separate(end - start + quotes + 2);
    this.buffer[this.length++] = QUOTE;
    if (quotes === 0) {
      this.copy(bytes, start, end);
    } else {
      for (let i = start; i < end; i++) {
        const byte = bytes[i] as number;
        if (byte === QUOTE) this.buffer[this.length++] = QUOTE;
        this.buffer[this.length++] = byte;
      }
    }
    this.buffer[this.length++] = QUOTE;
  }

  /** Binary as `\x` followed by lowercase hex (never needs quotes). */
  hexField(bytes: Uint8Array): void {
    this.separate(2 + bytes.length * 2);
    this.buffer[this.length++] = BACKSLASH;
    this.buffer[this.length++] = X;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length += this.buffer.write(view.toString('hex'), this.length, 'latin1');
  }

  /** Discards the fields of the row in progress (a value of it could not be encoded). */
  dropRow(): void {
    this.length = this.rowStart;
    this.fieldsInRow = 0;
  }

  /** Ends the current row. */
  endRow(): void {
    this.reserve(1);
    this.buffer[this.length++] = NEWLINE;
    this.fieldsInRow = 0;
    this.rowCount++;
    if (this.length - this.rowStart > this.longestRow) this.longestRow = this.length - this.rowStart;
    this.rowStart = this.length;
  }

  /** Writes the complete rows into the chunk writer and empties the buffer. */
  async flushTo(writer: StageChunkWriter): Promise<void> {
    if (this.fieldsInRow > 0) throw new Error('StageRowBuffer flushed in the middle of a row');
    if (this.length === 0) return;
    await writer.write(this.buffer.subarray(0, this.length), this.rowCount, this.longestRow);
    this.length = 0;
    this.rowCount = 0;
    this.rowStart = 0;
    this.longestRow = 0;
    // One huge value must not keep a huge buffer alive for the rest of the read.
    if (this.buffer.length > 4 * this.initialBytes) this.buffer = Buffer.allocUnsafe(this.initialBytes);
  }

  /** Starts a field of up to `size` bytes: room for it and its separating comma. */
  private separate(size: number): void {
    this.reserve(size + 1);
    if (this.fieldsInRow++ > 0) this.buffer[this.length++] = COMMA;
  }

  private copy(bytes: Uint8Array, start: number, end: number): void {
    // Short values are copied faster by hand than by a native call.
    if (end - start < 16) {
      for (let i = start; i < end; i++) this.buffer[this.length++] = bytes[i] as number;
    } else {
      this.buffer.set(bytes.subarray(start, end), this.length);
      this.length += end - start;
    }
  }

  private reserve(size: number): void {
    if (this.length + size <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + size));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

function needsQuotes(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte === QUOTE || byte === COMMA || byte === NEWLINE || byte === RETURN) return true;
  }
  return false;
}
