/**
 * Reading a file source the way the run does (discover, then a full or incremental read into a
 * stage directory) and decoding what it staged with DuckDB, an independent CSV reader: the data
 * rows and the quarantined rows, as canonical text, for row-by-row comparison.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Connector } from '../../src/connectors/connector.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import type {
  SourcePosition,
  StagedChunk,
  StreamPlan,
  StreamSchema,
  SyncMode,
} from '../../src/core/stream.js';
import { decodeStagedCsv } from '../conformance/source-conformance.js';

/** What one read of a file source staged. */
export interface FileSourceRead {
  /** The discovered stream. */
  schema: StreamSchema;
  /** Data rows as canonical text, in staged order. */
  rows: (string | null)[][];
  /** Quarantined rows: [file, line, reason, raw]. */
  quarantine: (string | null)[][];
  /** The chunks, for positions and counts. */
  chunks: StagedChunk[];
}

/** Discovers and reads the source at `url` (or an already made connector), then closes it. */
export async function readFileSource(
  source: string | Connector,
  options: { mode?: SyncMode; from?: SourcePosition | null; chunkBytes?: number } = {},
): Promise<FileSourceRead> {
  const connector = typeof source === 'string' ? connectorForUrl(source) : source;
  const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-test-'));
  const instance = await DuckDBInstance.create(':memory:');
  const duckdb = await instance.connect();
  try {
    const [schema] = await connector.discover();
    if (!schema) throw new Error('no stream discovered');
    const chunks: StagedChunk[] = [];
    const plan: StreamPlan = {
      schema,
      mode: options.mode ?? 'full',
      primaryKey: [],
      disposition: 'append',
      stageDir,
      chunkBytes: options.chunkBytes ?? 64 * 1024 * 1024,
    };
    for await (const chunk of connector.read(plan, options.from ?? null)) chunks.push(chunk);
    const data = chunks.filter((c) => c.rows > 0).map((c) => c.path);
    const quarantine = chunks.flatMap((c) => (c.quarantine ? [c.quarantine.path] : []));
    return {
      schema,
      rows: data.length > 0 ? await decodeStagedCsv(duckdb, data, schema.columns.length) : [],
      quarantine: quarantine.length > 0 ? await decodeStagedCsv(duckdb, quarantine, 4) : [],
      chunks,
    };
  } finally {
    duckdb.closeSync();
    instance.closeSync();
    if (typeof source === 'string') await connector.close();
    await rm(stageDir, { recursive: true, force: true });
  }
}

/** `{ name: kind }` of a stream's columns, for compact type assertions. */
export function columnKinds(schema: StreamSchema): Record<string, string> {
  return Object.fromEntries(
    schema.columns.map((c) => [
      c.name,
      c.type.kind === 'decimal' ? `decimal(${c.type.precision},${c.type.scale})` : c.type.kind,
    ]),
  );
}
