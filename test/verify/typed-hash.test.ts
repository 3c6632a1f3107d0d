/**
 * The fast fingerprint (`typed-hash.ts`): PostgreSQL rows streamed out with COPY and hashed by
 * DuckDB give, row by row, the same numbers as DuckDB hashing its own copy of them, for every
 * canonical type and edge case (NULL vs '', -0 vs 0, NaN, infinities, extremes); and a verify
 * that uses it still finds a one-microsecond, last-digit, sign-of-zero or NULL-for-'' change.
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
const TABLE: TableRef = { namespace: 'public', name: 'all_types' };
const KEY = ALL_TYPES_COLUMNS.filter((column) => column.name === 'id');

describe.skipIf(!up)('typed hashes: PostgreSQL through COPY ↔ DuckDB', () => {
  let database: TestDatabase;
  let dir: string;
  let duckdbUrl: string;
  let postgres: VerifyEndpoint;
  let duckdb: VerifyEndpoint;
  let ids: KeyTuple[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-typed-hash-'));
    database = await createTestDatabase('verify_typed_hash');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(ALL_TYPES_DDL + ALL_TYPES_ROWS);
      const file = path.join(dir, 'copy.duckdb');
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      await copyToDuckdb(client, connection, TABLE, ALL_TYPES_COLUMNS, path.join(dir, 'all_types.csv'));
      connection.closeSync();
      instance.closeSync();
      duckdbUrl = `duckdb:${file}`;
      const { rows } = await client.query<{ k: string }>(
        'SELECT id::text AS k FROM public.all_types ORDER BY id',
      );
      ids = rows.map((row) => [row.k]);
    } finally {
      await client.end();
    }
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
    // Bounds at every id after the first: bucket i holds exactly the i-th row.
    const bounds = ids.slice(1);
    const hash = (endpoint: VerifyEndpoint, b: readonly KeyTuple[]) =>
      endpoint.typedRangeHashes?.(TABLE, ALL_TYPES_COLUMNS, KEY, [WHOLE_TABLE], b);
    const [left, right] = await Promise.all([hash(postgres, bounds), hash(duckdb, bounds)]);
    expect(left?.size).toBe(12);
    expect([...(left?.values() ?? [])].every((bucket) => bucket.rows === 1)).toBe(true);
    expect(right).toEqual(left);
    const [leftTotal, rightTotal] = await Promise.all([hash(postgres, []), hash(duckdb, [])]);
    expect(leftTotal?.get(0)?.rows).toBe(12);
    expect(rightTotal).toEqual(leftTotal);
    // The fast numbers are not the md5 sums: the two kinds are never compared with each other.
    const md5 = await postgres.rangeHashes(TABLE, ALL_TYPES_COLUMNS, KEY, [WHOLE_TABLE], []);
    expect(md5.get(0)?.hashSum).not.toBe(leftTotal?.get(0)?.hashSum);
  });

  it('still finds a microsecond, a last digit, the sign of a zero and NULL for an empty string', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`
        UPDATE public.all_types SET instant = instant + interval '1 microsecond' WHERE id = 1;
        UPDATE public.all_types SET amount = amount + 0.000000001 WHERE id = 6;
        UPDATE public.all_types SET score = '-0', name = NULL WHERE id = 3;
        UPDATE public.all_types SET ratio = '0' WHERE id = 102;
        UPDATE public.all_types SET attrs = '[1]' WHERE id = 5;`);
    } finally {
      await client.end();
    }
    // Row by row, exactly the changed rows' hashes differ.
    const bounds = ids.slice(1);
    const [left, right] = await Promise.all(
      [postgres, duckdb].map((endpoint) =>
        endpoint.typedRangeHashes?.(TABLE, ALL_TYPES_COLUMNS, KEY, [WHOLE_TABLE], bounds),
      ),
    );
    const differing = ids
      .filter((_, bucket) => left?.get(bucket)?.hashSum !== right?.get(bucket)?.hashSum)
      .map(([id]) => id);
    expect(differing).toEqual(['1', '3', '5', '6', '102']);
    const report = await verifyEndpoints({ from: database.url, to: duckdbUrl, tables: ['all_types'] });
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
});
