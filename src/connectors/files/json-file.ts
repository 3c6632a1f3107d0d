/**
 * JSON files through DuckDB's `read_json`: newline-delimited (one object per line) or one array
 * of objects. Discovery reads every record (`sample_size = -1` unless told otherwise), because
 * a key missing from the sample would be dropped without a trace when the file is read with the
 * discovered columns. Nested values (objects, arrays, keys whose types vary) are read as DuckDB
 * JSON, which keeps their own text.
 *
 * A malformed line makes DuckDB fail the whole file. When discovery meets one in a
 * newline-delimited file, every line is checked here (valid UTF-8, one JSON object), the bad
 * ones are quarantined with their line number and parser message, and the file is read from a
 * copy without them.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { QuarantinedRow } from '../../core/quarantine.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import type { FileColumn } from './described-file.js';
import { isNestedType } from './files-types.js';
import { wholeFileTypes } from './csv-column-scan.js';
import { temporalScan } from './csv-temporals.js';
import { lineBlocks, linesOf, openBytes, printable } from './file-text.js';

/** DuckDB's JSON reader parses dates and times in ISO form. */
const ISO = { dateFormat: null, timestampFormat: null } as const;

/** Columns of one JSON file (keys of its objects, DuckDB types; nested ones as JSON). */
export async function describeJson(
  db: DuckDB,
  path: string,
  gzip: boolean,
  lines: boolean,
  sampleSize: number | undefined,
): Promise<FileColumn[]> {
  const source = jsonSource(path, gzip, lines, null, [`sample_size = ${sampleSize ?? -1}`]);
  const rows = await db.queryObjects(`DESCRIBE SELECT * FROM ${source}`);
  const columns = rows.map((row) => {
    const type = String(row.column_type);
    return { name: String(row.column_name), type: isNestedType(type) ? 'JSON' : type };
  });
  // A date or time column whose text the typed read would cut is text (csv-temporals.ts).
  return wholeFileTypes(db, columns, ISO, [temporalScan], (text) => jsonSource(path, gzip, lines, text));
}

/** True when the file's first non-blank byte opens an array (else: one object per line). */
export async function isJsonArray(path: string, gzip: boolean): Promise<boolean> {
  for await (const chunk of openBytes(path, gzip) as AsyncIterable<Buffer>) {
    const text = chunk.toString('latin1').replace(/^\uFEFF?[\s\u00EF\u00BB\u00BF]*/, '');
    if (text !== '') return text.startsWith('[');
  }
  return false;
}

/** `read_json(…)` of one file; with `columns`, exactly those (by name, typed) and nothing inferred. */
export function jsonSource(
  path: string,
  gzip: boolean,
  lines: boolean,
  columns: readonly FileColumn[] | null,
  extra: readonly string[] = [],
): string {
  const options = [
    `format = ${lines ? "'newline_delimited'" : "'array'"}`,
    `compression = ${gzip ? "'gzip'" : "'uncompressed'"}`,
    ...(columns
      ? [`columns = {${columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}`]
      : []),
    'maximum_object_size = 67108864',
    ...extra,
  ];
  return `read_json(${quoteLiteral(path)}, ${options.join(', ')})`;
}

/**
 * Copies the valid lines of a newline-delimited file to `target` and returns the others as
 * quarantined rows (`name` is what they say the file is). Blank lines are skipped, as DuckDB
 * skips them. `otherProblems`: reasons found elsewhere for more lines (1-based), e.g. numbers
 * that would not load as written (json-numbers.ts).
 */
export async function splitJsonLines(
  path: string,
  gzip: boolean,
  target: string,
  name: string,
  otherProblems: ReadonlyMap<number, string> = new Map(),
): Promise<QuarantinedRow[]> {
  const bad: QuarantinedRow[] = [];
  const out = createWriteStream(target, { flags: 'wx' });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 0;
  const check = async (bytes: Buffer) => {
    line += 1;
    const reason = jsonLineProblem(bytes, decoder) ?? otherProblems.get(line) ?? null;
    if (reason === null) {
      if (!out.write(bytes) || !out.write('\n')) await once(out, 'drain');
    } else if (reason !== '') {
      bad.push({ file: name, line, reason, raw: printable(bytes.subarray(0, 64 * 1024)) });
    }
  };
  for await (const block of lineBlocks(openBytes(path, gzip))) {
    for (const bytes of linesOf(block)) await check(bytes);
  }
  out.end();
  await once(out, 'finish');
  return bad;
}

/** Why a line is not one JSON object: a message, '' for a blank line, null when it is fine. */
function jsonLineProblem(bytes: Buffer, decoder: { decode(input: Uint8Array): string }): string | null {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return 'INVALID ENCODING: the line is not valid UTF-8';
  }
  if (text.trim() === '') return '';
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return `NOT AN OBJECT: the line holds a JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object`;
    }
    return null;
  } catch (error) {
    return `MALFORMED JSON: ${(error as Error).message}`;
  }
}
