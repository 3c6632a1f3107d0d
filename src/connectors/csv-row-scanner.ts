/**
 * Finds row ends in stage-dialect CSV that arrives in arbitrary buffers (a COPY stream, a file).
 * A newline ends a row only outside quotes, and since `""` inside a quoted field toggles the
 * state twice, quote parity alone tells whether a position is inside a field. The scan jumps
 * between quotes and newlines with `Buffer.indexOf` (native memchr) instead of visiting every
 * byte in JavaScript, so its cost is a few calls per row, whatever the row's width. It also
 * keeps the length of the longest row it saw end, so a loader can size its read buffers to the
 * rows of a chunk instead of to the largest row any chunk may hold.
 */
const QUOTE = 0x22;
const NEWLINE = 0x0a;

/** Result of one `CsvRowScanner.scan` call. */
export interface RowScan {
  /** Index just past the row end that stopped the scan, or -1 when the whole buffer was scanned. */
  end: number;
  /** Rows that ended within the scanned part. */
  rows: number;
}

export class CsvRowScanner {
  private inQuotes = false;
  /** Bytes of the row in progress that earlier calls scanned. */
  private openRowBytes = 0;
  /** Longest row (with its newline) that ended since the last `takeLongestRow`. */
  private longestRow = 0;

  /** True when the bytes scanned so far stop inside a quoted field (the row is incomplete). */
  get insideQuotes(): boolean {
    return this.inQuotes;
  }

  /** Bytes of the longest row (newline included) that ended since the last call; 0 when none. */
  takeLongestRow(): number {
    const longest = this.longestRow;
    this.longestRow = 0;
    return longest;
  }

  /**
   * Scans `buf` from `start`, counting row ends. Stops after the first row end whose newline is
   * at index `stopAt` or later and returns the index just past it; otherwise scans to the end of
   * the buffer. Quote state carries over to the next call, so a buffer may end anywhere.
   */
  scan(buf: Buffer, start: number, stopAt: number): RowScan {
    let rows = 0;
    let pos = start;
    let rowStart = start;
    let quote = buf.indexOf(QUOTE, pos);
    let newline = buf.indexOf(NEWLINE, pos);
    while (pos < buf.length) {
      if (this.inQuotes) {
        if (quote < 0) break;
        this.inQuotes = false;
        pos = quote + 1;
        quote = buf.indexOf(QUOTE, pos);
        continue;
      }
      // A newline found earlier may now lie inside a quoted field we have passed.
      if (newline >= 0 && newline < pos) newline = buf.indexOf(NEWLINE, pos);
      if (quote >= 0 && (newline < 0 || quote < newline)) {
        this.inQuotes = true;
        pos = quote + 1;
        quote = buf.indexOf(QUOTE, pos);
        continue;
      }
      if (newline < 0) break;
      rows += 1;
      pos = newline + 1;
      const rowBytes = this.openRowBytes + pos - rowStart;
      if (rowBytes > this.longestRow) this.longestRow = rowBytes;
      this.openRowBytes = 0;
      rowStart = pos;
      if (newline >= stopAt) return { end: pos, rows };
      newline = buf.indexOf(NEWLINE, pos);
    }
    this.openRowBytes += buf.length - rowStart;
    return { end: -1, rows };
  }
}
