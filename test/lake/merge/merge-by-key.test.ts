/**
 * Merge by primary key into real lake tables, read back with icebird and DuckDB and compared row
 * by row with the state the changes should leave: upserts, hard deletes from a change stream,
 * the last change of a key winning within a batch, soft deletes, copy-on-write touching only the
 * files that hold a changed key (the others stay referenced), a partitioned table, and refusals
 * that leave the table at its last snapshot. Every case runs on local disk and on s3rver
 * (test-lakes.ts).
 */
import { icebergRead } from 'icebird';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/core/errors.js';
import { parsePartitionBy } from '../../../src/core/partition-fields.js';
import type { CommitResult, DestinationStream } from '../../../src/destinations/destination.js';
import { liveFiles, readManifest, readManifestList } from '../../../src/lake/manifest-io.js';
import { currentSnapshot } from '../../../src/lake/table-metadata.js';
import { ALL_TYPES, rowText, rowsBetween, textMicros } from '../lake-fixtures.js';
import {
  duckdbComparableSelect,
  expectedDuckdbRow,
  expectedIcebirdRecord,
  normaliseDuckdbRow,
} from '../reader-expectations.js';
import type { StagedRows } from '../stream-writes.js';
import { writeStream } from '../stream-writes.js';
import { LAKE_STORAGES, useTestLake } from '../test-lakes.js';

type Row = (string | null)[];

/** Row `id` with the values of row `from` (a changed row). */
const changed = (id: number, from: number): Row => [String(id), ...rowText(from).slice(1)];
const upsert = (row: Row): Row => [...row, 'u'];
const remove = (id: number): Row => [String(id), ...ALL_TYPES.slice(1).map(() => null), 'd'];

describe.each(LAKE_STORAGES)('on %s', (storage) => {
  const lake = useTestLake(storage, 'merge');

  function stream(name: string, extra: Partial<DestinationStream> = {}) {
    return {
      namespace: 'm',
      name,
      columns: ALL_TYPES,
      primaryKey: ['id'],
      disposition: 'merge' as const,
      ...extra,
    };
  }

  async function merge(
    name: string,
    chunks: readonly StagedRows[],
    extra: Partial<DestinationStream> = {},
  ): Promise<CommitResult> {
    return writeStream(lake.destination, stream(name, extra), chunks, { operations: true });
  }

  async function icebirdRows(name: string): Promise<Record<string, unknown>[]> {
    const rows = await icebergRead({ tableUrl: lake.tableUrl(`m/${name}`) });
    return rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
  }

  async function duckdbRows(name: string): Promise<unknown[][]> {
    const result = await lake.query(`SELECT ${duckdbComparableSelect()} FROM m."${name}" ORDER BY id`);
    return result.rows.map(normaliseDuckdbRow);
  }

  async function expectContent(name: string, expected: Map<number, Row>): Promise<void> {
    const rows = [...expected.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
    expect(await icebirdRows(name)).toEqual(rows.map(expectedIcebirdRecord));
    expect(await duckdbRows(name)).toEqual(rows.map(expectedDuckdbRow));
  }

  async function table(name: string) {
    const catalog = lake.catalog();
    const loaded = await catalog.loadTable({ namespace: 'm', name });
    const snapshot = currentSnapshot(loaded.metadata)!;
    return { loaded, snapshot, files: await liveFiles(catalog.storage, snapshot), storage: catalog.storage };
  }

  describe('merge: upserts and deletes by key, copy-on-write', () => {
    const state = new Map<number, Row>(rowsBetween(1, 300).map((row) => [Number(row[0]), row]));
    let before: string[] = [];

    beforeAll(async () => {
      // Three files: ids 1–100, 101–200, 201–300.
      await writeStream(lake.destination, { namespace: 'm', name: 'orders', columns: ALL_TYPES }, [
        rowsBetween(1, 100),
        rowsBetween(101, 200),
        rowsBetween(201, 300),
      ]);
      before = (await table('orders')).files.map((file) => file.dataFile.file_path);
    });

    it('applies a batch: the last change of a key wins, deletes need only the key', async () => {
      const batch: StagedRows[] = [
        [upsert(changed(150, 1001)), upsert(changed(160, 1002)), remove(170), upsert(changed(306, 1006))],
        [
          upsert(changed(150, 1003)),
          remove(180),
          upsert(changed(180, 1004)),
          remove(306),
          ...rowsBetween(301, 305).map(upsert),
        ],
      ];
      const result = await merge('orders', batch);
      for (const [id, row] of [
        [150, changed(150, 1003)],
        [160, changed(160, 1002)],
        [180, changed(180, 1004)],
      ] as const)
        state.set(id, row);
      state.delete(170);
      for (const row of rowsBetween(301, 305)) state.set(Number(row[0]), row);
      expect(result.merge).toMatchObject({ inserted: 5, updated: 3, deleted: 1, filesRewritten: 1 });
      expect(result.rowsStaged).toBe(13);
      expect(result.rowsWritten).toBe(8);
      expect(result.totalRows).toBe(304);
      await expectContent('orders', state);
    });

    it('rewrote only the file holding the changed keys; the others are still referenced', async () => {
      const { files, snapshot, storage } = await table('orders');
      const paths = files.map((file) => file.dataFile.file_path);
      expect(paths).toContain(before[0]);
      expect(paths).toContain(before[2]);
      expect(paths).not.toContain(before[1]);
      expect(snapshot.summary).toMatchObject({
        operation: 'overwrite',
        'added-data-files': '1',
        'deleted-data-files': '1',
        'deleted-records': '100',
        'added-records': '104',
        'total-records': '304',
        'total-data-files': '3',
      });
      const entries = [];
      for (const manifest of await readManifestList(storage, snapshot))
        entries.push(...(await readManifest(storage, manifest)));
      const deleted = entries.filter((entry) => entry.status === 2).map((entry) => entry.data_file.file_path);
      expect(deleted).toEqual([before[1]]);
      const sizes = files.reduce((sum, file) => sum + file.dataFile.file_size_in_bytes, 0);
      expect(snapshot.summary['total-files-size']).toBe(String(sizes));
    });

    it('merges a batch that only inserts as an append, and one without an op column as upserts', async () => {
      const result = await writeStream(lake.destination, stream('orders'), [rowsBetween(401, 402)]);
      for (const row of rowsBetween(401, 402)) state.set(Number(row[0]), row);
      expect(result.merge).toMatchObject({ inserted: 2, updated: 0, filesRewritten: 0 });
      expect((await table('orders')).snapshot.summary.operation).toBe('append');
      await expectContent('orders', state);
    });

    it('creates the table on the first merge', async () => {
      const result = await merge('fresh', [[...rowsBetween(1, 3).map(upsert), remove(2)]]);
      expect(result.merge).toMatchObject({ inserted: 2, updated: 0, deleted: 0 });
      await expectContent('fresh', new Map([1, 3].map((id) => [id, rowText(id)])));
    });
  });

  describe('merge: soft delete', () => {
    const DELETED_AT = '_sluice_deleted_at';

    async function deletedAt(name: string): Promise<Map<number, bigint | null>> {
      const result = await lake.query(`SELECT id, epoch_us(${DELETED_AT}) FROM m."${name}" ORDER BY id`);
      return new Map(result.rows.map((row) => [Number(row[0]), row[1] as bigint | null]));
    }

    it('keeps deleted rows, marked with the time of the merge, and unmarks a key inserted again', async () => {
      await writeStream(lake.destination, { namespace: 'm', name: 'soft', columns: ALL_TYPES }, [
        rowsBetween(1, 50),
      ]);
      const started = BigInt(Date.now()) * 1000n;
      await merge('soft', [[remove(10), remove(20), upsert(changed(30, 1030)), remove(999)]], {
        softDelete: true,
      });
      const first = await deletedAt('soft');
      expect(first.size).toBe(50);
      expect(first.get(10)).toBeGreaterThanOrEqual(started - 1000n);
      expect(first.get(20)).toBe(first.get(10));
      expect([...first.entries()].filter(([, at]) => at !== null).map(([id]) => id)).toEqual([10, 20]);

      await merge('soft', [[remove(10), upsert(rowText(20))]], { softDelete: true });
      const second = await deletedAt('soft');
      expect(second.get(10)).toBe(first.get(10));
      expect(second.get(20)).toBeNull();

      // The other columns are exactly what was written (the deleted row keeps its last values).
      const expected = rowsBetween(1, 50).map((row) => (row[0] === '30' ? changed(30, 1030) : row));
      const icebird = await icebirdRows('soft');
      expect(icebird.map((record) => ({ ...record, [DELETED_AT]: undefined }))).toEqual(
        expected.map((row) => ({ ...expectedIcebirdRecord(row), [DELETED_AT]: undefined })),
      );
      expect(icebird.find((record) => record.id === 10n)?.[DELETED_AT]).toEqual(
        new Date(Number(first.get(10)! / 1000n)),
      );
      expect(await duckdbRows('soft')).toEqual(expected.map(expectedDuckdbRow));
    });
  });

  describe('merge into a partitioned table', () => {
    const state = new Map<number, Row>(rowsBetween(1, 200).map((row) => [Number(row[0]), row]));

    it('rewrites only the partitions\u2019 files that hold a changed key, and moves a row whose partition changed', async () => {
      await writeStream(
        lake.destination,
        { namespace: 'm', name: 'daily', columns: ALL_TYPES, partitionBy: parsePartitionBy('day(tstz)') },
        [rowsBetween(1, 200)],
      );
      const before = (await table('daily')).files;
      // Row 55 keeps its day; row 56 moves to the day of row 1001.
      const result = await merge('daily', [[upsert(changed(55, 55 + 9 * 100)), upsert(changed(56, 1001))]], {
        partitionBy: parsePartitionBy('day(tstz)'),
      });
      state.set(55, changed(55, 55 + 9 * 100));
      state.set(56, changed(56, 1001));
      const dayOf = (row: Row) => {
        const tstz = row[13] ?? null;
        return tstz === null ? null : textMicros(tstz) / 86_400_000_000n;
      };
      const touchedDays = new Set([dayOf(rowText(55)), dayOf(rowText(56))]);
      expect(result.merge?.filesRewritten).toBe(touchedDays.size);
      const after = (await table('daily')).files;
      const kept = before.filter((file) =>
        after.some((other) => other.dataFile.file_path === file.dataFile.file_path),
      );
      expect(kept.length).toBe(before.length - touchedDays.size);
      await expectContent('daily', state);
    });
  });

  describe('merge: refusals', () => {
    it('fails on a NULL key, naming the column, and leaves the table as it was', async () => {
      await writeStream(lake.destination, { namespace: 'm', name: 'strict', columns: ALL_TYPES }, [
        rowsBetween(1, 5),
      ]);
      const before = (await table('strict')).snapshot['snapshot-id'];
      const error = await merge('strict', [[upsert([null, ...rowText(7).slice(1)])]]).catch(
        (e: unknown) => e,
      );
      expect((error as Error).message).toContain('merge key column "id" is NULL');
      expect((await table('strict')).snapshot['snapshot-id']).toBe(before);
    });

    it('refuses a key that is not a column of the stream', async () => {
      const error = await lake.destination
        .openStream({ ...stream('strict', { primaryKey: ['nope'] }), runId: 'r' })
        .catch((e: unknown) => e);
      expect(isSluiceError(error, 'USAGE')).toBe(true);
      expect((error as { hint: string }).hint).toContain('id, flag');
    });

    it('refuses a change stream into an append', async () => {
      const error = await writeStream(
        lake.destination,
        { namespace: 'm', name: 'strict', columns: ALL_TYPES },
        [[remove(1)]],
        {
          operations: true,
        },
      ).catch((e: unknown) => e);
      expect(isSluiceError(error, 'NOT_SUPPORTED')).toBe(true);
      expect((error as { hint: string }).hint).toContain('--disposition merge');
    });

    it('refuses an unknown operation', async () => {
      const error = await merge('strict', [[[...rowText(1), 'x']]]).catch((e: unknown) => e);
      expect((error as Error).message).toContain('_sluice_op must be empty, i, u or d');
    });
  });
});
