/**
 * The DuckDB session: UTC, limits applied, exact values out (bigint, decimal text, bytes),
 * errors carrying their SQL, and lake views built by field id.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import type { DuckDB } from '../../src/engine/duckdb.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { createLakeViews } from '../../src/engine/lake-views.js';

let db: DuckDB;
let dir: string;

beforeAll(async () => {
  db = await openDuckDB({ memoryLimit: '512MB', threads: 2 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice duckdb '));
});

afterAll(async () => {
  db.close();
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('DuckDB session', () => {
  it('runs in UTC with the configured limits', async () => {
    const result = await db.query(
      "SELECT current_setting('TimeZone'), current_setting('threads'), current_setting('memory_limit'), CAST(TIMESTAMPTZ '2024-01-01 12:00:00+02' AS VARCHAR)",
    );
    expect(result.rows).toEqual([['UTC', 2n, '488.2 MiB', '2024-01-01 10:00:00+00']]);
  });

  // Each staged chunk and data file is read once or twice and deleted: a cache of file reads only
  // grows (a 30M-row sync's RSS climbed from ~250 to ~400 MB with it).
  it('keeps no cache of the files it reads', async () => {
    const result = await db.query("SELECT current_setting('enable_external_file_cache')");
    expect(result.rows).toEqual([[false]]);
  });

  it('returns exact values: bigint beyond 2^53, decimal and timestamp text, bytes', async () => {
    const result = await db.query(
      "SELECT 9007199254740993::BIGINT AS big, 1::INTEGER AS small, CAST('12345678901234567890.123456789' AS DECIMAL(38,9)) AS dec, TIMESTAMP '1960-01-01 00:00:00.000001' AS ts, from_hex('00ff') AS bytes, NULL AS nothing",
    );
    expect(result.columns).toEqual(['big', 'small', 'dec', 'ts', 'bytes', 'nothing']);
    const [row] = result.rows;
    expect(row!.slice(0, 4)).toEqual([
      9007199254740993n,
      1,
      '12345678901234567890.123456789',
      '1960-01-01 00:00:00.000001',
    ]);
    expect(Array.from(row![4] as Uint8Array)).toEqual([0, 255]);
    expect(row![5]).toBeNull();
    expect(await db.queryObjects('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('wraps failures as QUERY errors carrying the SQL, with long messages shortened', async () => {
    const sql = 'SELECT * FROM no_such_table';
    const error = await db.query(sql).catch((e: unknown) => e);
    expect(isSluiceError(error, 'QUERY')).toBe(true);
    expect((error as { sql: string }).sql).toBe(sql);
    const long = (await db.query(`SELECT error('${'x'.repeat(10_000)}')`).catch((e: unknown) => e)) as Error;
    expect(long.message.length).toBeLessThan(2200);
  });

  it('gives a second connection to the same database', async () => {
    await db.run('CREATE TABLE shared AS SELECT 42 AS answer');
    const other = await db.connect();
    expect((await other.query('SELECT answer FROM shared')).rows).toEqual([[42]]);
    other.close();
  });
});

describe('lake views', () => {
  it('maps Parquet columns by field id to the original names, and gives empty tables their types', async () => {
    const file = path.join(dir, 'f.parquet');
    await db.run(
      `COPY (SELECT 7::BIGINT AS unit_x20price, 'x' AS _2nd) TO '${file}' (FORMAT parquet, FIELD_IDS {'unit_x20price': 1, '_2nd': 2})`,
    );
    await createLakeViews(db, [
      {
        namespace: 'shop',
        name: 'line items',
        columns: [
          { name: 'unit price', fieldId: 1, duckdbType: 'BIGINT' },
          { name: '2nd', fieldId: 2, duckdbType: 'VARCHAR' },
          { name: 'added later', fieldId: 3, duckdbType: 'DATE' },
        ],
        files: [file],
      },
      {
        namespace: 'shop',
        name: 'empty',
        columns: [{ name: 'd', fieldId: 1, duckdbType: 'DECIMAL(10,2)' }],
        files: [],
      },
    ]);
    const result = await db.query('SELECT * FROM shop."line items"');
    expect(result.columns).toEqual(['unit price', '2nd', 'added later']);
    expect(result.rows).toEqual([[7n, 'x', null]]);
    const empty = await db.query(
      "SELECT data_type FROM information_schema.columns WHERE table_name = 'empty'",
    );
    expect(empty.rows).toEqual([['DECIMAL(10,2)']]);
  });
});
