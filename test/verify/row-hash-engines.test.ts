/**
 * The same rows in PostgreSQL, in DuckDB (a table and a Parquet file, as the lake holds them)
 * and in SQLite give the same fingerprint; a one-microsecond or last-digit change does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import {
  duckdbRows,
  pgRows,
  tableFingerprint,
  tableRowHashes,
} from '../../src/verify/fingerprint-queries.js';
import { compareTable } from '../../src/verify/compare-tables.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';
import { fingerprintSql, type TableFingerprint, type TableRef } from '../../src/verify/row-hash.js';
import { sqliteFingerprint, sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { jsValueOfCanonicalText } from '../helpers/expected-row-hashes.js';
import { serviceAvailable } from '../helpers/services.js';
import { ALL_TYPES_COLUMNS, ALL_TYPES_DDL, ALL_TYPES_ROWS } from './all-types-fixture.js';
import { copyToDuckdb } from './copy-to-duckdb.js';

const up = await serviceAvailable('PostgreSQL', 5432);
const TABLE: TableRef = { namespace: 'public', name: 'all_types' };
const COMPARABLE: TableRef = { namespace: 'public', name: 'sqlite_comparable' };
const KEY = ['id'];

describe.skipIf(!up)('row fingerprints across PostgreSQL, DuckDB and SQLite', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let duckInstance: DuckDBInstance;
  let duck: DuckDBConnection;
  let dir: string;
  let pgPrint: TableFingerprint;

  const duckPrint = (table: TableRef = TABLE) =>
    tableFingerprint('duckdb', duckdbRows(duck), table, ALL_TYPES_COLUMNS);
  const duckDiff = async () =>
    diffRowHashes(
      await tableRowHashes('postgres', pgRows(client), TABLE, ALL_TYPES_COLUMNS, KEY),
      await tableRowHashes('duckdb', duckdbRows(duck), TABLE, ALL_TYPES_COLUMNS, KEY),
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-verify-'));
    database = await createTestDatabase('verify_row_hash');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(ALL_TYPES_DDL + ALL_TYPES_ROWS);
    duckInstance = await DuckDBInstance.create(':memory:');
    duck = await duckInstance.connect();
    await copyToDuckdb(client, duck, TABLE, ALL_TYPES_COLUMNS, path.join(dir, 'all_types.csv'));
    pgPrint = await tableFingerprint('postgres', pgRows(client), TABLE, ALL_TYPES_COLUMNS);
  });

  afterAll(async () => {
    duck?.closeSync();
    duckInstance?.closeSync();
    await client?.end();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('PostgreSQL and DuckDB agree on every canonical type, row by row and in total', async () => {
    expect(pgPrint.rows).toBe(12);
    expect(await duckDiff(), fingerprintSql('duckdb', TABLE, ALL_TYPES_COLUMNS)).toEqual({
      missing: [],
      extra: [],
      changed: [],
    });
    expect(await duckPrint()).toEqual(pgPrint);
  });

  it('a Parquet file read back through a DuckDB view gives the same fingerprint', async () => {
    const file = path.join(dir, 'all_types.parquet');
    await duck.run(`COPY public.all_types TO '${file}' (FORMAT parquet)`);
    await duck.run(`CREATE SCHEMA lake`);
    await duck.run(`CREATE VIEW lake.all_types AS SELECT * FROM read_parquet('${file}')`);
    expect(await duckPrint({ namespace: 'lake', name: 'all_types' })).toEqual(pgPrint);
  });

  it('SQLite rows fingerprinted in JavaScript match PostgreSQL', async () => {
    const sqlite = await sqliteCopy(client, path.join(dir, 'all_types.db'));
    try {
      const pgRowsComparable = await tableRowHashes(
        'postgres',
        pgRows(client),
        COMPARABLE,
        ALL_TYPES_COLUMNS,
        KEY,
      );
      const sqliteTable = { namespace: 'main', name: 'all_types' };
      expect(
        diffRowHashes(pgRowsComparable, sqliteRowHashes(sqlite, sqliteTable, ALL_TYPES_COLUMNS, KEY)),
      ).toEqual({
        missing: [],
        extra: [],
        changed: [],
      });
      expect(sqliteFingerprint(sqlite, sqliteTable, ALL_TYPES_COLUMNS)).toEqual(
        await tableFingerprint('postgres', pgRows(client), COMPARABLE, ALL_TYPES_COLUMNS),
      );
    } finally {
      sqlite.close();
    }
  });

  it.each([
    [
      'a timestamp moved by one microsecond',
      `UPDATE public.all_types SET local_ts = local_ts + INTERVAL 1 MICROSECOND WHERE id = 1`,
    ],
    [
      'a timestamptz moved by one microsecond',
      `UPDATE public.all_types SET instant = instant - INTERVAL 1 MICROSECOND WHERE id = 4`,
    ],
    ['the last digit of a decimal', `UPDATE public.all_types SET price = price + 0.01 WHERE id = 1`],
    [
      'the last digit of a decimal(38,9)',
      `UPDATE public.all_types SET amount = amount - 0.000000001 WHERE id = 6`,
    ],
    ['an empty string becoming NULL', `UPDATE public.all_types SET name = NULL WHERE id = 3`],
    ['a NULL becoming an empty string', `UPDATE public.all_types SET name = '' WHERE id = 2`],
    ['the string \\N becoming NULL', `UPDATE public.all_types SET name = NULL WHERE id = 6`],
    ['the last bit of a double', `UPDATE public.all_types SET score = 0.30000000000000004 WHERE id = 1`],
    ['the sign of zero', `UPDATE public.all_types SET score = 0.0 WHERE id = 102`],
    ['a float32 by one step', `UPDATE public.all_types SET ratio = CAST(0.10000001 AS FLOAT) WHERE id = 1`],
    [
      'a time by one microsecond',
      `UPDATE public.all_types SET at_time = TIME '12:34:56.789001' WHERE id = 1`,
    ],
    ['a date by one day', `UPDATE public.all_types SET day = DATE '1969-12-30' WHERE id = 5`],
    ['a byte', `UPDATE public.all_types SET payload = unhex('00ff5c08') WHERE id = 4`],
    [
      'a tab moved between columns',
      `UPDATE public.all_types SET name = 'tab', "Padded Code" = 'in' || chr(9) || 'middle' WHERE id = 9`,
    ],
    ['a JSON key', `UPDATE public.all_types SET attrs = '{"b": 2, "a": [true, null]}' WHERE id = 1`],
  ])('a change is detected and named: %s', async (_label, update) => {
    await duck.run('BEGIN');
    try {
      await duck.run(update);
      expect(await duckPrint()).not.toEqual(pgPrint);
      const diff = await duckDiff();
      expect(diff.changed).toHaveLength(1);
      expect([...diff.missing, ...diff.extra]).toEqual([]);
    } finally {
      await duck.run('ROLLBACK');
    }
    expect(await duckPrint()).toEqual(pgPrint);
  });

  it('compareTable reports equal tables, and names the keys when they differ', async () => {
    const source = { dialect: 'postgres' as const, run: pgRows(client) };
    const lake = { dialect: 'duckdb' as const, run: duckdbRows(duck) };
    const table = { ...TABLE, columns: ALL_TYPES_COLUMNS, primaryKey: KEY };
    expect(await compareTable(source, lake, table)).toEqual({
      table: 'public.all_types',
      source: pgPrint,
      destination: pgPrint,
      equal: true,
    });
    await duck.run('BEGIN');
    try {
      await duck.run(`UPDATE public.all_types SET qty = qty + 1 WHERE id = 8`);
      const result = await compareTable(source, lake, table);
      expect(result.equal).toBe(false);
      expect(result.diff).toEqual({ missing: [], extra: [], changed: ['8'] });
    } finally {
      await duck.run('ROLLBACK');
    }
  });

  it('a duplicated row, a missing row and an extra row change the fingerprint and are named', async () => {
    await duck.run('BEGIN');
    try {
      await duck.run(`INSERT INTO public.all_types SELECT * FROM public.all_types WHERE id = 2`);
      const duplicated = await duckPrint();
      expect(duplicated.rows).toBe(pgPrint.rows + 1);
      expect(duplicated.hashSum).not.toBe(pgPrint.hashSum);
      await duck.run(`DELETE FROM public.all_types WHERE id = 3`);
      await duck.run(`UPDATE public.all_types SET id = 555 WHERE id = 7`);
      expect(await duckDiff()).toEqual({ missing: ['3', '7'], extra: ['555'], changed: ['2'] });
    } finally {
      await duck.run('ROLLBACK');
    }
  });
});

/** The comparable rows in a SQLite file, stored the way SQLite applications store them. */
async function sqliteCopy(client: pg.Client, file: string): Promise<DatabaseSync> {
  const { DatabaseSync } = nodeSqlite();
  const db = new DatabaseSync(file);
  db.exec(`CREATE TABLE all_types (id INTEGER PRIMARY KEY, flag INTEGER, qty INTEGER, big INTEGER, price TEXT,
    amount TEXT, ratio REAL, score REAL, name TEXT, "Padded Code" TEXT, payload BLOB, day TEXT, at_time TEXT,
    local_ts TEXT, instant TEXT, ref TEXT, attrs TEXT)`);
  await client.query(`SET TimeZone = 'UTC'`);
  const { rows } = await client.query<Record<string, string | null>>(
    // concat() prints through the output function, so char(n) keeps its padding as in COPY.
    `SELECT ${ALL_TYPES_COLUMNS.map((c) => `CASE WHEN "${c.name}" IS NOT NULL THEN concat("${c.name}") END AS "${c.name}"`).join(', ')} FROM public.sqlite_comparable`,
  );
  const insert = db.prepare(`INSERT INTO all_types VALUES (${ALL_TYPES_COLUMNS.map(() => '?').join(', ')})`);
  for (const row of rows) {
    insert.run(
      ...ALL_TYPES_COLUMNS.map((column) => jsValueOfCanonicalText(column.type, row[column.name] ?? null)),
    );
  }
  return db;
}
