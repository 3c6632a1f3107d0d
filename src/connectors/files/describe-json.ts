/**
 * Discovery of one JSON file: its columns from DuckDB (`describeJson`), and the records DuckDB
 * cannot read as written set aside. In a newline-delimited file a malformed line makes DuckDB fail
 * the whole file, and a number no double holds would load changed (json-numbers.ts): such lines
 * are quarantined with their line and reason, and the file is read from a copy without them. A
 * JSON array file cannot be cut into records here: it fails with the reason instead.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SluiceError } from '../../core/errors.js';
import type { QuarantinedRow } from '../../core/quarantine.js';
import type { DuckDB } from '../../engine/duckdb.js';
import type { FileColumn } from './described-file.js';
import { FLOAT_TYPES } from './files-types.js';
import { describeJson, splitJsonLines } from './json-file.js';
import { inexactNumberInFile, inexactNumberLines } from './json-numbers.js';

/** What discovery found: the columns, and the file to read when lines were set aside. */
export interface DescribedJson {
  /** The file to read (the original, or a copy without the quarantined lines). */
  path: string;
  /** Whether `path` is gzip-compressed. */
  gzip: boolean;
  /** The columns, DuckDB types. */
  columns: FileColumn[];
  /** The lines set aside, when there are any. */
  quarantined?: QuarantinedRow[];
}

/** Describes the JSON file `local` (named `name`), writing any clean copy into `workDir`. */
export async function describeJsonFile(
  db: DuckDB,
  local: string,
  gzip: boolean,
  jsonLines: boolean,
  sampleSize: number | undefined,
  workDir: string,
  name: string,
): Promise<DescribedJson> {
  const split = async (problems?: ReadonlyMap<number, string>) => {
    const clean = path.join(workDir, `${randomUUID()}.clean.ndjson`);
    const quarantined = await splitJsonLines(local, gzip, clean, name, problems);
    return { clean, quarantined };
  };
  let described: DescribedJson;
  try {
    described = { path: local, gzip, columns: await describeJson(db, local, gzip, jsonLines, sampleSize) };
  } catch (error) {
    // A malformed line fails the whole file in DuckDB: set the bad lines aside, read the rest.
    if (!jsonLines) throw error;
    const { clean, quarantined } = await split();
    if (quarantined.length === 0) throw error;
    const columns = await describeJson(db, clean, false, true, sampleSize);
    described = { path: clean, gzip: false, columns, quarantined };
  }
  const floats = new Set(described.columns.filter((c) => FLOAT_TYPES.has(c.type)).map((c) => c.name));
  if (!jsonLines) {
    const reason = await inexactNumberInFile(local, gzip, floats);
    if (reason === null) return described;
    throw new SluiceError('TYPE_UNSUPPORTED', `${name}: ${reason}`, {
      hint: 'write such numbers as JSON strings, or use newline-delimited JSON, whose lines holding them are quarantined',
    });
  }
  // Line numbers of the original file: the split below starts again from it.
  const inexact = await inexactNumberLines(local, gzip, floats);
  if (inexact.size === 0) return described;
  const { clean, quarantined } = await split(inexact);
  const columns = await describeJson(db, clean, false, true, sampleSize);
  return { path: clean, gzip: false, columns, quarantined };
}
