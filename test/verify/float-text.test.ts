/**
 * Floats are the one type whose text differs between engines (`1` vs `1.0`, `1e+15` vs
 * `1000000000000000.0`, `NaN` vs `nan`): the canonical form must erase the layout and keep every
 * bit. Checked on tens of thousands of random doubles and floats across the whole exponent range.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import {
  duckdbRows,
  pgRows,
  tableFingerprint,
  tableRowHashes,
} from '../../src/verify/fingerprint-queries.js';
import { canonicalFloat32, canonicalFloat64 } from '../../src/verify/float-text.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';
import type { TableRef } from '../../src/verify/row-hash.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { copyToDuckdb } from './copy-to-duckdb.js';

describe('canonical float text', () => {
  it.each([
    [1, '4503599627370496p0'],
    [0.5, '4503599627370496p-1'],
    [-3, '-6755399441055744p1'],
    [0.1, '7205759403792794p-4'],
    [5e-324, '1p-1022'],
    [2.2250738585072014e-308, '4503599627370496p-1022'],
    [Number.MAX_VALUE, '9007199254740991p1023'],
    [0, '0'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ])('%s → %s', (value, canonical) => {
    expect(canonicalFloat64(value)).toBe(canonical);
  });

  it('renders a float32 by its exact float64 widening', () => {
    expect(canonicalFloat32(0.1)).toBe(canonicalFloat64(Math.fround(0.1)));
    expect(canonicalFloat32(0.1)).not.toBe(canonicalFloat64(0.1));
  });
});

const up = await serviceAvailable('PostgreSQL', 5432);
const TABLE: TableRef = { namespace: 'public', name: 'floats' };
const COLUMNS: CanonicalColumn[] = [
  { name: 'id', type: { kind: 'int64' }, nullable: false, sourceType: 'bigint' },
  { name: 'f8', type: { kind: 'float64' }, nullable: true, sourceType: 'double precision' },
  { name: 'f4', type: { kind: 'float32' }, nullable: true, sourceType: 'real' },
  { name: 'f4_power_of_two', type: { kind: 'float32' }, nullable: true, sourceType: 'real' },
  { name: 'f8_edge', type: { kind: 'float64' }, nullable: true, sourceType: 'double precision' },
];
const ROWS = 40_000;

describe.skipIf(!up)('random floats agree across PostgreSQL, DuckDB and SQLite', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-floats-'));
    database = await createTestDatabase('verify_floats');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // Every decimal exponent from 1e-300 to 1e300 for doubles and 1e-38 to 1e38 for floats,
    // integers, every power of two of both widths, subnormals and values near the largest double.
    await client.query(`
      SELECT setseed(0.42);
      CREATE TABLE public.floats AS
      SELECT g AS id,
        CASE WHEN g % 5 = 0 THEN (g * 1000)::float8
             ELSE (random() - 0.5) * power(10::float8, (random() * 600 - 300)::int) END AS f8,
        ((random() - 0.5) * power(10::float8, (random() * 76 - 38)::int))::float4 AS f4,
        CASE WHEN g % 277 < 276 THEN power(2::float8, (g % 277) - 149)::float4 END AS f4_power_of_two,
        CASE g % 4
          WHEN 0 THEN (random() - 0.5) * 4.4e-308
          WHEN 1 THEN power(2::float8, (g % 2046) - 1022)
          WHEN 2 THEN (random() - 0.5) * 1.79e308 * 2
          ELSE power(2::float8, (g % 1990) - 970) * (1 + random()) * (CASE WHEN g % 8 = 3 THEN -1 ELSE 1 END)
        END AS f8_edge
      FROM generate_series(1, ${ROWS}) g;`);
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('DuckDB renders every value as PostgreSQL does', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    try {
      await copyToDuckdb(client, duck, TABLE, COLUMNS, path.join(dir, 'floats.csv'));
      const diff = diffRowHashes(
        await tableRowHashes('postgres', pgRows(client), TABLE, COLUMNS, ['id']),
        await tableRowHashes('duckdb', duckdbRows(duck), TABLE, COLUMNS, ['id']),
      );
      expect(diff.changed.slice(0, 10)).toEqual([]);
      expect(await tableFingerprint('duckdb', duckdbRows(duck), TABLE, COLUMNS)).toEqual(
        await tableFingerprint('postgres', pgRows(client), TABLE, COLUMNS),
      );
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  });

  it('JavaScript renders every value read back from SQLite as PostgreSQL does', async () => {
    const { DatabaseSync } = nodeSqlite();
    const sqlite = new DatabaseSync(':memory:');
    try {
      sqlite.exec(
        'CREATE TABLE floats (id INTEGER PRIMARY KEY, f8 REAL, f4 REAL, f4_power_of_two REAL, f8_edge REAL)',
      );
      const { rows } = await client.query<{ id: string; floats: (string | null)[] }>(
        'SELECT id::text, ARRAY[f8::text, f4::text, f4_power_of_two::text, f8_edge::text] AS floats FROM public.floats',
      );
      const insert = sqlite.prepare('INSERT INTO floats VALUES (?, ?, ?, ?, ?)');
      sqlite.exec('BEGIN');
      for (const row of rows) {
        // PostgreSQL's float text reads back to the same double (extra_float_digits is 1 by default).
        insert.run(BigInt(row.id), ...row.floats.map((text) => (text === null ? null : Number(text))));
      }
      sqlite.exec('COMMIT');
      const diff = diffRowHashes(
        await tableRowHashes('postgres', pgRows(client), TABLE, COLUMNS, ['id']),
        sqliteRowHashes(sqlite, { namespace: 'main', name: 'floats' }, COLUMNS, ['id']),
      );
      expect(diff.changed.slice(0, 10)).toEqual([]);
    } finally {
      sqlite.close();
    }
  });
});
