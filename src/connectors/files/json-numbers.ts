/**
 * JSON numbers that would not load as written. DuckDB's JSON reader parses every number as an
 * int64, a uint64 or a double and keeps no number's text: a number in a column it types DOUBLE,
 * or a non-integer (or an integer beyond 64 bits) anywhere — nested values included, which it
 * prints back from the parsed double — loads as the double nearest to it. For `0.1` or `1.5e-5`
 * that double prints back as the same number; for `12345678901234567890.5` or
 * `0.12345678901234567891` it does not, and the lake would hold another number than the file.
 * Such a line is quarantined with the reason (newline-delimited files; `describe-json.ts`), and a
 * JSON array file holding one fails with it.
 *
 * Finding them costs one pass over the file's bytes with a regular expression: only a number of
 * 16 or more digits, or with an exponent of three digits, can miss, so only the lines where such a
 * number may follow a `:`, `,` or `[` are parsed (with `JSON.parse`'s source text access, Node 22).
 */
import { SluiceError } from '../../core/errors.js';
import { formatFloat64 } from '../canonical-text.js';
import { lineBlocks, linesOf, openBytes } from './file-text.js';

/**
 * Text that may hold a number no double prints back as written (see the file comment). A number
 * follows `:`, `,` or `[`; a long run of digits inside a string (an id, a phone number) does not,
 * so it costs no parse (matching those too, a sync of 1M lines with 20-digit id strings took ~3×
 * as long).
 */
const MAYBE_INEXACT = /[:,[]\s*-?(\d[\d.]{15}|[\d.]+[eE][+-]?\d{3})/;
const NEWLINE = 0x0a;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** `JSON.parse`'s reviver context (Node 22: the source text of a primitive value). */
interface ReviverContext {
  source?: string;
}

/**
 * Fails unless this runtime's `JSON.parse` hands revivers the source text (Node 22+; the CLI
 * refuses older Node): without it every number would pass the check unseen.
 */
function assertSourceText(): void {
  let source: string | undefined;
  JSON.parse('1.0', (_key: string, value: unknown, context?: ReviverContext) => {
    source = context?.source;
    return value;
  });
  if (source !== '1.0') {
    throw new SluiceError(
      'USAGE',
      `JSON files need Node 22 or newer to be read exactly (this is ${process.version})`,
      {
        hint: 'run sluice with the Node 22 that `npm ci` installs (`npx sluice …`)',
      },
    );
  }
}

/**
 * Why the JSON value `text` (one record, or an array of records when `array`) would not load as
 * written, or null. `floats`: the top-level keys DuckDB reads as DOUBLE or FLOAT.
 */
export function inexactNumberIn(text: string, floats: ReadonlySet<string>, array = false): string | null {
  const numbers: { holder: unknown; key: string; source: string; value: number }[] = [];
  const root: unknown = JSON.parse(
    text,
    function (this: unknown, key: string, value: unknown, context?: ReviverContext) {
      if (typeof value === 'number' && context?.source !== undefined) {
        numbers.push({ holder: this, key, source: context.source, value });
      }
      return value;
    },
  );
  const records = new Set<unknown>(array && Array.isArray(root) ? root : [root]);
  for (const { holder, key, source, value } of numbers) {
    const topLevel = records.has(holder);
    if (/^-?\d+$/.test(source) && !(topLevel && floats.has(key)) && fitsInt64(source)) continue;
    const loaded = formatFloat64(value);
    if (sameNumber(source, loaded)) continue;
    return (
      `NUMBER CHANGES: ${JSON.stringify(key)}${topLevel ? '' : ' (nested)'} holds ${source}, which ` +
      `DuckDB reads as the double ${loaded}; write it as a JSON string to keep every digit`
    );
  }
  return null;
}

/**
 * The lines (1-based, as counted in the file) of the newline-delimited JSON file at `path` whose
 * numbers would not load as written, each with its reason. Lines that are not valid JSON are not
 * reported here (the malformed-line check quarantines them).
 */
export async function inexactNumberLines(
  path: string,
  gzip: boolean,
  floats: ReadonlySet<string>,
): Promise<Map<number, string>> {
  assertSourceText();
  const found = new Map<number, string>();
  let line = 1;
  for await (const block of lineBlocks(openBytes(path, gzip))) {
    if (!MAYBE_INEXACT.test(block.toString('latin1'))) {
      for (let at = block.indexOf(NEWLINE); at >= 0; at = block.indexOf(NEWLINE, at + 1)) line += 1;
      continue;
    }
    for (const bytes of linesOf(block)) {
      const reason = inexactNumberInLine(bytes.toString('utf8'), floats);
      if (reason !== null) found.set(line, reason);
      line += 1;
    }
  }
  return found;
}

/** Largest JSON array file parsed whole to check its numbers (JSON.parse holds it all in memory). */
const ARRAY_CHECK_BYTES = 256 * 1024 * 1024;

/**
 * Why the JSON array file at `path` would not load as written, or null (see `inexactNumberIn`).
 * The file is parsed only when the regular expression finds a candidate; a file over 256 MiB with
 * one cannot be checked and is refused, with newline-delimited JSON as the way out.
 */
export async function inexactNumberInFile(
  path: string,
  gzip: boolean,
  floats: ReadonlySet<string>,
): Promise<string | null> {
  assertSourceText();
  const chunks: Buffer[] = [];
  let bytes = 0;
  let candidate = false;
  let tail = '';
  for await (const chunk of openBytes(path, gzip) as AsyncIterable<Buffer>) {
    // A candidate may straddle two reads: test each read with the end of the one before.
    const text = chunk.toString('latin1');
    candidate ||= MAYBE_INEXACT.test(tail + text);
    tail = text.slice(-64);
    bytes += chunk.length;
    if (bytes <= ARRAY_CHECK_BYTES) chunks.push(chunk);
  }
  if (!candidate) return null;
  if (bytes > ARRAY_CHECK_BYTES) {
    return 'NUMBER NOT CHECKED: the file may hold a number no double holds as written, and is too large to check as one JSON array; write it as newline-delimited JSON';
  }
  try {
    return inexactNumberIn(
      Buffer.concat(chunks)
        .toString('utf8')
        .replace(/^\uFEFF/, ''),
      floats,
      true,
    );
  } catch {
    return null;
  }
}

/** `inexactNumberIn` for one line, or null when it has no candidate or is not one JSON value (the malformed-line check's business). */
function inexactNumberInLine(text: string, floats: ReadonlySet<string>): string | null {
  if (!MAYBE_INEXACT.test(text)) return null;
  try {
    return inexactNumberIn(text, floats);
  } catch {
    return null;
  }
}

/** True for an integer literal an int64 or a uint64 holds. */
function fitsInt64(source: string): boolean {
  const value = BigInt(source);
  return value >= INT64_MIN && value <= UINT64_MAX;
}

/** True when both number texts (JSON or `formatFloat64` forms) name the same number, sign of zero included. */
export function sameNumber(a: string, b: string): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return (
    x !== null &&
    y !== null &&
    x.negative === y.negative &&
    x.digits === y.digits &&
    x.exponent === y.exponent
  );
}

/** `text` as sign, significant digits (no leading or trailing zeros) and exponent; null if not a finite number. */
function decimalParts(text: string): { negative: boolean; digits: string; exponent: number } | null {
  const match = /^(-)?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  return { negative: sign === '-', digits, exponent: digits === '' ? 0 : power };
}
