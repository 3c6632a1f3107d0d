/**
 * Staging one described file: DuckDB reads it with the stream's column types and writes the
 * stage dialect (canonical text per column, `stageSelectList`); the bytes stream out while
 * DuckDB writes them. A CSV file's quarantined rows are known once its bytes are exhausted; a
 * JSON file's were found by discovery (describe-file.ts). `fileRead` is the query itself, which
 * `stage-parquet.ts` writes as Parquet chunks instead.
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

/** The query reading one file's loadable rows, and how to collect its bad ones. */
export interface FileRead {
  /** `SELECT <select list> FROM <the file's reader>`. */
  select: string;
  /** Its quarantined rows; call after the query has run (once). */
  quarantined(): Promise<QuarantinedRow[]>;
}

/** How a file's columns become the SELECT list (`stageSelectList`, `typedSelectList`). */
export type SelectList = (
  columns: readonly CanonicalColumn[],
  fileTypes: ReadonlyMap<string, string>,
) => string;

export function stageFile(
  db: DuckDB,
  described: DescribedFile,
  columns: readonly CanonicalColumn[],
  workDir: string,
): StagingFile {
  const read = fileRead(db, described, columns, stageSelectList);
  if (!read) return { output: (async function* () {})(), quarantined: async () => [] };
  return {
    output: readFailures(described.file.name, copyCsvOutput(db, read.select, { tempDir: workDir })),
    quarantined: read.quarantined,
  };
}

/**
 * The read of `described` as the stream's `columns`, each rendered by `selectList`; null when
 * the file has nothing to read (empty, or no columns).
 */
export function fileRead(
  db: DuckDB,
  described: DescribedFile,
  columns: readonly CanonicalColumn[],
  selectList: SelectList,
): FileRead | null {
  const types = new Map(columns.map((c) => [c.name, c.sourceType]));
  // The file's columns typed as the stream has them: DuckDB then parses straight to that type.
  const asStream = described.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? c.type }));
  const streamTypes = new Map(asStream.map((c) => [c.name, c.type]));
  if (described.file.size === 0 || described.columns.length === 0) return null;
  switch (described.format.kind) {
    case 'parquet': {
      const fileTypes = new Map(described.columns.map((c) => [c.name, c.type]));
      const select = `SELECT ${selectList(columns, fileTypes)} FROM read_parquet(${quoteLiteral(described.path)})`;
      return { select, quarantined: async () => [] };
    }
    case 'csv': {
      const id = randomUUID().replaceAll('-', '');
      const rejects = { errors: `sluice_rejects_${id}`, scans: `sluice_scans_${id}` };
      const dialect = described.csv;
      if (!dialect) throw new Error(`${described.file.name} was described without its CSV dialect`);
      const source = csvSource(described.path, described.gzip, dialect, asStream, rejects);
      return {
        select: `SELECT ${selectList(columns, streamTypes)} FROM ${source}`,
        quarantined: () => takeCsvRejects(db, rejects, described.path, described.gzip, described.file.name),
      };
    }
    case 'json': {
      const lines = described.jsonLines ?? true;
      const select = `SELECT ${selectList(columns, streamTypes)} FROM ${jsonSource(described.path, described.gzip, lines, asStream)}`;
      return { select, quarantined: async () => described.quarantined ?? [] };
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
