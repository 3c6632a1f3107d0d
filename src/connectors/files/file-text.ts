/**
 * Byte-level work on CSV and JSON files that DuckDB does not do itself: recognising the text
 * encoding (a byte order mark, or `?encoding=`), turning non-UTF-8 text into UTF-8 for DuckDB
 * (which reads UTF-8, little-endian UTF-16 and strict Latin-1 only), and finding the physical
 * line of a byte offset for quarantine reports. Decoding is strict: a byte sequence that is not
 * valid in the declared encoding is an error naming the file and line, never a replacement
 * character slipped into the data.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { SluiceError, messageOf } from '../../core/errors.js';

const NEWLINE = 0x0a;
/** Longest raw line kept for a quarantine row. */
const MAX_RAW_BYTES = 64 * 1024;

/** The file's bytes, decompressed when it is gzip. */
export function openBytes(file: string, gzip: boolean): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  return gzip ? raw.pipe(createGunzip()) : raw;
}

/**
 * `source`'s bytes in blocks of whole lines: each block ends where `endOfLines` says its last
 * line ends (by default after its last `\n`), the bytes of a line cut by a read are carried into
 * the next block, and an unterminated last line comes last, alone.
 */
export async function* lineBlocks(
  source: AsyncIterable<Buffer>,
  endOfLines: (data: Buffer) => number = (data) => data.lastIndexOf(NEWLINE) + 1,
): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const cut = endOfLines(data);
    carry = Buffer.from(data.subarray(cut));
    if (cut > 0) yield data.subarray(0, cut);
  }
  if (carry.length > 0) yield carry;
}

/** The `\n`-ended lines of a block from `lineBlocks`, without their `\n`; an unterminated rest as the last. */
export function* linesOf(block: Buffer): Generator<Buffer> {
  let start = 0;
  for (let end = block.indexOf(NEWLINE); end >= 0; end = block.indexOf(NEWLINE, start)) {
    yield block.subarray(start, end);
    start = end + 1;
  }
  if (start < block.length) yield block.subarray(start);
}

/**
 * The encoding to decode a file with: `declared` when given, else UTF-16 (LE or BE) when the
 * file starts with its byte order mark, else UTF-8. Names are WHATWG labels, lower case.
 */
export async function textEncodingOf(
  file: string,
  gzip: boolean,
  declared: string | undefined,
): Promise<string> {
  if (declared !== undefined) return new TextDecoder(declared).encoding;
  const head = await firstBytes(file, gzip, 2);
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

async function firstBytes(file: string, gzip: boolean, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  const stream = openBytes(file, gzip);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= count) break;
    }
  } catch (error) {
    throw readFailed(file, error);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, count);
}

/**
 * Writes `file` (decompressed) as UTF-8 to `target`. A sequence that is invalid in `encoding`
 * fails with SOURCE_READ naming `name` and the line. The text is decoded in batches of whole
 * lines, so a batch that fails can be decoded again line by line to find the line.
 */
export async function transcodeToUtf8(
  file: string,
  gzip: boolean,
  encoding: string,
  target: string,
  name: string,
): Promise<void> {
  // Where lines end in the encoded bytes: UTF-16 code units, or the ASCII newline of the
  // ASCII-compatible encodings (in which 0x0A is never part of another character).
  const newline = Buffer.from(
    encoding === 'utf-16le' ? [0x0a, 0x00] : encoding === 'utf-16be' ? [0x00, 0x0a] : [0x0a],
  );
  let line = 1;
  let first = true;
  const decodeLines = (bytes: Buffer): Buffer => {
    // Only the file's very start may hold a byte order mark; later U+FEFF is text.
    const decode = (part: Buffer) =>
      new TextDecoder(encoding, { fatal: true, ignoreBOM: !first }).decode(part);
    let text: string;
    try {
      text = decode(bytes);
    } catch (error) {
      let at = 0;
      for (const part of splitLines(bytes, newline)) {
        try {
          decode(part);
        } catch {
          break;
        }
        first = false;
        at += 1;
      }
      throw new SluiceError('SOURCE_READ', `${name} line ${line + at}: the bytes are not valid ${encoding}`, {
        hint: 'fix the file, or give its real encoding with ?encoding=… (e.g. windows-1252, utf-16le)',
        cause: error,
      });
    }
    first = false;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line += 1;
    return Buffer.from(text, 'utf8');
  };
  async function* toUtf8(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const block of lineBlocks(source, (data) => endOfLastLine(data, newline))) {
      yield decodeLines(block);
    }
  }
  try {
    await pipeline(openBytes(file, gzip), toUtf8, createWriteStream(target, { flags: 'wx' }));
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw readFailed(name, error);
  }
}

/** Index just past the last `newline` that starts at a multiple of its length; 0 when none. */
function endOfLastLine(data: Buffer, newline: Buffer): number {
  for (let at = data.lastIndexOf(newline); at >= 0; at = at > 0 ? data.lastIndexOf(newline, at - 1) : -1) {
    if (at % newline.length === 0) return at + newline.length;
  }
  return 0;
}

/** `bytes` cut after each aligned `newline`. */
function splitLines(bytes: Buffer, newline: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = bytes.indexOf(newline); at >= 0; at = bytes.indexOf(newline, at + 1)) {
    if ((at - start) % newline.length !== 0) continue;
    parts.push(bytes.subarray(start, at + newline.length));
    start = at + newline.length;
  }
  if (start < bytes.length) parts.push(bytes.subarray(start));
  return parts;
}

/** The physical line around a byte offset: its 1-based number and its bytes, printable. */
export interface LineAt {
  /** 1-based line number (lines end at `\n`). */
  line: number;
  /** The whole line, invalid UTF-8 shown as `\xNN`, at most 64 KiB. */
  text: string;
}

/**
 * The line holding each byte offset of the decoded text, in one pass over the file. An offset
 * on a line's `\n` counts for the line after it (see `takeCsvRejects` for why).
 */
export async function linesAt(
  file: string,
  gzip: boolean,
  offsets: readonly number[],
): Promise<Map<number, LineAt>> {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const found = new Map<number, LineAt>();
  let next = 0;
  let line = 1;
  let base = 0;
  /** The current line's bytes, while an offset in it is wanted. */
  let open: { offsets: number[]; parts: Buffer[]; bytes: number } | undefined;
  const close = () => {
    if (!open) return;
    const text = printable(Buffer.concat(open.parts));
    for (const offset of open.offsets) found.set(offset, { line, text });
    open = undefined;
  };
  try {
    for await (const chunk of openBytes(file, gzip) as AsyncIterable<Buffer>) {
      let pos = 0;
      while (pos < chunk.length) {
        const newline = chunk.indexOf(NEWLINE, pos);
        const end = newline < 0 ? chunk.length : newline;
        // Offsets before this line's \n (and after the previous line's) belong to this line.
        for (
          let offset = wanted[next];
          offset !== undefined && offset < base + end;
          offset = wanted[++next]
        ) {
          open ??= { offsets: [], parts: [], bytes: 0 };
          open.offsets.push(offset);
        }
        if (open && open.bytes < MAX_RAW_BYTES) {
          const piece = chunk.subarray(pos, Math.min(end, pos + MAX_RAW_BYTES - open.bytes));
          open.parts.push(piece);
          open.bytes += piece.length;
        }
        if (newline < 0) break;
        close();
        line += 1;
        pos = newline + 1;
      }
      base += chunk.length;
      if (next >= wanted.length && !open) break;
    }
  } catch (error) {
    throw readFailed(file, error);
  }
  close();
  return found;
}

/** UTF-8 text with every invalid byte written as `\xNN`, and without a trailing `\r`. */
export function printable(bytes: Buffer): string {
  let out = '';
  let run = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString('utf8', run, i) + `\\x${(bytes[i] ?? 0).toString(16).padStart(2, '0')}`;
    i += 1;
    run = i;
  }
  return (out + bytes.toString('utf8', run)).replace(/\r$/, '');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when none starts there. */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const first = bytes[i] ?? 0;
  if (first < 0x80) return 1;
  const length =
    first >= 0xc2 && first < 0xe0
      ? 2
      : first >= 0xe0 && first < 0xf0
        ? 3
        : first >= 0xf0 && first < 0xf5
          ? 4
          : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  try {
    strictUtf8.decode(bytes.subarray(i, i + length));
    return length;
  } catch {
    return 0;
  }
}

function readFailed(file: string, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const gzip = /incorrect header check|unexpected end of file|invalid (block|distance|code)/i.test(
    messageOf(error),
  );
  return new SluiceError('SOURCE_READ', `cannot read ${file}: ${messageOf(error)}`, {
    hint: gzip
      ? 'the file is not valid gzip; check the file or drop .gz from its name'
      : 'check that the file is readable',
    cause: error,
  });
}
