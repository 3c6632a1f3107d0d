/**
 * PostgreSQL change data capture end to end, through the CLI, against an embedded PostgreSQL
 * with wal_level=logical: every check compares the lake with the source row by row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import { IDENTICAL, diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import { cdcSync, okReport, scratchLake, sql } from './pg-cdc-helpers.js';

let server: EmbeddedPostgresServer;
let url: string;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ logical: true, databases: ['cdc_basic'] });
  url = server.url('cdc_basic');
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('sluice sync --mode cdc (PostgreSQL)', () => {
  it('snapshots, then applies inserts, updates, deletes and truncates', async () => {
    const target = scratchLake('cdc-basic');
    await sql(
      url,
      'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)',
      "INSERT INTO items SELECT g, 'item ' || g, g * 1.5, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g",
    );
    const first = okReport(await cdcSync(url, target));
    expect(first.cdc.snapshotted).toEqual(['public.items']);
    expect(first.cdc.snapshotRows).toBe(500);
    expect(await diffPostgresTable(url, target.lake, 'items')).toMatchObject(IDENTICAL);

    await sql(
      url,
      "INSERT INTO items VALUES (501, 'new', 1.25, now())",
      "UPDATE items SET name = 'renamed' WHERE id <= 10",
      'DELETE FROM items WHERE id BETWEEN 20 AND 29',
      'BEGIN; UPDATE items SET price = 0 WHERE id = 1; UPDATE items SET price = 2 WHERE id = 1; COMMIT',
      "BEGIN; INSERT INTO items VALUES (999, 'rolled back', 0, now()); ROLLBACK",
    );
    const second = okReport(await cdcSync(url, target));
    expect(second.cdc.snapshotted).toEqual([]);
    expect(second.cdc.caughtUp).toBe(true);
    expect(second.cdc.changes).toBe(1 + 10 + 10 + 2);
    expect(await diffPostgresTable(url, target.lake, 'items')).toMatchObject(IDENTICAL);

    await sql(
      url,
      "BEGIN; INSERT INTO items VALUES (600, 'before truncate', 1, now()); TRUNCATE items; INSERT INTO items VALUES (601, 'after truncate', 1, now()); COMMIT",
      "INSERT INTO items VALUES (602, 'later', 3, now())",
    );
    okReport(await cdcSync(url, target));
    const diff = await diffPostgresTable(url, target.lake, 'items');
    expect(diff).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(2);
  }, 120_000);
});
