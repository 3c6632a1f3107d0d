/**
 * Every partition transform on a real table of every canonical type: the rows read back by
 * icebird and by DuckDB equal the rows written, every data file holds exactly one partition and
 * its manifest records the transform of each of its rows (recomputed here in JS), the manifest
 * list summarises the values, and the table metadata carries the spec. Also: a spec that does not
 * fit its column fails before anything is written, and a changed spec becomes a new spec. Every
 * case runs on local disk and on s3rver (test-lakes.ts).
 */
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/core/errors.js';
import { parsePartitionBy } from '../../../src/core/partition-fields.js';
import type { DuckDB } from '../../../src/engine/duckdb.js';
import { openDuckDB } from '../../../src/engine/duckdb.js';
import { parquetScanSql } from '../../../src/engine/lake-views.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from '../../../src/lake/iceberg-schema.js';
import { liveFiles, readManifestList } from '../../../src/lake/manifest-io.js';
import { comparableTextSql } from '../../../src/lake/merge/merge-candidates.js';
import type { Comparable } from '../../../src/lake/partitioning/comparable-value.js';
import {
  comparableFromBound,
  comparableFromText,
  compareValues,
} from '../../../src/lake/partitioning/comparable-value.js';
import { tupleValues } from '../../../src/lake/partitioning/partition-avro.js';
import { bindPartitionSpec } from '../../../src/lake/partitioning/partition-spec.js';
import { applyTransform } from '../../../src/lake/partitioning/partition-transform.js';
import { currentSchema, currentSnapshot } from '../../../src/lake/table-metadata.js';
import { ALL_TYPES, rowsBetween } from '../lake-fixtures.js';
import {
  duckdbComparableSelect,
  expectedDuckdbRow,
  expectedIcebirdRecord,
  normaliseDuckdbRow,
} from '../reader-expectations.js';
import { writeStream } from '../stream-writes.js';
import { LAKE_STORAGES, useTestLake } from '../test-lakes.js';

let db: DuckDB;

beforeAll(async () => {
  db = await openDuckDB();
});
afterAll(() => db.close());

const CHUNKS = [rowsBetween(1, 150), rowsBetween(151, 260)];
const WRITTEN = CHUNKS.flat();

/** Specs covering every transform on every type it applies to; decimal-valued partitions last (icebird cannot read Avro `fixed`). */
const SPECS: [string, string, { icebird: boolean }][] = [
  ['identity', 'flag, day, uid', { icebird: true }],
  ['year-month', 'year(day), month(ts), month(tstz)', { icebird: true }],
  ['day', 'day(tstz), day(day)', { icebird: true }],
  ['hour', 'hour(tstz), hour(ts)', { icebird: true }],
  ['bucket-a', 'bucket(8, id), bucket(4, name), bucket(3, "small int")', { icebird: true }],
  ['bucket-b', 'bucket(4, price), bucket(3, payload), bucket(5, amount)', { icebird: true }],
  [
    'bucket-c',
    'bucket(4, "at ""time"""), bucket(5, uid), bucket(6, day), bucket(7, ts), bucket(2, tstz)',
    { icebird: true },
  ],
  ['truncate-a', 'truncate(1000, "small int"), truncate(4, name)', { icebird: true }],
  ['truncate-b', 'truncate(2, payload), truncate(7, id)', { icebird: true }],
  ['decimal-values', 'truncate(500, price), identity(price)', { icebird: false }],
];

describe.each(LAKE_STORAGES)('on %s', (storage) => {
  const lake = useTestLake(storage, 'partitions');

  function tableUrl(name: string): string {
    return lake.tableUrl(`parts/${name}`);
  }

  async function loadTable(name: string) {
    return lake.catalog().loadTable({ namespace: 'parts', name });
  }

  describe.each(SPECS)('partitioned by %s (%s)', (name, partitionBy, { icebird }) => {
    beforeAll(async () => {
      const result = await writeStream(
        lake.destination,
        { namespace: 'parts', name, columns: ALL_TYPES, partitionBy: parsePartitionBy(partitionBy) },
        CHUNKS,
      );
      expect(result.rowsWritten).toBe(WRITTEN.length);
    });

    it.skipIf(!icebird)('reads back every row with icebird', async () => {
      const rows = await icebergRead({ tableUrl: tableUrl(name) });
      rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
      expect(rows).toEqual(WRITTEN.map(expectedIcebirdRecord));
    });

    it('reads back every row with DuckDB', async () => {
      const result = await lake.query(`SELECT ${duckdbComparableSelect()} FROM parts."${name}" ORDER BY id`);
      expect(result.rows.map(normaliseDuckdbRow)).toEqual(WRITTEN.map(expectedDuckdbRow));
    });

    it('records the spec in the metadata and each file\u2019s partition in its manifest', async () => {
      const table = await loadTable(name);
      const spec = table.metadata['partition-specs'].find(
        (s) => s['spec-id'] === table.metadata['default-spec-id'],
      )!;
      expect(spec.fields.map((field) => field['field-id'])).toEqual(spec.fields.map((_, i) => 1000 + i));
      const schema = currentSchema(table.metadata);
      const fields = bindPartitionSpec(spec, [schema]);
      const files = await liveFiles(lake.catalog().storage, currentSnapshot(table.metadata)!);
      expect(files.length).toBeGreaterThan(1);
      for (const file of files) {
        expect(file.specId).toBe(spec['spec-id']);
        const recorded = tupleValues(fields, file.dataFile.partition);
        const sources = [...new Map(fields.map((bound) => [bound.source.id, bound.source])).values()];
        const columns = sources.map((source) => ({
          name: avroCompatibleName(source.name),
          fieldId: source.id,
          duckdbType: duckdbTypeOfIceberg(source.type),
        }));
        const select = sources.map((source) =>
          comparableTextSql(source.type, `"${avroCompatibleName(source.name)}"`),
        );
        const local = await lake.localFile(file.dataFile.file_path);
        const rows = (await db.query(`SELECT ${select.join(', ')} FROM ${parquetScanSql([local], columns)}`))
          .rows;
        expect(rows.length).toBe(file.dataFile.record_count);
        for (const row of rows) {
          const computed = fields.map((bound) => {
            const text = row[sources.indexOf(bound.source)];
            const source = text === null ? null : comparableFromText(bound.source.type, String(text));
            return applyTransform(bound.transform, bound.source.type, source);
          });
          expect(computed).toEqual(recorded);
        }
      }
    });

    it('summarises partition values in the manifest list', async () => {
      const table = await loadTable(name);
      const snapshot = currentSnapshot(table.metadata)!;
      const storage = lake.catalog().storage;
      const spec = table.metadata['partition-specs'][0]!;
      const fields = bindPartitionSpec(spec, [currentSchema(table.metadata)]);
      const files = await liveFiles(storage, snapshot);
      const [manifest, ...others] = await readManifestList(storage, snapshot);
      expect(others).toEqual([]);
      expect(manifest!.partition_spec_id).toBe(spec['spec-id']);
      fields.forEach((field, i) => {
        const values = files.map((file) => tupleValues(fields, file.dataFile.partition)[i] ?? null);
        const present = values.filter((v): v is Comparable => v !== null).sort(compareValues);
        const summary = manifest!.partitions![i]!;
        expect(summary.contains_null).toBe(values.includes(null));
        const read = (bytes: Buffer | null) =>
          bytes === null ? null : comparableFromBound(field.resultType, Buffer.from(bytes));
        expect([read(summary.lower_bound), read(summary.upper_bound)]).toEqual([
          present[0] ?? null,
          present.at(-1) ?? null,
        ]);
      });
    });
  });

  describe('partition specs that change or do not fit', () => {
    it('refuses a transform that does not fit its column before writing anything, with a hint', async () => {
      const before = await loadTable('day');
      const error = await writeStream(
        lake.destination,
        { namespace: 'parts', name: 'day', columns: ALL_TYPES, partitionBy: parsePartitionBy('day(name)') },
        [rowsBetween(900, 901)],
      ).catch((e: unknown) => e);
      expect(isSluiceError(error, 'USAGE')).toBe(true);
      expect((error as Error).message).toContain(
        'column "name" is string, and day applies to date, timestamp and timestamptz',
      );
      expect((error as { hint: string }).hint).toContain('fits string');
      const after = await loadTable('day');
      expect(after.metadata['current-snapshot-id']).toBe(before.metadata['current-snapshot-id']);
      expect(after.version).toBe(before.version);
    });

    it('refuses a long partition value beyond 2^53 (manifests here carry longs as doubles), naming the field', async () => {
      const error = await writeStream(
        lake.destination,
        { namespace: 'parts', name: 'huge', columns: ALL_TYPES, partitionBy: parsePartitionBy('"2nd big"') },
        [rowsBetween(1, 10)],
      ).catch((e: unknown) => e);
      expect(isSluiceError(error, 'NOT_SUPPORTED')).toBe(true);
      expect((error as Error).message).toContain('2nd big');
      expect((error as { hint: string }).hint).toContain('bucket(N, 2nd big)');
      expect((await lake.catalog().listTables()).map((table) => table.name)).not.toContain('huge');
    });

    it('adds a new spec when the declared partitioning changes, and keeps it for later appends', async () => {
      const replaced = rowsBetween(300, 340);
      await writeStream(
        lake.destination,
        {
          namespace: 'parts',
          name: 'hour',
          columns: ALL_TYPES,
          disposition: 'replace',
          partitionBy: parsePartitionBy('bucket(4, id)'),
        },
        [replaced],
      );
      const appended = rowsBetween(341, 360);
      await writeStream(lake.destination, { namespace: 'parts', name: 'hour', columns: ALL_TYPES }, [
        appended,
      ]);
      const table = await loadTable('hour');
      expect(
        table.metadata['partition-specs'].map((spec) =>
          spec.fields.map((field) => [field['field-id'], field.transform]),
        ),
      ).toEqual([
        [
          [1000, 'hour'],
          [1001, 'hour'],
        ],
        [[1002, 'bucket[4]']],
      ]);
      expect(table.metadata['default-spec-id']).toBe(1);
      expect(table.metadata['last-partition-id']).toBe(1002);
      const files = await liveFiles(lake.catalog().storage, currentSnapshot(table.metadata)!);
      expect(new Set(files.map((file) => file.specId))).toEqual(new Set([1]));
      const rows = await icebergRead({ tableUrl: tableUrl('hour') });
      rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
      expect(rows).toEqual([...replaced, ...appended].map(expectedIcebirdRecord));
    });
  });
});
