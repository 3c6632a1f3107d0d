/**
 * How a stream declares its partitioning, as people write it on the command line and in the
 * project file: `day(placed_at), bucket(16, buyer_id)`. Each field is a transform of one
 * column: `identity(col)` (or just `col`), `year(col)`, `month(col)`, `day(col)`, `hour(col)`,
 * `bucket(N, col)`, `truncate(W, col)`. A column name with other characters than letters,
 * digits and `_` is written in double quotes (`day("placed at")`, `""` for a quote). Only the
 * syntax is checked here; whether a transform fits the column's type is the lake's business.
 */
import { SluiceError } from './errors.js';

/** The partition transforms of the Iceberg spec that Sluice writes. */
export const PARTITION_TRANSFORMS = [
  'identity',
  'year',
  'month',
  'day',
  'hour',
  'bucket',
  'truncate',
] as const;

export type PartitionTransformName = (typeof PARTITION_TRANSFORMS)[number];

/** One declared partition field. */
export interface PartitionFieldDecl {
  /** The transform applied to the column. */
  transform: PartitionTransformName;
  /** The source column, exactly as in the stream. */
  column: string;
  /** Bucket count N of `bucket(N, col)` or width W of `truncate(W, col)`; absent for other transforms. */
  param?: number;
}

const SYNTAX_HINT =
  'write fields as identity(col) or col, year(col), month(col), day(col), hour(col), bucket(N, col) or truncate(W, col), separated by commas';

const PLAIN_NAME = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;

/** Parses a comma-separated list of partition fields; throws USAGE naming the part it cannot read. */
export function parsePartitionBy(text: string): PartitionFieldDecl[] {
  const parts = splitTopLevel(text, ',').map((part) => part.trim());
  if (parts.every((part) => part === '')) return [];
  return parts.map((part) => {
    if (part === '') throw syntaxError(text, 'an empty field');
    return parsePartitionField(part);
  });
}

/** Parses one partition field such as `bucket(16, buyer_id)`. */
export function parsePartitionField(text: string): PartitionFieldDecl {
  const trimmed = text.trim();
  const call = /^([A-Za-z]+)\s*\(([\s\S]*)\)$/.exec(trimmed);
  if (!call) return { transform: 'identity', column: parseColumn(trimmed, trimmed) };
  const name = call[1]!.toLowerCase();
  const args = splitTopLevel(call[2]!, ',').map((arg) => arg.trim());
  const transform = PARTITION_TRANSFORMS.find((known) => known === name);
  if (transform === undefined) {
    throw syntaxError(trimmed, `unknown transform ${JSON.stringify(call[1])}`);
  }
  if (transform === 'bucket' || transform === 'truncate') {
    if (args.length !== 2) throw syntaxError(trimmed, `${transform} takes two arguments: (N, column)`);
    const param = Number(args[0]);
    if (!/^\d+$/.test(args[0]!) || !Number.isSafeInteger(param) || param < 1 || param > 2147483647) {
      throw syntaxError(
        trimmed,
        `${transform} needs a positive whole number first, not ${JSON.stringify(args[0])}`,
      );
    }
    return { transform, column: parseColumn(args[1]!, trimmed), param };
  }
  if (args.length !== 1) throw syntaxError(trimmed, `${transform} takes one column`);
  return { transform, column: parseColumn(args[0]!, trimmed) };
}

/** The declaration as it is written (`bucket(16, buyer_id)`), quoting names that need it. */
export function formatPartitionField(decl: PartitionFieldDecl): string {
  const column = PLAIN_NAME.test(decl.column) ? decl.column : `"${decl.column.replaceAll('"', '""')}"`;
  return decl.param === undefined
    ? `${decl.transform}(${column})`
    : `${decl.transform}(${decl.param}, ${column})`;
}

function parseColumn(text: string, field: string): string {
  if (PLAIN_NAME.test(text)) return text;
  const quoted = /^"((?:[^"]|"")+)"$/.exec(text);
  if (quoted) return quoted[1]!.replaceAll('""', '"');
  throw syntaxError(
    field,
    text === ''
      ? 'a column name is missing'
      : `${JSON.stringify(text)} is not a column name (quote names with other characters in double quotes)`,
  );
}

/** Splits at `separator` outside parentheses and double quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function syntaxError(field: string, problem: string): SluiceError {
  return new SluiceError('USAGE', `cannot read partition field ${JSON.stringify(field)}: ${problem}`, {
    hint: SYNTAX_HINT,
  });
}
