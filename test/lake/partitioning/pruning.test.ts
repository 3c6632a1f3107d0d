/**
 * Scan pruning before DuckDB sees any file: `LakeCatalog.dataFiles(table, { filter })` leaves
 * out files by partition values (every transform kind) and by column bounds and null counts,
 * across partition specs. Every check is two-sided: fewer files are returned, and each file left
 * out is read here to prove it holds no matching row. `queryLake` with `where` builds views over
 * the pruned files only, with the same rows as filtering the whole table.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/core/errors.js';
import { parsePartitionBy } from '../../../src/core/partition-fields.js';
import { LakeDestination } from '../../../src/destinations/lake/lake-destination.js';
import type { DuckDB } from '../../../src/engine/duckdb.js';
import { openDuckDB } from '../../../src/engine/duckdb.js';
import { parquetScanSql } from '../../../src/engine/lake-views.js';
import { duckdbTypeOfIceberg } from '../../../src/lake/iceberg-schema.js';
import { LakeCatalog } from '../../../src/lake/lake-catalog.js';
import { attachLake, queryLake } from '../../../src/lake/lake-query.js';
import { parseScanFilter, scanFilterSql } from '../../../src/lake/partitioning/scan-filter.js';
import { parseTableFilter } from '../../../src/lake/table-filters.js';
import { writeStream } from '../stream-writes.js';
import { column as col } from '../lake-fixtures.js';

let root: string;
let destination: LakeDestination;
let db: DuckDB;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-pruning-'));
  destination = new LakeDestination(root);
  db = await openDuckDB();
});
afterAll(async () => {
  db.close();
  await destination.close();
  await fs.rm(root, { recursive: true, force: true });
});

const COLUMNS = [
  col('id', { kind: 'int64' }),
  col('placed_at', { kind: 'timestamptz' }),
  col('buyer', { kind: 'string' }),
  col('amount', { kind: 'decimal', precision: 10, scale: 2 }),
  col('score', { kind: 'float64' }),
];

/** Orders 1…n: ids grow with time, 40 a day from 2024-03-01, 12 buyers, every 25th buyer NULL. */
function orders(from: number, to: number): (string | null)[][] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const id = from + i;
    const day = Math.floor((id - 1) / 40) + 1;
    const hour = id % 24;
    return [
      String(id),
      `2024-03-${String(day).padStart(2, '0')} ${String(hour).padStart(2, '0')}:30:00+00`,
      id % 25 === 0 ? null : `b${id % 12}`,
      `${id % 1000}.${String(id % 100).padStart(2, '0')}`,
      id % 7 === 0 ? 'NaN' : String(id / 8),
    ];
  });
}

async function write(
  name: string,
  partitionBy: string | null,
  chunks: (string | null)[][][],
  disposition: 'append' | 'replace' = 'append',
) {
  await writeStream(
    destination,
    {
      namespace: 'p',
      name,
      columns: COLUMNS,
      disposition,
      ...(partitionBy !== null && { partitionBy: parsePartitionBy(partitionBy) }),
    },
    chunks,
  );
}

/** Asserts the pruned file list is smaller (when `fewer`) and that no left-out file holds a match. */
async function expectSoundPruning(name: string, filterText: string, expected: { kept: number; of?: number }) {
  const catalog = LakeCatalog.open(root);
  const table = await catalog.loadTable({ namespace: 'p', name });
  const filter = parseScanFilter(filterText);
  const all = await catalog.dataFiles(table);
  const kept = await catalog.dataFiles(table, { filter });
  if (expected.of !== undefined) expect(all.length).toBe(expected.of);
  expect(kept.length).toBe(expected.kept);
  const schema = catalog.schemaOf(table);
  const columns = schema.fields.map((field) => ({
    name: field.name,
    fieldId: field.id,
    duckdbType: duckdbTypeOfIceberg(field.type),
  }));
  const where = scanFilterSql(filter, new Map(columns.map((column) => [column.name, column.duckdbType])));
  const count = async (paths: string[]) =>
    paths.length === 0
      ? 0n
      : ((await db.query(`SELECT count(*) FROM ${parquetScanSql(paths, columns)} WHERE ${where}`))
          .rows[0]![0] as bigint);
  const left = all
    .filter((file) => !kept.some((other) => other.url === file.url))
    .map((file) => file.localPath!);
  expect(await count(left)).toBe(0n);
  const total = await count(all.map((file) => file.localPath!));
  expect(await count(kept.map((file) => file.localPath!))).toBe(total);
  return total;
}

describe('pruning by partition values', () => {
  beforeAll(async () => {
    // 8 days × 40 orders, written as two chunks: 8 day partitions, some split across chunks.
    await write('by_day', 'day(placed_at)', [orders(1, 180), orders(181, 320)]);
    await write('by_bucket', 'bucket(4, buyer)', [orders(1, 320)]);
    await write('by_prefix', 'truncate(1, buyer), month(placed_at)', [orders(1, 320)]);
  });

  it('day(placed_at): range and equality predicates keep only the days that can match', async () => {
    await expectSoundPruning('by_day', "placed_at >= '2024-03-06'", { kept: 3, of: 9 });
    await expectSoundPruning('by_day', "placed_at < '2024-03-02 00:00:00+00'", { kept: 1 });
    await expectSoundPruning('by_day', "placed_at = '2024-03-03 05:30:00+00'", { kept: 1 });
    await expectSoundPruning('by_day', "placed_at > '2024-03-09'", { kept: 0 });
  });

  it('bucket(4, buyer): equality keeps one bucket', async () => {
    const matches = await expectSoundPruning('by_bucket', "buyer = 'b7'", { kept: 1 });
    expect(matches).toBeGreaterThan(0n);
  });

  it('IS NULL keeps only files whose partition value is NULL', async () => {
    await expectSoundPruning('by_bucket', 'buyer IS NULL', { kept: 1, of: 5 });
  });

  it('truncate and month prune range predicates (order-preserving transforms)', async () => {
    await expectSoundPruning('by_prefix', "buyer >= 'c'", { kept: 0 });
    await expectSoundPruning('by_prefix', "buyer < 'b' AND placed_at >= '2024-03-01'", { kept: 0 });
  });
});

describe('pruning by column bounds and counts', () => {
  beforeAll(async () => {
    await write('flat', null, [orders(1, 100), orders(101, 200), orders(201, 300)]);
  });

  it('keeps only files whose bounds can hold the value', async () => {
    await expectSoundPruning('flat', 'id < 150', { kept: 2, of: 3 });
    await expectSoundPruning('flat', 'id = 250', { kept: 1 });
    await expectSoundPruning('flat', 'id >= 1000', { kept: 0 });
    await expectSoundPruning('flat', "id > 100 AND placed_at < '2024-03-04'", { kept: 1 });
    await expectSoundPruning('flat', 'amount <= 50.5', { kept: 1 });
  });

  it('does not prune above a float\u2019s bounds when the file may hold NaN (DuckDB sorts NaN last)', async () => {
    await expectSoundPruning('flat', 'score > 1000', { kept: 3 });
    await expectSoundPruning('flat', 'score < 1', { kept: 1 });
  });
});

describe('pruning across partition specs', () => {
  it('prunes files of the old spec by bounds and of the new spec by partition', async () => {
    await write('evolving', null, [orders(1, 160)]);
    await write('evolving', 'day(placed_at)', [orders(161, 320)]);
    await expectSoundPruning('evolving', "placed_at >= '2024-03-07'", { kept: 2, of: 5 });
    await expectSoundPruning('evolving', "placed_at < '2024-03-03'", { kept: 1 });
  });
});

describe('filtered views (sluice query --where)', () => {
  it('hold the rows of the filtered table and read only the kept files', async () => {
    const where = [parseTableFilter("p.by_day: placed_at >= '2024-03-06' AND buyer <> 'b1'")];
    const filtered = await queryLake(root, 'SELECT id FROM p.by_day ORDER BY id', { where });
    const full = await queryLake(
      root,
      "SELECT id FROM p.by_day WHERE placed_at >= '2024-03-06' AND buyer <> 'b1' ORDER BY id",
    );
    expect(filtered.rows).toEqual(full.rows);
    expect(filtered.rows.length).toBeGreaterThan(0);
    const session = await openDuckDB();
    try {
      const tables = await attachLake(session, LakeCatalog.open(root), {}, [], where);
      expect(tables.find((table) => table.name === 'by_day')!.files.length).toBe(3);
      expect(tables.find((table) => table.name === 'flat')!.files.length).toBe(3);
    } finally {
      session.close();
    }
  });

  it('refuses a filter it cannot read, a column or a table that does not exist, with hints', async () => {
    expect(() => parseScanFilter('id >')).toThrow(/cannot read the filter/);
    const badColumn = await queryLake(root, 'SELECT 1', {
      where: [parseTableFilter('p.flat: nope = 1')],
    }).catch((e: unknown) => e);
    expect(isSluiceError(badColumn, 'USAGE')).toBe(true);
    expect((badColumn as { hint: string }).hint).toContain('id, placed_at');
    const badLiteral = await queryLake(root, 'SELECT 1', {
      where: [parseTableFilter("p.flat: placed_at > 'soon'")],
    }).catch((e: unknown) => e);
    expect((badLiteral as Error).message).toContain('cannot read "soon" as a timestamptz value');
    const badTable = await queryLake(root, 'SELECT 1', { where: [parseTableFilter('p.none: id = 1')] }).catch(
      (e: unknown) => e,
    );
    expect((badTable as Error).message).toContain('p.none, which is not a table of this lake');
  });
});
