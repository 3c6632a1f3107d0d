/**
 * Cursor-based incremental syncs from MariaDB into the lake: the first run reads every row, later
 * runs only rows at or above the committed position (merged by key); NULL cursors are read on
 * every run; a soft-delete column deletes rows in the lake; a user without PROCESS cannot see
 * the open transactions and fails with a GRANT hint. Every check compares content row by row.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncRequest } from '../../src/sync/sync-report.js';
import { lakePosition, syncIncrementally } from '../helpers/incremental-sync.js';
import { diffMariadbTable } from '../helpers/mariadb-lake-diff.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { MACHINE_MARIADB, createTestMariaDb, createTestMariaDbUser } from '../helpers/mariadb.js';
import { IDENTICAL } from '../helpers/postgres-lake-diff.js';
import { serviceAvailable } from '../helpers/services.js';
import { ordersScenario, reconcileDeletesScenario, softDeleteScenario } from './incremental-scenarios.js';
import type { IncrementalSource } from './incremental-scenarios.js';

const mariadbUp = await serviceAvailable('MariaDB', 3306);

describe.skipIf(!mariadbUp)('incremental syncs from MariaDB by a cursor column', () => {
  let db: TestMariaDb;
  let dir: string;
  let lake: string;
  beforeAll(async () => {
    db = await createTestMariaDb('incremental');
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-mariadb-incr-'));
    lake = path.join(dir, 'lake');
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = (table: string, extra: Partial<SyncRequest> = {}) =>
    syncIncrementally(db.url, lake, table, extra);
  const position = (table: string) => lakePosition(lake, db.name, table);

  const source: IncrementalSource = {
    sql: (statements) => db.sql(statements),
    sync,
    position,
    diff: (table, relation) => diffMariadbTable(db, lake, table, relation),
  };

  it('reads every row first, then the rows at or above the position, merged by key', async () => {
    await ordersScenario(source, {
      create: `CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamp(3) NULL, note text);
        INSERT INTO orders SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq MINUTE, CONCAT('v1 ', seq) FROM seq_1_to_50;
        UPDATE orders SET updated_at = '2024-01-01 00:50:00.250' WHERE id = 50;
        INSERT INTO orders VALUES (51, NULL, 'no cursor')`,
      firstCursor: '2024-01-01 00:50:00.25+00',
      change: `UPDATE orders SET note = 'v2', updated_at = '2024-02-01 00:00:00' WHERE id IN (3, 7);
        INSERT INTO orders VALUES (52, '2024-02-01 00:00:00', 'new');
        UPDATE orders SET note = 'same boundary' WHERE id = 50`,
    });
  });

  it('follows an integer cursor to its maximum (no clock horizon)', async () => {
    await db.sql(`CREATE TABLE ledger (id int PRIMARY KEY, updated_at bigint NOT NULL, amount decimal(12,2));
      INSERT INTO ledger SELECT seq, seq * 10, seq / 4 FROM seq_1_to_30`);
    expect((await sync('ledger')).rowsRead).toBe(30);
    expect(await position('ledger')).toEqual({ cursorColumn: 'updated_at', cursor: '300' });
    await db.sql(
      `INSERT INTO ledger VALUES (31, 310, 1.25); UPDATE ledger SET amount = 99, updated_at = 320 WHERE id = 2`,
    );
    expect((await sync('ledger')).rowsRead).toBe(3); // 30 (boundary), 31, 2
    expect(await diffMariadbTable(db, lake, 'ledger')).toMatchObject({ ...IDENTICAL, lakeRows: 31 });
  });

  it('deletes rows a soft-delete column marks, and keeps reading past them', async () => {
    await softDeleteScenario(source, {
      create: `CREATE TABLE accounts (id int PRIMARY KEY, updated_at datetime NOT NULL, deleted_at datetime NULL, name text);
        INSERT INTO accounts SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq HOUR, NULL, CONCAT('a', seq) FROM seq_1_to_20;
        CREATE VIEW accounts_live AS SELECT * FROM accounts WHERE deleted_at IS NULL`,
      change: `UPDATE accounts SET deleted_at = '2024-03-01', updated_at = '2024-03-01' WHERE id IN (2, 5);
        UPDATE accounts SET name = 'renamed', updated_at = '2024-03-01' WHERE id = 9`,
    });
  });

  it('--reconcile-deletes deletes the rows whose key the source no longer has', async () => {
    await reconcileDeletesScenario(source, {
      create: `CREATE TABLE stock (sku varchar(20) PRIMARY KEY, updated_at datetime(6) NOT NULL, qty int);
        INSERT INTO stock SELECT CONCAT('sku-', seq), TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq MINUTE, seq FROM seq_1_to_40`,
      change: `DELETE FROM stock WHERE qty IN (1, 22, 40); UPDATE stock SET qty = 7000, updated_at = '2024-03-01' WHERE qty = 7`,
    });
  });

  it('the horizon waits for transactions that wrote, not for readers', async () => {
    await db.sql(`CREATE TABLE feed (id int PRIMARY KEY, updated_at datetime(6) NOT NULL) ENGINE=InnoDB;
      INSERT INTO feed VALUES (1, NOW(6) - INTERVAL 1 HOUR)`);
    const connect = () => mysql.createConnection({ ...MACHINE_MARIADB, database: db.name });
    const [reader, idle, writer] = await Promise.all([connect(), connect(), connect()]);
    try {
      // A long autocommit SELECT over the table and an open transaction that has only read.
      const slow = reader.query('SELECT SLEEP(4) FROM feed');
      await idle.query('BEGIN');
      await idle.query('SELECT count(*) FROM feed');
      const [opened] = await db.rows('SELECT CAST(NOW(6) AS CHAR) AS t');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await db.sql('INSERT INTO feed VALUES (2, NOW(6))');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await sync('feed')).status).toBe('succeeded');
      // Neither holds the position back below the time they were open (the server is shared with
      // other tests: a writer of theirs open across this sync could, which is right, but rare).
      const [after] = await db.rows('SELECT ? > ? AS after', [
        String((await position('feed'))?.cursor),
        opened?.t,
      ]);
      expect(String(after?.after)).toBe('1');

      // A transaction that wrote does: the position stays below its start.
      await writer.query('BEGIN');
      await writer.query('INSERT INTO feed VALUES (3, NOW(6))');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await db.sql('INSERT INTO feed VALUES (4, NOW(6))');
      expect((await sync('feed')).status).toBe('succeeded');
      const [below] = await db.rows('SELECT ? < (SELECT updated_at FROM feed WHERE id = 4) AS below', [
        String((await position('feed'))?.cursor),
      ]);
      expect(String(below?.below)).toBe('1');
      await writer.query('COMMIT');
      await slow;
    } finally {
      await Promise.all([reader.end(), idle.end(), writer.end()]);
    }
  });

  it('fails with a GRANT PROCESS hint when it cannot see the open transactions', async () => {
    await db.sql(`CREATE TABLE hidden (id int PRIMARY KEY, updated_at datetime(6))`);
    const user = await createTestMariaDbUser('incr', 'secret-pw', [`SELECT ON \`${db.name}\`.*`]);
    try {
      const from = `mysql://${user.name}:secret-pw@${MACHINE_MARIADB.host}:${MACHINE_MARIADB.port}/${db.name}`;
      const report = await sync('hidden', { from });
      expect(report.status).toBe('failed');
      expect(report.streams[0]?.error).toContain('GRANT PROCESS');
    } finally {
      await user.drop();
    }
  });
});
