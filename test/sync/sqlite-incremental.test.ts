/**
 * Cursor-based incremental syncs from SQLite into the lake: every row first, then the rows at or
 * above the position (the boundary value again, NULL cursors always), merged by key; a
 * soft-delete column deletes rows. The lake is compared with the source row by row.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { runSync } from '../../src/sync/run-sync.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { diffAgainstLake } from '../helpers/lake-content.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sqlite-incr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('incremental syncs from SQLite by a cursor column', () => {
  it('reads new and changed rows, re-reads the boundary and NULL cursors, deletes soft-deleted rows', async () => {
    const file = path.join(dir, 'shop.db');
    const lake = path.join(dir, 'lake');
    const source = new (nodeSqlite().DatabaseSync)(file);
    const sync = () =>
      runSync({
        from: `sqlite:${file}`,
        to: `lake:${lake}`,
        tables: ['items'],
        mode: 'incremental',
        cursor: 'updated_at',
        softDeleteColumn: 'deleted',
        retry: { attempts: 1 },
      });
    const expectLakeEqualsLiveRows = async () => {
      const streams = await discoverSource(`sqlite:${file}`);
      const diffs = await diffAgainstLake(lake, streams, async (stream, columns) =>
        sqliteRowHashes(source, { namespace: 'main', name: 'items_live' }, columns, stream.primaryKey),
      );
      expect(diffs.get('main.items')).toMatchObject({ missing: [], extra: [], changed: [] });
    };
    try {
      source.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, updated_at DATETIME, deleted BOOLEAN NOT NULL DEFAULT 0, name TEXT);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
        INSERT INTO items SELECT i, printf('2024-01-01 00:%02d:00', i), 0, 'item ' || i FROM n;
        INSERT INTO items VALUES (31, NULL, 0, 'no cursor');
        CREATE VIEW items_live AS SELECT * FROM items WHERE NOT deleted`);
      const first = await sync();
      expect(first.status, JSON.stringify(first)).toBe('succeeded');
      expect(first.rowsRead).toBe(31);

      source.exec(`UPDATE items SET name = 'changed', updated_at = '2024-02-01 00:00:00' WHERE id IN (4, 8);
        UPDATE items SET deleted = 1, updated_at = '2024-02-01 00:00:00' WHERE id = 12;
        INSERT INTO items VALUES (32, '2024-02-01 00:00:00', 0, 'new')`);
      const second = await sync();
      expect(second.status, JSON.stringify(second)).toBe('succeeded');
      // 4, 8, 12 (a delete), 32, the boundary row 30 and the NULL-cursor row 31.
      expect(second.rowsRead).toBe(6);
      await expectLakeEqualsLiveRows();
    } finally {
      source.close();
    }
  });

  it('--reconcile-deletes deletes the rows whose key the source no longer has', async () => {
    const file = path.join(dir, 'stock.db');
    const lake = path.join(dir, 'stock-lake');
    const source = new (nodeSqlite().DatabaseSync)(file);
    const sync = (reconcileDeletes: boolean) =>
      runSync({
        from: `sqlite:${file}`,
        to: `lake:${lake}`,
        tables: ['stock'],
        mode: 'incremental',
        cursor: 'updated_at',
        reconcileDeletes,
        retry: { attempts: 1 },
      });
    const diff = async () => {
      const streams = await discoverSource(`sqlite:${file}`);
      const diffs = await diffAgainstLake(lake, streams, async (stream, columns) =>
        sqliteRowHashes(source, { namespace: 'main', name: 'stock' }, columns, stream.primaryKey),
      );
      return diffs.get('main.stock')!;
    };
    try {
      source.exec(`CREATE TABLE stock (id INTEGER PRIMARY KEY, updated_at INTEGER NOT NULL, name TEXT);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
        INSERT INTO stock SELECT i, i * 10, 'item ' || i FROM n`);
      expect((await sync(true)).rowsRead).toBe(25);
      // Every row goes, then one comes back: an empty table is reconciled too.
      source.exec(`DELETE FROM stock; INSERT INTO stock VALUES (99, 5, 'back, below the position')`);
      expect((await diff()).extra).toHaveLength(25);
      const reconciled = await sync(true);
      expect(reconciled.status, JSON.stringify(reconciled)).toBe('succeeded');
      // Row 99's cursor is below the position: only reconciliation could not bring it; it stays missing.
      expect(reconciled.streams[0]?.rowsDeleted).toBe(25);
      expect(await diff()).toMatchObject({ missing: ['99'], extra: [], changed: [] });
      // The CLI flag: a usage error outside cursor reads (exit 2); with a cursor, deletes counted in the JSON report.
      const cli = (...flags: string[]) =>
        runCli([
          'sync',
          '--from',
          `sqlite:${file}`,
          '--to',
          `lake:${lake}`,
          '--tables',
          'stock',
          '--reconcile-deletes',
          ...flags,
        ]);
      const usage = await cli();
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--reconcile-deletes applies to cursor-based incremental syncs');
      source.exec(`DELETE FROM stock WHERE id = 99; INSERT INTO stock VALUES (100, 1000, 'new')`);
      const viaCli = await cli('--mode', 'incremental', '--cursor', 'updated_at', '--json');
      expect(viaCli.code, viaCli.stderr).toBe(0);
      expect(JSON.parse(viaCli.stdout)).toMatchObject({ streams: [{ rowsDeleted: 0 }] });
      expect(await diff()).toMatchObject({ missing: [], extra: [], changed: [], lakeRows: 1 });

      source.exec(`DELETE FROM stock`);
      const emptied = await sync(true);
      expect(emptied.streams[0]?.rowsDeleted).toBe(1);
      expect(await diff()).toMatchObject({ missing: [], extra: [], changed: [], lakeRows: 0 });
    } finally {
      source.close();
    }
  });
});
