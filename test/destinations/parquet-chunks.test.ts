/**
 * Destinations loading the file source's typed Parquet chunks (`StagedChunk.format` `parquet`):
 * the lake (append and merge) and a DuckDB file hold exactly what the stage CSV of the same files
 * loads, value for value; PostgreSQL, which COPYs stage CSV, does not declare the format and
 * refuses such a chunk instead of misreading it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { StagedChunk, StagedFormat, StreamPlan, StreamSchema } from '../../src/core/stream.js';
import type { Destination, DestinationStream } from '../../src/destinations/destination.js';
import { destinationForUrl } from '../../src/destinations/registry.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);

let dir: string;
const at = (...parts: string[]) => path.join(dir, ...parts);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-parquet-chunks-'));
  await writeFile(
    at('orders.csv'),
    'id,price,ratio,name,at,day,ok\n' +
      '1,12.50,1e3,"a ""q""",2024-01-01 10:00:00+02,2024-01-01,true\n' +
      '2,0.125,NaN,"multi\nline",2024-06-30 23:59:59.123456+00,2024-02-29,false\n' +
      '3,,-0.0,"",,,\n' +
      '4,-7,inf,plain,1999-12-31 23:00:00-05:30,1999-12-31,true\n' +
      '2,99.5,0.5,updated,2025-01-01 00:00:00+00,2025-01-01,true\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The file source's chunks of orders.csv, staged as `formats` allow, and its schema. */
async function stage(formats: readonly StagedFormat[] | undefined): Promise<{
  schema: StreamSchema;
  chunks: StagedChunk[];
}> {
  const connector = connectorForUrl(`file:${at('orders.csv')}`);
  try {
    const [schema] = await connector.discover();
    if (!schema) throw new Error('no stream');
    const plan: StreamPlan = {
      schema,
      mode: 'full',
      primaryKey: [],
      disposition: 'append',
      stageDir: await mkdtemp(path.join(dir, 'stage-')),
      chunkBytes: 64 * 1024 * 1024,
      ...(formats && { stagedFormats: formats }),
    };
    const chunks: StagedChunk[] = [];
    for await (const chunk of connector.read(plan, null)) chunks.push(chunk);
    return { schema, chunks };
  } finally {
    await connector.close();
  }
}

/** Writes the chunks staged as `formats` allow into table `name` of `destination` and commits. */
async function load(
  destination: Destination,
  name: string,
  formats: readonly StagedFormat[] | undefined,
  settings: Partial<DestinationStream> = {},
): Promise<StagedChunk[]> {
  const { schema, chunks } = await stage(formats);
  const writer = await destination.openStream({
    namespace: 'files',
    name,
    columns: schema.columns,
    primaryKey: [],
    disposition: 'append',
    runId: 'run_test',
    ...settings,
  });
  try {
    for (const chunk of chunks) await writer.write(chunk);
    await writer.commit(null);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return chunks;
}

const ORDERED = 'ORDER BY id, name';
/** Every value as DuckDB's text, so types and values both count. */
const ROW_TEXT = `SELECT CAST(whole_row AS VARCHAR) AS r FROM (SELECT * FROM files.%T ${ORDERED}) whole_row`;

describe('Parquet chunks into the lake and DuckDB', () => {
  it('the lake: append and merge hold what the stage CSV loads', async () => {
    const lake = at('lake');
    const destination = destinationForUrl(`lake:${lake}`);
    try {
      const parquet = await load(destination, 'from_parquet', ['csv', 'parquet']);
      expect(parquet.filter((c) => c.rows > 0).map((c) => c.format)).toEqual(['parquet']);
      await load(destination, 'from_csv', undefined);
      const merge = { primaryKey: ['id'], disposition: 'merge' as const };
      await load(destination, 'merged_parquet', ['parquet'], merge);
      await load(destination, 'merged_csv', undefined, merge);
    } finally {
      await destination.close();
    }
    const rows = async (table: string) =>
      (await queryLake(lake, ROW_TEXT.replace('%T', table))).rows.map((row) => String(row[0]));
    const fromCsv = await rows('from_csv');
    expect(fromCsv).toHaveLength(5);
    expect(await rows('from_parquet')).toEqual(fromCsv);
    const mergedCsv = await rows('merged_csv');
    // Rows 2 collapse into one (the later one wins in both).
    expect(mergedCsv).toHaveLength(4);
    expect(await rows('merged_parquet')).toEqual(mergedCsv);
  });

  it('a DuckDB file holds what the stage CSV loads', async () => {
    const file = at('target.duckdb');
    const destination = destinationForUrl(`duckdb:${file}`);
    try {
      await load(destination, 'from_parquet', ['csv', 'parquet']);
      await load(destination, 'from_csv', undefined);
    } finally {
      await destination.close();
    }
    const db = await openDuckDB({ path: file });
    try {
      const rows = async (table: string) =>
        (await db.queryJson(ROW_TEXT.replace('%T', table))).map((row) => String(row[0]));
      const fromCsv = await rows('from_csv');
      expect(fromCsv).toHaveLength(5);
      expect(await rows('from_parquet')).toEqual(fromCsv);
    } finally {
      db.close();
    }
  });
});

describe.skipIf(!pgUp)('Parquet chunks and PostgreSQL', () => {
  it('declares stage CSV only, and refuses a Parquet chunk before loading anything', async () => {
    const target = await createTestDatabase('parquet_chunks_dest');
    const destination = destinationForUrl(target.url);
    try {
      expect(destination.capabilities?.stagedFormats ?? ['csv']).toEqual(['csv']);
      const error = await load(destination, 'from_parquet', ['parquet']).catch((e: unknown) => e);
      expect(isSluiceError(error, 'NOT_SUPPORTED')).toBe(true);
      expect(String((error as Error).message)).toMatch(/PostgreSQL loads stage CSV chunks, not parquet ones/);
      await load(destination, 'from_csv', ['csv']);
    } finally {
      await destination.close();
      await target.drop();
    }
  });
});
