/**
 * A lake on S3-compatible storage (s3rver on 127.0.0.1), end to end through the library: staged
 * chunks of every canonical type → Iceberg table (append, append, replace) whose locations are
 * `s3://` URLs, read back by icebird over s3rver's HTTP and by DuckDB from the local file cache.
 * The prefix and the table name contain a space, so locations must round-trip unencoded.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationStream } from '../../src/destinations/destination.js';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import type { StorageLocation } from '../../src/storage/open-storage.js';
import { openStorage } from '../../src/storage/open-storage.js';
import type { S3rverHandle } from '../helpers/s3rver.js';
import { startS3rver } from '../helpers/s3rver.js';
import { ALL_TYPES, rowsBetween, stageChunk } from './lake-fixtures.js';
import {
  duckdbComparableSelect,
  expectedDuckdbRow,
  expectedIcebirdRecord,
  normaliseDuckdbRow,
} from './reader-expectations.js';

const BUCKET = 'sluice-lake';
const TABLE = { namespace: 'shop', name: 'all types' };

let s3: S3rverHandle;
let dir: string;
let lake: StorageLocation;
let control: string;
let cacheDir: string;
let destination: LakeDestination;
let removeFetch: () => void;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  removeFetch = s3.installFetch();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-s3-lake-'));
  lake = { url: `s3://${BUCKET}/ware house`, s3: s3.settings };
  control = `sqlite:${path.join(dir, 'control.db')}`;
  cacheDir = path.join(dir, 'cache');
  destination = new LakeDestination(lake, { control });
  await destination.check();
});

afterAll(async () => {
  removeFetch?.();
  await destination?.close();
  await s3?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function writeCommit(
  disposition: DestinationStream['disposition'],
  runId: string,
  chunks: readonly (readonly (string | null)[])[][],
) {
  const writer = await destination.openStream({
    ...TABLE,
    columns: ALL_TYPES,
    primaryKey: ['id'],
    disposition,
    runId,
  });
  for (const [index, rows] of chunks.entries()) await writer.write(await stageChunk(dir, index, rows));
  return writer.commit(null);
}

async function icebirdRows(): Promise<Record<string, unknown>[]> {
  const tableUrl = openStorage(lake).url(`${TABLE.namespace}/${TABLE.name}`);
  const rows = await icebergRead({ tableUrl });
  return rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
}

async function duckdbRows(): Promise<unknown[][]> {
  const result = await queryLake(
    lake,
    `SELECT ${duckdbComparableSelect()} FROM shop."all types" ORDER BY id`,
    {
      control,
      copies: { cacheDir },
    },
  );
  return result.rows.map(normaliseDuckdbRow);
}

/** GETs of this table's data files that s3rver has served. */
function dataFileGets(): number {
  return s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}/ware%20house/shop/all%20types/data/`)).length;
}

describe('a lake on S3 (s3rver)', () => {
  const first = [rowsBetween(1, 400), rowsBetween(401, 1000)];
  const second = [rowsBetween(1001, 1500)];
  const replacement = [rowsBetween(2001, 2300), rowsBetween(2301, 2305)];

  it('commits appends and a replace whose every location is an s3:// URL', async () => {
    expect(await writeCommit('append', 'run-1', first)).toMatchObject({ rowsWritten: 1000, filesWritten: 2 });
    expect(await writeCommit('append', 'run-2', second)).toMatchObject({ totalRows: 1500 });
    const catalog = LakeCatalog.open(lake, { control });
    try {
      const table = await catalog.loadTable(TABLE);
      expect(table.metadata.location).toBe(`s3://${BUCKET}/ware house/shop/all types`);
      const files = await catalog.dataFiles(table);
      expect(
        files.map((file) => file.url.startsWith(`s3://${BUCKET}/ware house/shop/all types/data/`)),
      ).toEqual([true, true, true]);
      expect(files.every((file) => file.localPath === null)).toBe(true);
    } finally {
      await catalog.close();
    }
  });

  it('reads back every value with icebird (over s3rver HTTP) and DuckDB (local copies)', async () => {
    const written = [...first.flat(), ...second.flat()];
    expect(await icebirdRows()).toEqual(written.map(expectedIcebirdRecord));
    expect(await duckdbRows()).toEqual(written.map(expectedDuckdbRow));
  });

  it('reuses cached copies, and fetches again a copy whose size is wrong', async () => {
    const before = dataFileGets();
    await duckdbRows();
    expect(dataFileGets()).toBe(before);

    const copies = (await fs.readdir(cacheDir, { recursive: true })).filter((f) => f.endsWith('.parquet'));
    expect(copies).toHaveLength(3);
    await fs.truncate(path.join(cacheDir, copies[0]!), 10);
    const written = [...first.flat(), ...second.flat()];
    expect(await duckdbRows()).toEqual(written.map(expectedDuckdbRow));
    expect(dataFileGets()).toBe(before + 1);
  });

  it('replaces the content; icebird and DuckDB see only the new rows', async () => {
    expect(await writeCommit('replace', 'run-3', replacement)).toMatchObject({
      rowsWritten: 305,
      totalRows: 305,
    });
    const written = replacement.flat();
    expect(await icebirdRows()).toEqual(written.map(expectedIcebirdRecord));
    expect(await duckdbRows()).toEqual(written.map(expectedDuckdbRow));
  });

  it('an aborted stream leaves no data file behind', async () => {
    const storage = openStorage(lake);
    const before = await storage.list('shop/all types/data/');
    const writer = await destination.openStream({
      ...TABLE,
      columns: ALL_TYPES,
      primaryKey: ['id'],
      disposition: 'append',
      runId: 'run-aborted',
    });
    await writer.write(await stageChunk(dir, 0, rowsBetween(1, 50)));
    await writer.write(await stageChunk(dir, 1, rowsBetween(51, 100)));
    await writer.abort();
    expect(await storage.list('shop/all types/data/')).toEqual(before);
  });
});
