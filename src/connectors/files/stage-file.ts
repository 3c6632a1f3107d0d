/**
 * Staging one described file: DuckDB reads it with the stream's column types and writes the
 * stage dialect (canonical text per column, `stageSelectList`); the bytes stream out while
 * DuckDB writes them. A CSV file's quarantined rows are known once its bytes are exhausted; a
 * JSON file's were found by discovery (describe-file.ts).
 */
import { randomUUID } from 'node:crypto';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { QuarantinedRow } from '../../core/quarantine.js';
import { copyCsvOutput } from '../../engine/copy-stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import { csvSource, takeCsvRejects } from './csv-file.js';
import type { DescribedFile } from './described-file.js';
import { fileReadError } from './files-errors.js';
import { stageSelectList } from './files-types.js';
import { jsonSource } from './json-file.js';

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
  const output = (select: string) =>
    readFailures(described.file.name, copyCsvOutput(db, select, { tempDir: workDir }));
  if (described.file.size === 0 || described.columns.length === 0) {
    return { output: (async function* () {})(), quarantined: async () => [] };
  }
  switch (described.format.kind) {
    case 'parquet': {
      const fileTypes = new Map(described.columns.map((c) => [c.name, c.type]));
      const select = `SELECT ${stageSelectList(columns, fileTypes)} FROM read_parquet(${quoteLiteral(described.path)})`;
      return { output: output(select), quarantined: async () => [] };
    }
    case 'csv': {
      const id = randomUUID().replaceAll('-', '');
      const rejects = { errors: `sluice_rejects_${id}`, scans: `sluice_scans_${id}` };
      const dialect = described.csv;
      if (!dialect) throw new Error(`${described.file.name} was described without its CSV dialect`);
      const source = csvSource(described.path, described.gzip, dialect, asStream, rejects);
      const select = `SELECT ${stageSelectList(columns, streamTypes)} FROM ${source}`;
      return {
        output: output(select),
        quarantined: () => takeCsvRejects(db, rejects, described.path, described.gzip, described.file.name),
      };
    }
    case 'json': {
      const lines = described.jsonLines ?? true;
      const select = `SELECT ${stageSelectList(columns, streamTypes)} FROM ${jsonSource(described.path, described.gzip, lines, asStream)}`;
      return { output: output(select), quarantined: async () => described.quarantined ?? [] };
    }
  }
}

async function* readFailures(name: string, bytes: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* bytes;
  } catch (error) {
    throw fileReadError(name, error);
  }
}
