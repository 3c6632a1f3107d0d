/**
 * The cases every source connector must pass, run against a connector factory (like dbt's
 * adapter tests): check, discovery of known tables with keys, reads whose chunks hold exactly the
 * table's rows, chunk splitting only at row ends, early stop, safe double close, unknown tables
 * and unsupported modes. Staged files are decoded by DuckDB, an independent CSV reader.
 *
 * Call it inside a describe block whose beforeAll prepares the data; `create` runs per case.
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, SourceCapabilities } from '../../src/connectors/connector.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { StagedChunk, StreamPlan, StreamSchema } from '../../src/core/stream.js';

export interface SourceConformanceOptions {
  /** Creates a connector for one case; called after the caller's beforeAll. */
  create: () => Connector;
  /** What the connector's definition declares. */
  capabilities: SourceCapabilities;
  /** Tables discovery must find, with their primary keys and exact row counts. */
  knownTables: Readonly<Record<string, { primaryKey: string[]; rows: number }>>;
  /** A known table big enough to split into at least three chunks of `chunkBytes`. */
  splitTable: { name: string; chunkBytes: number };
}

/** Decodes staged chunk files with DuckDB: every field as text, NULL kept apart from ''. */
export async function decodeStagedCsv(
  duckdb: DuckDBConnection,
  paths: readonly string[],
  columnCount: number,
): Promise<(string | null)[][]> {
  const files = paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ');
  const columns = Array.from({ length: columnCount }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const reader = await duckdb.runAndReadAll(
    `SELECT * FROM read_csv([${files}], header = false, auto_detect = false, delim = ',', quote = '"',
       escape = '"', new_line = '\\n', allow_quoted_nulls = false, columns = {${columns}})`,
  );
  return reader.getRowsJson() as (string | null)[][];
}

/** Bytes of the longest row of a staged file (newline included), by a plain walk over its bytes. */
async function longestRowBytes(file: string): Promise<number> {
  const bytes = await readFile(file);
  let longest = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x22) quoted = !quoted;
    else if (bytes[i] === 0x0a && !quoted) {
      longest = Math.max(longest, i + 1 - start);
      start = i + 1;
    }
  }
  return longest;
}

/** A full-read plan for a discovered stream. */
export function fullPlan(schema: StreamSchema, stageDir: string, chunkBytes: number): StreamPlan {
  return {
    schema,
    mode: 'full',
    primaryKey: schema.primaryKey,
    disposition: 'replace',
    stageDir,
    chunkBytes,
  };
}

/** Reads a stream to the end and returns its chunks. */
export async function readAll(connector: Connector, plan: StreamPlan): Promise<StagedChunk[]> {
  const chunks: StagedChunk[] = [];
  for await (const chunk of connector.read(plan, null)) chunks.push(chunk);
  return chunks;
}

export function sourceConformance(options: SourceConformanceOptions): void {
  describe('source conformance', () => {
    let duckdbInstance: DuckDBInstance;
    let duckdb: DuckDBConnection;
    let connector: Connector;
    let streams: StreamSchema[];
    let stageRoot: string;

    const stream = (name: string): StreamSchema => {
      const found = streams.find((s) => s.name === name);
      if (!found) throw new Error(`discovery did not find ${name}`);
      return found;
    };
    const stageDir = () => mkdtemp(path.join(stageRoot, 'stream-'));

    beforeAll(async () => {
      duckdbInstance = await DuckDBInstance.create(':memory:');
      duckdb = await duckdbInstance.connect();
      stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-conformance-'));
      connector = options.create();
      streams = await connector.discover();
    });

    afterAll(async () => {
      await connector?.close();
      duckdb?.closeSync();
      duckdbInstance?.closeSync();
      if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
    });

    it('check() succeeds', async () => {
      await expect(connector.check()).resolves.toBeUndefined();
    });

    it('discover() finds the known tables with their primary keys', () => {
      for (const [name, table] of Object.entries(options.knownTables)) {
        const schema = stream(name);
        expect(schema.primaryKey, name).toEqual(table.primaryKey);
        expect(schema.columns.length, name).toBeGreaterThan(0);
        for (const key of table.primaryKey) {
          expect(schema.columns.find((c) => c.name === key)?.nullable, `${name}.${key}`).toBe(false);
        }
      }
    });

    it('read() stages exactly the rows of every table, in files that match their chunk', async () => {
      for (const [name, table] of Object.entries(options.knownTables)) {
        const schema = stream(name);
        const chunks = await readAll(connector, fullPlan(schema, await stageDir(), 64 * 1024 * 1024));
        expect(
          chunks.map((c) => c.index),
          name,
        ).toEqual(chunks.map((_, i) => i));
        expect(
          chunks.reduce((sum, c) => sum + c.rows, 0),
          name,
        ).toBe(table.rows);
        for (const chunk of chunks) {
          expect((await stat(chunk.path)).size, chunk.path).toBe(chunk.bytes);
          expect(chunk.position).toBeNull();
          // The loader sizes its read buffers by it: it must never under-report.
          if (chunk.maxRowBytes !== undefined) {
            expect(chunk.maxRowBytes, chunk.path).toBe(await longestRowBytes(chunk.path));
          }
        }
        const decoded = chunks.length
          ? await decodeStagedCsv(
              duckdb,
              chunks.map((c) => c.path),
              schema.columns.length,
            )
          : [];
        expect(decoded.length, `${name} decoded by DuckDB`).toBe(table.rows);
      }
    });

    it('splits at small chunkBytes only at row ends, and the chunks concatenate to the unsplit read', async () => {
      const { name, chunkBytes } = options.splitTable;
      const schema = stream(name);
      const whole = await readAll(connector, fullPlan(schema, await stageDir(), 1024 * 1024 * 1024));
      expect(whole).toHaveLength(1);
      const chunks = await readAll(connector, fullPlan(schema, await stageDir(), chunkBytes));
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const chunk of chunks.slice(0, -1)) expect(chunk.bytes).toBeGreaterThanOrEqual(chunkBytes);
      // Each file decodes on its own to exactly its rows: no row is split across files.
      for (const chunk of chunks) {
        const rows = await decodeStagedCsv(duckdb, [chunk.path], schema.columns.length);
        expect(rows.length, chunk.path).toBe(chunk.rows);
      }
      const joined = Buffer.concat(await Promise.all(chunks.map((c) => readFile(c.path))));
      expect(joined.equals(await readFile(whole[0]?.path ?? ''))).toBe(true);
    });

    it('stopping a read early leaves only the yielded chunk and the connector usable', async () => {
      const { name, chunkBytes } = options.splitTable;
      const dir = await stageDir();
      for await (const chunk of connector.read(fullPlan(stream(name), dir, chunkBytes), null)) {
        expect(chunk.index).toBe(0);
        break;
      }
      expect(await readdir(dir)).toEqual(['chunk-000000.csv']);
      await expect(connector.check()).resolves.toBeUndefined();
    });

    it('read() of an unknown table fails with SOURCE_NOT_FOUND naming it', async () => {
      const missing: StreamSchema = {
        ...stream(options.splitTable.name),
        name: 'sluice_no_such_table',
      };
      const error = await readAll(connector, fullPlan(missing, await stageDir(), 1024)).catch(
        (e: unknown) => e,
      );
      expect(isSluiceError(error, 'SOURCE_NOT_FOUND'), String(error)).toBe(true);
      expect((error as Error).message).toContain('sluice_no_such_table');
    });

    it('modes the source cannot do fail with NOT_SUPPORTED and a hint', async (context) => {
      if (options.capabilities.incremental && options.capabilities.cdc) {
        context.skip('the source supports every mode');
      }
      const mode = options.capabilities.incremental ? 'cdc' : 'incremental';
      const plan = { ...fullPlan(stream(options.splitTable.name), await stageDir(), 1024), mode } as const;
      const error = await readAll(connector, plan).catch((e: unknown) => e);
      expect(isSluiceError(error, 'NOT_SUPPORTED'), String(error)).toBe(true);
      expect((error as { hint?: string }).hint).toBeTruthy();
    });

    it('close() is safe to call twice', async () => {
      const own = options.create();
      await own.check();
      await own.close();
      await expect(own.close()).resolves.toBeUndefined();
    });
  });
}
