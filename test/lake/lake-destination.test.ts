/**
 * End to end through the lake destination: staged chunks of every canonical type → Iceberg
 * table (append, append, replace), then read back by an independent reader (icebird), by
 * DuckDB through the lake views, and through the catalog's history — on local disk and on s3rver
 * (test-lakes.ts). The local root has a space and a `#` in its path and the table a space in its
 * name, so every location must be a correctly percent-encoded file:// URL (or a literal s3:// one).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { DestinationStream } from '../../src/destinations/destination.js';
import { readManifest, readManifestList } from '../../src/lake/manifest-io.js';
import { currentSnapshot } from '../../src/lake/table-metadata.js';
import { ALL_TYPES, ALL_TYPES_DUCKDB_TYPES, rowsBetween, stageChunk } from './lake-fixtures.js';
import {
  duckdbComparableSelect,
  expectedDuckdbRow,
  expectedIcebirdRecord,
  normaliseDuckdbRow,
} from './reader-expectations.js';
import { LAKE_STORAGES, useTestLake } from './test-lakes.js';

const TABLE = { namespace: 'shop', name: 'all types' };
const VIEW = 'shop."all types"';

let stageDir: string;

beforeAll(async () => {
  stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
});

afterAll(async () => {
  await fs.rm(stageDir, { recursive: true, force: true });
});

describe.each(LAKE_STORAGES)('on %s', (storage) => {
  const lake = useTestLake(storage, 'lake #');

  function stream(
    disposition: DestinationStream['disposition'],
    runId: string,
    columns = ALL_TYPES,
  ): DestinationStream {
    return { ...TABLE, columns, primaryKey: ['id'], disposition, runId };
  }

  async function writeCommit(
    disposition: DestinationStream['disposition'],
    runId: string,
    chunks: readonly (readonly (string | null)[])[][],
    cursor: number,
  ) {
    const writer = await lake.destination.openStream(stream(disposition, runId));
    for (const [index, rows] of chunks.entries()) await writer.write(await stageChunk(stageDir, index, rows));
    return writer.commit({ cursor });
  }

  function tableUrl(): string {
    return lake.tableUrl(`${TABLE.namespace}/${TABLE.name}`);
  }

  async function icebirdRows(metadataFileName?: string): Promise<Record<string, unknown>[]> {
    const rows = await icebergRead({
      tableUrl: tableUrl(),
      ...(metadataFileName ? { metadataFileName } : {}),
    });
    return rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
  }

  async function duckdbRows(): Promise<unknown[][]> {
    const result = await lake.query(`SELECT ${duckdbComparableSelect()} FROM ${VIEW} ORDER BY id`);
    return result.rows.map(normaliseDuckdbRow);
  }

  describe('lake destination: append, append, replace', () => {
    const first = [rowsBetween(1, 400), rowsBetween(401, 1000)];
    const second = [rowsBetween(1001, 1500)];
    const replacement = [rowsBetween(2001, 2300), rowsBetween(2301, 2305)];
    const ids: string[] = [];

    it('appends two chunks as one snapshot that creates the table', async () => {
      const result = await writeCommit('append', 'run-1', first, 10);
      expect(result).toMatchObject({ rowsWritten: 1000, filesWritten: 2, totalRows: 1000 });
      expect(result.bytesWritten).toBeGreaterThan(0);
      ids.push(result.snapshotId);
      const text = (await lake.storage.read('shop/all types/metadata/version-hint.text')).toString('utf8');
      expect(text).toBe('1');
    });

    it('reads back every value of the first commit with icebird and DuckDB', async () => {
      const written = first.flat();
      expect(await icebirdRows()).toEqual(written.map(expectedIcebirdRecord));
      expect(await duckdbRows()).toEqual(written.map(expectedDuckdbRow));
    });

    it('appends a second snapshot on top', async () => {
      const result = await writeCommit('append', 'run-2', second, 20);
      expect(result).toMatchObject({ rowsWritten: 500, filesWritten: 1, totalRows: 1500 });
      ids.push(result.snapshotId);
      const written = [...first.flat(), ...second.flat()];
      expect(await icebirdRows()).toEqual(written.map(expectedIcebirdRecord));
      expect(await duckdbRows()).toEqual(written.map(expectedDuckdbRow));
    });

    it('replaces the content with an overwrite snapshot', async () => {
      const result = await writeCommit('replace', 'run-3', replacement, 30);
      expect(result).toMatchObject({ rowsWritten: 305, filesWritten: 2, totalRows: 305 });
      ids.push(result.snapshotId);
      const written = replacement.flat();
      expect(await icebirdRows()).toEqual(written.map(expectedIcebirdRecord));
      expect(await duckdbRows()).toEqual(written.map(expectedDuckdbRow));
    });

    it('lists the old files as DELETED with their sequence numbers and keeps them on disk', async () => {
      const catalog = lake.catalog();
      const table = await catalog.loadTable(TABLE);
      const overwrite = currentSnapshot(table.metadata)!;
      const entries = [];
      for (const manifest of await readManifestList(catalog.storage, overwrite)) {
        entries.push(
          ...(await readManifest(catalog.storage, manifest)).map((entry) => ({ entry, manifest })),
        );
      }
      const deleted = entries.filter(({ entry }) => entry.status === 2);
      const added = entries.filter(({ entry }) => entry.status === 1);
      expect(deleted.map(({ entry }) => [entry.sequence_number, entry.file_sequence_number]).sort()).toEqual([
        [1, 1],
        [1, 1],
        [2, 2],
      ]);
      expect(added).toHaveLength(2);
      expect(
        added.every(
          ({ entry, manifest }) => entry.sequence_number === null && manifest.sequence_number === 3,
        ),
      ).toBe(true);

      const oldFiles = await catalog.dataFiles(table, ids[1]);
      expect(oldFiles.map((file) => file.records).sort((a, b) => a - b)).toEqual([400, 500, 600]);
      for (const file of oldFiles) expect(await lake.storage.exists(lake.storage.keyOf(file.url))).toBe(true);
      expect((await catalog.dataFiles(table)).map((file) => file.records).sort((a, b) => a - b)).toEqual([
        5, 300,
      ]);
    });

    it('still reads the older snapshot (time travel through its metadata file)', async () => {
      const written = [...first.flat(), ...second.flat()];
      expect(await icebirdRows('v2.metadata.json')).toEqual(written.map(expectedIcebirdRecord));
    });

    it('shows every snapshot in history with its run id and source position', async () => {
      const history = await lake.catalog().history(TABLE);
      expect(history.map((entry) => entry.snapshotId)).toEqual(ids);
      expect(
        history.map((entry) => [entry.operation, entry.runId, entry.sourcePosition, entry.isCurrent]),
      ).toEqual([
        ['append', 'run-1', { cursor: 10 }, false],
        ['append', 'run-2', { cursor: 20 }, false],
        ['overwrite', 'run-3', { cursor: 30 }, true],
      ]);
      expect(history.map((entry) => entry.parentId)).toEqual([null, ids[0], ids[1]]);
      expect(history.map((entry) => [entry.addedRecords, entry.totalRecords])).toEqual([
        [1000, 1000],
        [500, 1500],
        [305, 305],
      ]);
      expect(await lake.catalog().lastPosition(TABLE)).toEqual({ cursor: 30 });
    });

    it('lists the table with its current totals', async () => {
      const tables = await lake.catalog().listTables();
      const summary = tables.find((table) => table.name === TABLE.name)!;
      expect(summary).toMatchObject({
        namespace: 'shop',
        snapshotId: ids[2],
        totalRecords: 305,
        dataFiles: 2,
      });
      const sizes = await lake.catalog().dataFiles(await lake.catalog().loadTable(TABLE));
      expect(summary.totalBytes).toBe(sizes.reduce((sum, file) => sum + file.bytes, 0));
    });

    it('records exact file sizes and column bounds in the manifest', async () => {
      const catalog = lake.catalog();
      const table = await catalog.loadTable(TABLE);
      const [manifest] = await readManifestList(catalog.storage, currentSnapshot(table.metadata)!);
      const files = (await readManifest(catalog.storage, manifest!)).map((entry) => entry.data_file);
      const small = files.find((file) => file.record_count === 5)!;
      expect(small.file_size_in_bytes).toBe((await fs.stat(await lake.localFile(small.file_path))).size);
      const idBound = (bounds: typeof small.lower_bounds) =>
        bounds!.find((entry) => entry.key === 1)!.value.readBigInt64LE();
      expect([idBound(small.lower_bounds), idBound(small.upper_bounds)]).toEqual([2301n, 2305n]);
      expect(small.value_counts!.find((entry) => entry.key === 1)!.value).toBe(5);
      const header = (await catalog.storage.read(catalog.storage.keyOf(manifest!.manifest_path)))
        .subarray(0, 4096)
        .toString('latin1');
      expect(header).toContain('"field-id":100');
      expect(header).toContain('"element-id":133');
    });
  });

  describe('lake destination: schemas, empty streams, failures', () => {
    const columns = (names: string[]): CanonicalColumn[] =>
      names.map((name) => ({ name, type: { kind: 'int64' }, nullable: true, sourceType: 'bigint' }));

    async function commitTable(
      name: string,
      disposition: DestinationStream['disposition'],
      cols: CanonicalColumn[],
      rows: string[][],
      schemaPolicy: DestinationStream['schemaPolicy'] = 'evolve',
    ) {
      const writer = await lake.destination.openStream({
        namespace: 'misc',
        name,
        columns: cols,
        primaryKey: [],
        disposition,
        schemaPolicy,
        runId: 'r',
      });
      if (rows.length > 0) await writer.write(await stageChunk(stageDir, 0, rows));
      return writer.commit(null);
    }

    it('creates an empty table with its schema from a stream with no chunks', async () => {
      const result = await commitTable('empty', 'append', ALL_TYPES, []);
      expect(result).toMatchObject({ rowsWritten: 0, filesWritten: 0, totalRows: 0 });
      const query = await lake.query('SELECT * FROM misc.empty');
      expect(query.columns).toEqual(ALL_TYPES.map((column) => column.name));
      expect(query.rows).toEqual([]);
      const types = await lake.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'empty' ORDER BY ordinal_position",
      );
      expect(types.rows.map((row) => row[0])).toEqual(ALL_TYPES_DUCKDB_TYPES);
      const listed = (await lake.catalog().listTables()).find((table) => table.name === 'empty');
      expect(listed).toMatchObject({ totalRecords: 0, dataFiles: 0 });
    });

    it('refuses to append different columns to a frozen schema and names them', async () => {
      await commitTable('evolving', 'append', columns(['a', 'b']), [['1', '2']]);
      const error = await commitTable(
        'evolving',
        'append',
        columns(['a', 'c']),
        [['3', '4']],
        'freeze',
      ).catch((e: unknown) => e);
      expect(isSluiceError(error, 'SCHEMA_CHANGE')).toBe(true);
      expect((error as Error).message).toContain('"c" is new');
      expect((error as Error).message).toContain('"b" is missing');
    });

    it('accepts an append with the same columns in another order', async () => {
      await commitTable('evolving', 'append', columns(['b', 'a']), [['20', '10']]);
      const result = await lake.query('SELECT a, b FROM misc.evolving ORDER BY a');
      expect(result.rows).toEqual([
        [1n, 2n],
        [10n, 20n],
      ]);
    });

    it('lets replace bring a new schema, keeping field ids of unchanged columns', async () => {
      await commitTable('evolving', 'replace', columns(['a', 'c']), [['5', '6']]);
      const table = await lake.catalog().loadTable({ namespace: 'misc', name: 'evolving' });
      expect(table.metadata.schemas.map((schema) => schema['schema-id'])).toEqual([0, 1]);
      expect(table.metadata['current-schema-id']).toBe(1);
      expect(table.metadata.schemas[1]!.fields.map((field) => [field.name, field.id])).toEqual([
        ['a', 1],
        ['c', 3],
      ]);
      expect((await lake.query('SELECT * FROM misc.evolving')).rows).toEqual([[5n, 6n]]);
    });

    it('refuses merge without a primary key, with a hint', async () => {
      const error = await lake.destination
        .openStream({ ...stream('merge', 'r'), name: 'merged', primaryKey: [] })
        .catch((e: unknown) => e);
      expect(isSluiceError(error, 'USAGE')).toBe(true);
      expect((error as { hint: string }).hint).toContain('--primary-key');
    });

    it('aborts: written files are deleted and nothing becomes visible', async () => {
      const writer = await lake.destination.openStream({
        namespace: 'misc',
        name: 'aborted',
        columns: columns(['a']),
        primaryKey: [],
        disposition: 'append',
        runId: 'r',
      });
      await writer.write(await stageChunk(stageDir, 0, [['1'], ['2']]));
      // On S3 the file uploads in the background while the next chunk converts: wait until it is there.
      await vi.waitFor(
        async () =>
          expect(
            (await lake.objects('misc/aborted/data/')).filter((name) => name.endsWith('.parquet')),
          ).toHaveLength(1),
        { timeout: 10_000 },
      );
      await writer.abort();
      expect(await lake.objects('misc/aborted/data/')).toEqual([]);
      expect(await lake.objects('misc/aborted/metadata/')).toEqual([]);
    });

    it('fails a malformed chunk and a value that is not canonical', async () => {
      const writer = await lake.destination.openStream({
        namespace: 'misc',
        name: 'bad',
        columns: columns(['a', 'b']),
        primaryKey: [],
        disposition: 'append',
        runId: 'r',
      });
      const ragged = await stageChunk(stageDir, 0, [['1', '2']]);
      await fs.appendFile(ragged.path, '3\n');
      await expect(writer.write({ ...ragged, rows: 2 })).rejects.toMatchObject({ code: 'QUERY' });
      await expect(writer.write(await stageChunk(stageDir, 1, [['1.5', '2']]))).rejects.toThrow(
        /not an integer/,
      );
      await expect(
        writer.write({ ...(await stageChunk(stageDir, 2, [['1', '2']])), rows: 3 }),
      ).rejects.toMatchObject({
        code: 'DESTINATION_WRITE',
      });
      await writer.abort();
      expect(
        (await lake.objects('misc/bad/data/')).filter((name) => !path.posix.basename(name).startsWith('.')),
      ).toEqual([]);
    });
  });
});
