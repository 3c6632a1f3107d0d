/**
 * The fast fingerprint (`typed-hash.ts`): PostgreSQL rows streamed out with COPY and hashed by
 * DuckDB give, row by row, the same numbers as DuckDB hashing its own copy of them, for every
 * canonical type and edge case a sync carries (NULL vs '', -0 vs 0, NaN, extremes); a verify
 * that uses it still finds a one-microsecond, last-digit, sign-of-zero or NULL-for-'' change;
 * tables holding values a sync cannot carry (infinite timestamps, 24:00, BC dates) fall back
 * to md5 sums and are still compared exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyEndpoint } from '../../src/verify/endpoints/endpoint.js';
import { openEndpoint } from '../../src/verify/endpoints/open-endpoint.js';
import type { KeyTuple } from '../../src/verify/key-ranges.js';
import { WHOLE_TABLE } from '../../src/verify/key-ranges.js';
import type { TableRef } from '../../src/verify/row-hash.js';
import { verifyEndpoints } from '../../src/verify/verify-tables.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { ALL_TYPES_COLUMNS, ALL_TYPES_DDL, ALL_TYPES_ROWS } from './all-types-fixture.js';
import { copyToDuckdb } from './copy-to-duckdb.js';

const up = await serviceAvailable('PostgreSQL', 5432);
const ALL_TYPES: TableRef = { namespace: 'public', name: 'all_types' };
/** The rows a sync can carry: no infinite timestamps (100, 101), no 24:00 (7). */
const CARRIABLE: TableRef = { namespace: 'public', name: 'carriable' };
const KEY = ALL_TYPES_COLUMNS.filter((column) => column.name === 'id');

describe.skipIf(!up)('typed hashes: PostgreSQL through COPY ↔ DuckDB', () => {
  let database: TestDatabase;
  let dir: string;
  let duckdbUrl: string;
  let postgres: VerifyEndpoint;
  let duckdb: VerifyEndpoint;
  let ids: KeyTuple[];

  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return await client.query<{ k: string }>(text);
    } finally {
      await client.end();
    }
  };
  /** Typed hashes with one bucket per row of CARRIABLE, on both sides. */
  const perRow = () =>
    Promise.all(
      [postgres, duckdb].map((endpoint) =>
        endpoint.typedRangeHashes?.(CARRIABLE, ALL_TYPES_COLUMNS, KEY, [WHOLE_TABLE], ids.slice(1)),
      ),
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-typed-hash-'));
    database = await createTestDatabase('verify_typed_hash');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(ALL_TYPES_DDL + ALL_TYPES_ROWS);
      await client.query(`CREATE TABLE public.carriable AS SELECT * FROM public.all_types WHERE id NOT IN (7, 100, 101);
                          ALTER TABLE public.carriable ADD PRIMARY KEY (id);`);
      const file = path.join(dir, 'copy.duckdb');
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      for (const table of [ALL_TYPES, CARRIABLE]) {
        await copyToDuckdb(client, connection, table, ALL_TYPES_COLUMNS, path.join(dir, `${table.name}.csv`));
      }
      connection.closeSync();
      instance.closeSync();
      duckdbUrl = `duckdb:${file}`;
    } finally {
      await client.end();
    }
    ids = (await sql('SELECT id::text AS k FROM public.carriable ORDER BY id')).rows.map((row) => [row.k]);
    [postgres, duckdb] = await Promise.all([openEndpoint(database.url), openEndpoint(duckdbUrl)]);
  });

  afterAll(async () => {
    await Promise.all([postgres?.close(), duckdb?.close()]);
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('both endpoints offer the fast path', () => {
    expect(postgres.typedRangeHashes).toBeTypeOf('function');
    expect(duckdb.typedRangeHashes).toBeTypeOf('function');
  });

  it('gives equal hashes row by row (one bucket per row) and in total', async () => {
    const [left, right] = await perRow();
    expect(left?.size).toBe(9);
    expect([...(left?.values() ?? [])].every((bucket) => bucket.rows === 1)).toBe(true);
    expect(right).toEqual(left);
    const totals = await Promise.all(
      [postgres, duckdb].map((endpoint) =>
        endpoint.typedRangeHashes?.(CARRIABLE, ALL_TYPES_COLUMNS, KEY, [WHOLE_TABLE], []),
      ),
    );
    expect(totals[0]?.get(0)?.rows).toBe(9);
    expect(totals[1]).toEqual(totals[0]);
    // The fast numbers are not the md5 sums: the two kinds are never compared with each other.
    const md5 = await postgres.rangeHashes(CARRIABLE, ALL_TYPES_COLUMNS, KEY, [WHOLE_TABLE], []);
    expect(md5.get(0)?.hashSum).not.toBe(totals[0]?.get(0)?.hashSum);
  });

  it('still finds a microsecond, a last digit, the sign of a zero and NULL for an empty string', async () => {
    await sql(`
      UPDATE public.carriable SET instant = instant + interval '1 microsecond' WHERE id = 1;
      UPDATE public.carriable SET amount = amount + 0.000000001 WHERE id = 6;
      UPDATE public.carriable SET score = '-0', name = NULL WHERE id = 3;
      UPDATE public.carriable SET ratio = '0' WHERE id = 102;
      UPDATE public.carriable SET attrs = '[1]' WHERE id = 5;`);
    // Row by row, exactly the changed rows' hashes differ.
    const [left, right] = await perRow();
    const differing = ids
      .filter((_, bucket) => left?.get(bucket)?.hashSum !== right?.get(bucket)?.hashSum)
      .map(([id]) => id);
    expect(differing).toEqual(['1', '3', '5', '6', '102']);
    const report = await verifyEndpoints({ from: database.url, to: duckdbUrl, tables: ['carriable'] });
    const [table] = report.tables;
    expect(table?.stats?.typedHashing).toBe(true);
    expect(table).toMatchObject({
      status: 'different',
      missing: [],
      extra: [],
      changed: [
        { key: '1', columns: ['instant'] },
        { key: '102', columns: ['ratio'] },
        { key: '3', columns: ['score', 'name'] },
        { key: '5', columns: ['attrs'] },
        { key: '6', columns: ['amount'] },
      ],
    });
  });

  it('falls back to md5 sums for values a sync cannot carry, and still compares them exactly', async () => {
    const identical = await verifyEndpoints({ from: database.url, to: duckdbUrl, tables: ['all_types'] });
    expect(identical.tables[0]).toMatchObject({ status: 'identical', sourceRows: 12 });
    expect(identical.tables[0]?.stats?.typedHashing).toBe(false);
    await sql(`UPDATE public.all_types SET instant = 'infinity' WHERE id = 100;`);
    const [changed] = (await verifyEndpoints({ from: database.url, to: duckdbUrl, tables: ['all_types'] }))
      .tables;
    expect(changed).toMatchObject({ changed: [{ key: '100', columns: ['instant'] }] });
  });

  it('tells a BC date from its AD namesake (DuckDB reads "0044-03-15 BC" as AD 44)', async () => {
    await sql(`CREATE SCHEMA a; CREATE SCHEMA b;
      CREATE TABLE a.dates (id int PRIMARY KEY, d date); CREATE TABLE b.dates (id int PRIMARY KEY, d date);
      INSERT INTO a.dates VALUES (1, '0044-03-15 BC'), (2, '2024-01-01');
      INSERT INTO b.dates VALUES (1, '0044-03-15 BC'), (2, '2024-01-01');`);
    const verify = () =>
      verifyEndpoints({ from: `${database.url}?schema=a`, to: `${database.url}?schema=b` });
    expect((await verify()).tables[0]).toMatchObject({ status: 'identical', sourceRows: 2 });
    await sql(`UPDATE b.dates SET d = '0044-03-15' WHERE id = 1;`);
    expect((await verify()).tables[0]).toMatchObject({
      status: 'different',
      changed: [{ key: '1', columns: ['d'] }],
    });
  });
});
