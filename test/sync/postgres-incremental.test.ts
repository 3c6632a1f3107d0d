/**
 * Cursor-based incremental syncs from PostgreSQL into the lake: the first run reads every row,
 * later runs only rows at or above the committed position (merged by key); NULL cursors are read
 * on every run; a soft-delete column deletes rows in the lake; settings that would duplicate or
 * lose rows are refused. Every check compares the lake with the source row by row.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import type { SyncRequest } from '../../src/sync/sync-report.js';
import { lakePosition, syncIncrementally } from '../helpers/incremental-sync.js';
import { diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { MACHINE_PG, createTestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { ordersScenario, reconcileDeletesScenario, softDeleteScenario } from './incremental-scenarios.js';
import type { IncrementalSource } from './incremental-scenarios.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!pgUp)('incremental syncs from PostgreSQL by a cursor column', () => {
  let db: TestDatabase;
  let dir: string;
  let lake: string;
  beforeAll(async () => {
    db = await createTestDatabase('pg_incremental');
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-pg-incr-'));
    lake = path.join(dir, 'lake');
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = (table: string, extra: Partial<SyncRequest> = {}) =>
    syncIncrementally(`${db.url}?schema=public`, lake, table, extra);
  const position = (table: string) => lakePosition(lake, 'public', table);

  const source: IncrementalSource = {
    sql: (statements) => db.sql(statements),
    sync,
    position,
    diff: (table, relation) => diffPostgresTable(db.url, lake, table, relation),
  };

  it('reads every row first, then the rows at or above the position, merged by key', async () => {
    await ordersScenario(source, {
      create: `CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz, note text);
        INSERT INTO orders SELECT i, '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', 'v1 ' || i
          FROM generate_series(1, 50) i;
        INSERT INTO orders VALUES (51, NULL, 'no cursor')`,
      firstCursor: '2024-01-01 00:50:00+00',
      change: `UPDATE orders SET note = 'v2', updated_at = '2024-02-01 00:00:00+00' WHERE id IN (3, 7);
        INSERT INTO orders VALUES (52, '2024-02-01 00:00:00+00', 'new');
        UPDATE orders SET note = 'same boundary' WHERE id = 50`,
    });
  });

  it('deletes rows a soft-delete column marks, and keeps reading past them', async () => {
    await softDeleteScenario(source, {
      create: `CREATE TABLE accounts (id int PRIMARY KEY, updated_at timestamp NOT NULL, deleted_at timestamp, name text);
        INSERT INTO accounts SELECT i, '2024-01-01'::timestamp + i * interval '1 hour', NULL, 'a' || i FROM generate_series(1, 20) i;
        CREATE VIEW accounts_live AS SELECT * FROM accounts WHERE deleted_at IS NULL`,
      change: `UPDATE accounts SET deleted_at = '2024-03-01', updated_at = '2024-03-01' WHERE id IN (2, 5);
        UPDATE accounts SET name = 'renamed', updated_at = '2024-03-01' WHERE id = 9`,
    });
  });

  it('--reconcile-deletes deletes the rows whose key the source no longer has (composite text key)', async () => {
    await reconcileDeletesScenario(source, {
      create: `CREATE TABLE stock (shop text, sku text, updated_at timestamptz NOT NULL, qty int, PRIMARY KEY (shop, sku));
        INSERT INTO stock SELECT 'shop ' || (i % 3), 'sku,"' || i, '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', i
          FROM generate_series(1, 40) i`,
      change: `DELETE FROM stock WHERE qty IN (3, 17, 40);
        UPDATE stock SET qty = 1000, updated_at = '2024-03-01 00:00:00+00' WHERE qty = 5`,
    });
  });

  it('refuses --reconcile-deletes outside cursor-based incremental syncs', async () => {
    await db.sql(`CREATE TABLE plain (id int PRIMARY KEY, updated_at timestamptz)`);
    const full = await sync('plain', { mode: 'full', reconcileDeletes: true }).catch((e: unknown) => e);
    expect(isSluiceError(full, 'USAGE') && full.message, String(full)).toContain('--reconcile-deletes');
  });

  it('refuses append (re-read rows would repeat) and a cursor without an exact order', async () => {
    await db.sql(`CREATE TABLE notes (id int PRIMARY KEY, updated_at timestamptz, body text, score float8)`);
    const append = await sync('notes', { disposition: 'append' }).catch((e: unknown) => e);
    expect(isSluiceError(append, 'USAGE') && append.hint, String(append)).toContain('--disposition merge');
    const float = await sync('notes', { cursor: 'score' }).catch((e: unknown) => e);
    expect(isSluiceError(float, 'USAGE') && float.message, String(float)).toContain('cannot be a cursor');
    const missing = await sync('notes', { cursor: 'nope' }).catch((e: unknown) => e);
    expect(isSluiceError(missing, 'USAGE') && missing.hint, String(missing)).toContain('updated_at');
  });

  it('fails with a GRANT hint when it cannot see how old other roles’ transactions are', async () => {
    const role = `sluice_t_incr_${process.pid}`;
    await db.sql(`CREATE TABLE hidden (id int PRIMARY KEY, updated_at timestamptz);
      DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN;
      GRANT SELECT ON hidden TO ${role}`);
    // A session of another role (postgres) stays connected while the restricted role reads.
    const other = new pg.Client({ ...MACHINE_PG, database: db.name });
    await other.connect();
    try {
      const from = `postgres://${role}@${MACHINE_PG.host}:${MACHINE_PG.port}/${db.name}?schema=public`;
      const report = await sync('hidden', { from });
      expect(report.status).toBe('failed');
      expect(report.streams[0]?.error).toContain('pg_read_all_stats');
    } finally {
      await other.end();
      await db.sql(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});
