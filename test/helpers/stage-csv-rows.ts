/**
 * Reads a staged chunk (the stage CSV dialect of `src/core/stage-csv.ts`) back into rows of
 * canonical text in plain JavaScript, so tests can apply change chunks in log order themselves
 * and compare the outcome with the source without a destination in between.
 */
import { readFile } from 'node:fs/promises';

/** Rows of a stage CSV text: `null` for an empty unquoted field, strings otherwise. */
export function parseStageCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let value: string | null;
    if (text[i] === '"') {
      let end = i + 1;
      let out = '';
      for (;;) {
        const quote = text.indexOf('"', end);
        if (quote < 0) throw new Error(`unterminated quoted field at ${i}`);
        out += text.slice(end, quote);
        if (text[quote + 1] === '"') {
          out += '"';
          end = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      value = out;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      value = end === i ? null : text.slice(i, end);
      i = end;
    }
    row.push(value);
    if (text[i] === ',') {
      i++;
      if (i === text.length || text[i] === '\n') row.push(null);
    }
    if (text[i] === '\n') {
      rows.push(row);
      row = [];
      i++;
    }
  }
  return rows;
}

/** The rows of a staged chunk file. */
export async function readStageCsv(file: string): Promise<(string | null)[][]> {
  return parseStageCsv(await readFile(file, 'utf8'));
}
