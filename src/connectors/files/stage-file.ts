/**
 * Staging one described file: DuckDB reads it with the stream's column types and writes the
 * stage dialect (canonical text per column, `stageSelectList`); the bytes stream out while
 * DuckDB writes them. Quarantined rows of the file are known once its bytes are exhausted.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError, isSluiceError, messageOf } from '../../core/errors.js';
import type { QuarantinedRow } from '../../core/quarantine.js';
import { copyCsvOutput } from '../../engine/copy-stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import { csvSource, takeCsvRejects } from './csv-file.js';
import type { DescribedFile, FileColumn } from './described-file.js';
import { stageSelectList } from './files-types.js';
import { jsonSource, splitJsonLines } from './json-file.js';

/** One file on its way to the stage. */
export interface StagingFile {
  /** Stage-dialect bytes of the file's loadable rows. */
  output: AsyncIterable<Buffer>;
  /** Its quarantined rows; call after `output` is exhausted. */
  quarantined(): Promise<QuarantinedRow[]>;
}

export function stageFile(
  db: DuckDB,
  described: DescribedFile,
  columns: readonly CanonicalColumn[],
  workDir: string,
): StagingFile {
  const types = new Map(columns.map((c) => [c.name, c.sourceType]));
  // The file's columns typed as the stream has them: DuckDB then parses straight to that type.
  const asStream = described.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? c.type }));
  const streamTypes = new Map(asStream.map((c) => [c.name, c.type]));
  if (described.file.size === 0 || described.columns.length === 0) {
    return { output: (async function* () {})(), quarantined: async () => [] };
  }
  switch (described.format.kind) {
    case 'parquet': {
      const fileTypes = new Map(described.columns.map((c) => [c.name, c.type]));
      const select = `SELECT ${stageSelectList(columns, fileTypes)} FROM read_parquet(${quoteLiteral(described.path)})`;
      return { output: readFailures(described, copyCsvOutput(db, select, { tempDir: workDir })), quarantined: async () => [] };
    }
    case 'csv': {
      const id = randomUUID().replaceAll('-', '');
      const rejects = { errors: `sluice_rejects_${id}`, scans: `sluice_scans_${id}` };
      const dialect = described.csv;
      if (!dialect) throw new Error(`${described.file.name} was described without its CSV dialect`);
      const source = csvSource(described.path, described.gzip, dialect, asStream, rejects);
      const select = `SELECT ${stageSelectList(columns, streamTypes)} FROM ${source}`;
      return {
        output: readFailures(described, copyCsvOutput(db, select, { tempDir: workDir })),
        quarantined: () => takeCsvRejects(db, rejects, described.path, described.gzip, described.file.name),
      };
    }
    case 'json':
      return stageJson(db, described, columns, asStream, streamTypes, workDir);
  }
}

function stageJson(
  db: DuckDB,
  described: DescribedFile,
  columns: readonly CanonicalColumn[],
  asStream: readonly FileColumn[],
  streamTypes: ReadonlyMap<string, string>,
  workDir: string,
): StagingFile {
  let quarantined: QuarantinedRow[] = [];
  const lines = described.jsonLines ?? true;
  const select = (file: string, gzip: boolean) =>
    `SELECT ${stageSelectList(columns, streamTypes)} FROM ${jsonSource(file, gzip, lines, asStream)}`;
  async function* output(): AsyncGenerator<Buffer> {
    try {
      // Buffered: a malformed line fails the COPY, and nothing of it may have been passed on.
      yield* copyCsvOutput(db, select(described.path, described.gzip), { tempDir: workDir, buffered: true });
      return;
    } catch (error) {
      if (!lines) throw readError(described, error);
      const clean = path.join(workDir, `${randomUUID()}.clean.ndjson`);
      quarantined = await splitJsonLines(described.path, described.gzip, clean, described.file.name);
      if (quarantined.length === 0) throw readError(described, error);
      yield* readFailures(described, copyCsvOutput(db, select(clean, false), { tempDir: workDir, buffered: true }));
    }
  }
  return { output: output(), quarantined: async () => quarantined };
}

async function* readFailures(described: DescribedFile, bytes: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* bytes;
  } catch (error) {
    throw readError(described, error);
  }
}

/** A failed read of one file, naming it; the query's own message says what was wrong. */
function readError(described: DescribedFile, error: unknown): SluiceError {
  if (isSluiceError(error) && error.code !== 'QUERY') return error;
  const detail = messageOf(error).split('\n')[0] ?? '';
  const typeMismatch = /convert|cast/i.test(detail);
  return new SluiceError('SOURCE_READ', `reading ${described.file.name} failed: ${detail}`, {
    hint: typeMismatch
      ? 'a value does not fit the type discovery chose for its column; give ?sample_size=-1 so types are detected from every row'
      : 'check the file; the message names the problem',
    cause: error,
    ...(isSluiceError(error) && error.sql !== undefined && { sql: error.sql }),
  });
}
