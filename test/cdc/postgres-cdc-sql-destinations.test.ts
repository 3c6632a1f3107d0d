/**
 * PostgreSQL change data capture and cursor-incremental syncs into the SQL destinations (a
 * DuckDB file, and a database on the machine's PostgreSQL), through the CLI: the position each
 * run resumes from is the one committed in `_sluice_state` with the data, and after every run
 * the destination equals the source row by row.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import type { CliResult } from '../helpers/run-cli.js';
import type { SqlCopy } from '../helpers/sql-destination-diff.js';
import { diffSqlCopy } from '../helpers/sql-destination-diff.js';
import type { CdcCliReport } from './pg-cdc-helpers.js';
import { ITEM_CHANGES, okReport, sql } from './pg-cdc-helpers.js';

const IDENTICAL = { missing: [], extra: [], changed: [] } as const;

let server: EmbeddedPostgresServer;
let destinationDb: TestDatabase;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'sluice-cdc-sql-'));

beforeAll(async () => {
  server = await startEmbeddedPostgres({
    logical: true,
    databases: ['cdc_to_duckdb', 'cdc_to_postgres', 'incr_to_duckdb'],
  });
  destinationDb = await createTestDatabase('cdc_sql_dest');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await destinationDb?.drop();
});

/** `sluice sync` of `tables` from `from` to `to`, with its own control database. */
function sync(from: string, to: string, tables: string[], args: string[]): Promise<CliResult> {
  return runCli([
    'sync',
    '--from',
    from,
    '--to',
    to,
    '--tables',
    tables.join(','),
    '--json',
    '--control',
    `sqlite:${path.join(scratch, `control-${path.basename(to)}.db`)}`,
    ...args,
  ]);
}

const CDC = ['--mode', 'cdc', '--until-caught-up'];

async function expectIdentical(url: string, tables: string[], copy: SqlCopy): Promise<void> {
  for (const table of tables) {
    const diff = await diffSqlCopy(url, table, copy);
    expect({ table, ...diff }).toMatchObject({ table, ...IDENTICAL, copyRows: diff.sourceRows });
  }
}

const destinations: { name: string; database: string; to: () => string; copy: () => SqlCopy }[] = [
  {
    name: 'a DuckDB file',
    database: 'cdc_to_duckdb',
    to: () => `duckdb:${path.join(scratch, 'cdc.duckdb')}`,
    copy: () => ({ duckdb: path.join(scratch, 'cdc.duckdb'), schema: 'public' }),
  },
  {
    name: 'a PostgreSQL database',
    database: 'cdc_to_postgres',
    to: () => `${destinationDb.url}?schema=replica`,
    copy: () => ({ postgres: destinationDb.url, schema: 'replica' }),
  },
];

describe.each(destinations)('sluice sync --mode cdc into $name', ({ database, to, copy }) => {
  it('snapshots once, then applies inserts, updates, deletes and truncates exactly', async () => {
    const url = server.url(database);
    const tables = ['items', 'readings'];
    await sql(
      url,
      'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)',
      'CREATE TABLE readings (day date, sensor int, value float8, PRIMARY KEY (day, sensor))',
      "INSERT INTO items SELECT g, 'item ' || g, g * 1.5, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g",
      "INSERT INTO readings SELECT '2024-06-01'::date + g, 1, g / 3.0 FROM generate_series(1, 300) g",
    );
    const first = okReport<CdcCliReport>(await sync(url, to(), tables, CDC));
    expect(first.cdc.snapshotted).toEqual(['public.items', 'public.readings']);
    expect(first.cdc.snapshotRows).toBe(800);
    await expectIdentical(url, tables, copy());

    await sql(
      url,
      ...ITEM_CHANGES,
      // Deleted and inserted again in one batch: the insert wins.
      "BEGIN; DELETE FROM items WHERE id = 3; INSERT INTO items VALUES (3, 'back', 9, now()); COMMIT",
      "UPDATE readings SET value = -value WHERE day < '2024-06-11'",
      "DELETE FROM readings WHERE day >= '2025-03-01'",
    );
    const second = okReport<CdcCliReport>(await sync(url, to(), tables, CDC));
    // Resumed from the position in _sluice_state: no second snapshot, only the changes.
    expect(second.cdc.snapshotted).toEqual([]);
    expect(second.cdc.caughtUp).toBe(true);
    expect(second.cdc.changes).toBeGreaterThan(0);
    await expectIdentical(url, tables, copy());

    await sql(
      url,
      "BEGIN; INSERT INTO items VALUES (600, 'before truncate', 1, now()); TRUNCATE items; INSERT INTO items VALUES (601, 'after truncate', 1, now()); COMMIT",
      "INSERT INTO items VALUES (602, 'later', 3, now())",
      "UPDATE readings SET sensor = 2 WHERE day = '2024-06-20'",
    );
    const third = okReport<CdcCliReport>(await sync(url, to(), tables, CDC));
    expect(third.cdc.snapshotted).toEqual([]);
    await expectIdentical(url, tables, copy());

    // Nothing changed: a run applies nothing and the tables stay equal.
    const idle = okReport<CdcCliReport>(await sync(url, to(), tables, CDC));
    expect(idle.cdc.snapshotted).toEqual([]);
    expect(idle.cdc.changes).toBe(0);
    await expectIdentical(url, tables, copy());
  }, 180_000);

  it('stops on a new column with a precise error, and --resnapshot recovers', async () => {
    const url = server.url(database);
    await sql(
      url,
      'CREATE TABLE evolving (id int PRIMARY KEY, a text)',
      "INSERT INTO evolving SELECT g, 'a' || g FROM generate_series(1, 20) g",
    );
    okReport<CdcCliReport>(await sync(url, to(), ['evolving'], CDC));
    await sql(url, 'ALTER TABLE evolving ADD COLUMN b int', "INSERT INTO evolving VALUES (21, 'x', 7)");
    const refused = await sync(url, to(), ['evolving'], CDC);
    // SCHEMA_CHANGE is a run-time failure (exit 1), not retried: the run stops, nothing is skipped.
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/"b" is new.*SQL destinations do not change a table's columns/);
    expect(refused.stderr).toMatch(/--resnapshot/);
    const recovered = okReport<CdcCliReport>(await sync(url, to(), ['evolving'], [...CDC, '--resnapshot']));
    expect(recovered.cdc.snapshotted).toEqual(['public.evolving']);
    await expectIdentical(url, ['evolving'], copy());
  }, 120_000);
});

describe('sluice sync --mode incremental into a DuckDB file', () => {
  it('reads only what changed since the position committed with the data', async () => {
    const url = server.url('incr_to_duckdb');
    const file = path.join(scratch, 'incremental.duckdb');
    const copy: SqlCopy = { duckdb: file, schema: 'public' };
    await sql(
      url,
      'CREATE TABLE orders (id int PRIMARY KEY, status text, total numeric(12,2), updated_at timestamptz NOT NULL)',
      "INSERT INTO orders SELECT g, 'new', g * 2.5, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 400) g",
    );
    const args = ['--mode', 'incremental', '--cursor', 'updated_at'];
    const first = okReport<{ rowsRead: number }>(await sync(url, `duckdb:${file}`, ['orders'], args));
    expect(first.rowsRead).toBe(400);
    await expectIdentical(url, ['orders'], copy);

    await sql(
      url,
      "UPDATE orders SET status = 'paid', updated_at = '2025-01-01' WHERE id <= 30",
      "INSERT INTO orders SELECT g, 'new', g, '2025-01-02'::timestamptz FROM generate_series(401, 420) g",
    );
    const second = okReport<{ rowsRead: number }>(await sync(url, `duckdb:${file}`, ['orders'], args));
    // The window starts at the committed position, inclusive: the 50 changed rows plus the one
    // row at the old maximum (id 400). Without the position it would read all 420.
    expect(second.rowsRead).toBe(51);
    await expectIdentical(url, ['orders'], copy);
  }, 120_000);
});
