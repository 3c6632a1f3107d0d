/**
 * The cursor-incremental scenarios every SQL source must pass (PostgreSQL, MariaDB): the steps
 * and the row counts are the engine's business nowhere, only the fixture SQL is; each engine's
 * test gives its dialect's statements and how to diff a table against the lake.
 */
import { expect } from 'vitest';
import type { SourcePosition } from '../../src/core/stream.js';
import type { SyncReport, SyncRequest } from '../../src/sync/sync-report.js';
import { IDENTICAL } from '../helpers/postgres-lake-diff.js';
import type { TableDiff } from '../helpers/postgres-lake-diff.js';

/** One source database under test, with its lake. */
export interface IncrementalSource {
  /** Runs statements at the source. */
  sql(statements: string): Promise<unknown>;
  /** Syncs `table` incrementally by `updated_at`; `extra` overrides any setting. */
  sync(table: string, extra?: Partial<SyncRequest>): Promise<SyncReport>;
  /** The position the lake table was last committed with. */
  position(table: string): Promise<SourcePosition | null>;
  /** The source table (or `relation`, a view of the rows expected) against the lake table, row by row. */
  diff(table: string, relation?: string): Promise<TableDiff>;
}

/** The `orders` fixture in one dialect. */
export interface OrdersFixture {
  /** Creates `orders (id, updated_at, note)`: ids 1–50 with cursors up to 2024-01-01 00:50, and 51 with a NULL cursor. */
  create: string;
  /** The position after the first read: the highest cursor in canonical text. */
  firstCursor: string;
  /** Moves 3 and 7 to 2024-02-01, inserts 52 at 2024-02-01, and changes row 50 without moving its cursor. */
  change: string;
}

/** Reads every row first, then the rows at or above the position, merged by key. */
export async function ordersScenario(source: IncrementalSource, fixture: OrdersFixture): Promise<void> {
  await source.sql(fixture.create);
  const first = await source.sync('orders');
  expect(first.status, JSON.stringify(first)).toBe('succeeded');
  expect(first.rowsRead).toBe(51);
  // The server's clock is far past 2024, so the position is the maximum read, in canonical text.
  expect(await source.position('orders')).toEqual({
    cursorColumn: 'updated_at',
    cursor: fixture.firstCursor,
  });

  // Two updates, an insert, and a row that takes the boundary value after the read.
  await source.sql(fixture.change);
  const second = await source.sync('orders');
  expect(second.status, JSON.stringify(second)).toBe('succeeded');
  // 3, 7, 52, the boundary row 50 (>=), and the NULL-cursor row 51 (read on every run).
  expect(second.rowsRead).toBe(5);
  expect(await source.diff('orders')).toMatchObject({ ...IDENTICAL, lakeRows: 52 });

  const idle = await source.sync('orders');
  expect(idle.rowsRead).toBe(4); // the boundary rows 3, 7, 52, and 51
  expect(await source.diff('orders')).toMatchObject({ ...IDENTICAL, lakeRows: 52 });
}

/** A two-step fixture in one dialect: the table, then the changes the next sync must carry. */
export interface ChangeFixture {
  /** Creates and fills the table (and any view the scenario names). */
  create: string;
  /** The changes made after the first sync. */
  change: string;
}

/**
 * Deletes rows a soft-delete column marks, and keeps reading past them. `create` makes
 * `accounts (id, updated_at, deleted_at, name)` with 20 live rows and the view `accounts_live`
 * of the rows without `deleted_at`; `change` marks 2 of them deleted and renames one, all with
 * a later cursor.
 */
export async function softDeleteScenario(source: IncrementalSource, fixture: ChangeFixture): Promise<void> {
  await source.sql(fixture.create);
  const options = { softDeleteColumn: 'deleted_at' };
  expect((await source.sync('accounts', options)).status).toBe('succeeded');
  await source.sql(fixture.change);
  const report = await source.sync('accounts', options);
  expect(report.status, JSON.stringify(report)).toBe('succeeded');
  // The merge's content was proved at run time (chunk fingerprints, lake/merge/merge-check.ts).
  expect(report.streams[0]?.verifiedBy).toBe('content');
  expect(await source.diff('accounts', 'accounts_live')).toMatchObject({ ...IDENTICAL, lakeRows: 18 });
}

/**
 * `--reconcile-deletes` deletes the rows whose key the source no longer has. `create` makes
 * `stock` with 40 rows; `change` deletes 3 and moves one row's cursor on.
 */
export async function reconcileDeletesScenario(
  source: IncrementalSource,
  fixture: ChangeFixture,
): Promise<void> {
  await source.sql(fixture.create);
  expect((await source.sync('stock', { reconcileDeletes: true })).rowsRead).toBe(40);
  await source.sql(fixture.change);
  // Without reconciliation the cursor read cannot see the deletes: the lake keeps three rows too many.
  const plain = await source.sync('stock');
  expect(plain.status, JSON.stringify(plain)).toBe('succeeded');
  expect((await source.diff('stock')).extra).toHaveLength(3);

  const reconciled = await source.sync('stock', { reconcileDeletes: true });
  expect(reconciled.status, JSON.stringify(reconciled)).toBe('succeeded');
  expect(reconciled.streams[0]?.rowsDeleted).toBe(3);
  // The staged deletes are checked like any chunk (their content, then the commit's count).
  expect(reconciled.streams[0]?.verifiedBy).toBe('content');
  expect(await source.diff('stock')).toMatchObject({ ...IDENTICAL, lakeRows: 37 });
  // Nothing left to delete: the next run stages no deletes.
  const again = await source.sync('stock', { reconcileDeletes: true });
  expect(again.streams[0]?.rowsDeleted).toBe(0);
  expect(await source.diff('stock')).toMatchObject({ ...IDENTICAL, lakeRows: 37 });
}
