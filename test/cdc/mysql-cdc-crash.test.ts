/**
 * The done-when test for MariaDB: a concurrent workload (many clients; inserts, updates
 * of the same rows, deletes, upserts, rolled-back and long transactions) runs against a private
 * MariaDB with the row binlog while `sluice sync --mode cdc` streams it into a lake; Sluice is
 * killed with SIGKILL twice mid-stream and restarted, its binlog connection is cut by the server once
 * (it resumes by itself), then it is stopped with SIGTERM, and a final
 * `--until-caught-up` run must leave the lake equal to the source, row by row.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffMariadbTable } from '../helpers/mariadb-lake-diff.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { IDENTICAL } from '../helpers/postgres-lake-diff.js';
import { mariadbServerInstalled, startPrivateMariaDb } from '../helpers/private-mariadb.js';
import type { PrivateMariaDbServer } from '../helpers/private-mariadb.js';
import { IN_CI } from '../helpers/services.js';
import { cdcSync, okReport, scratchLake, startSluice } from './pg-cdc-helpers.js';

const installed = mariadbServerInstalled();
if (!installed && IN_CI) throw new Error('the MariaDB server binaries are not installed (CI=true)');
if (!installed)
  console.warn('\n!!! SKIPPING the MariaDB CDC crash test: the MariaDB server binaries are not installed\n');

const HOT_ACCOUNTS = 40;
const CLIENTS = 8;

/** One client's loop of random work until `stop` is set; returns the operations it committed. */
async function client(server: PrivateMariaDbServer, db: TestMariaDb, seed: number, stop: { done: boolean }) {
  const connection = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: 'root',
    database: db.name,
  });
  let random = seed;
  const next = (n: number) => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return random % n;
  };
  let committed = 0;
  try {
    while (!stop.done) {
      const op = next(100);
      const id = 1 + next(HOT_ACCOUNTS);
      try {
        if (op < 35) {
          await connection.query('INSERT INTO events (account, payload) VALUES (?, ?)', [
            id,
            JSON.stringify({ n: next(1e6), s: 'x'.repeat(next(50)) }),
          ]);
        } else if (op < 65) {
          await connection.query(
            'UPDATE accounts SET balance = balance + ?, note = ?, updated = NOW(6) WHERE id = ?',
            [next(100) - 50, `c${seed}-${committed}`, id],
          );
        } else if (op < 75) {
          await connection.query('DELETE FROM events WHERE account = ? ORDER BY id LIMIT 3', [id]);
        } else if (op < 85) {
          await connection.query('START TRANSACTION');
          await connection.query('INSERT INTO events (account, payload) VALUES (?, \'{"rolled": "back"}\')', [
            id,
          ]);
          await connection.query('UPDATE accounts SET balance = -999999 WHERE id = ?', [id]);
          await connection.query('ROLLBACK');
        } else if (op < 90) {
          // A long transaction: changes spread over a second, committed together.
          await connection.query('START TRANSACTION');
          for (let i = 0; i < 5; i++) {
            await connection.query('INSERT INTO events (account, payload) VALUES (?, ?)', [
              id,
              JSON.stringify({ long: i }),
            ]);
            await connection.query('DO SLEEP(0.2)');
          }
          await connection.query('UPDATE accounts SET note = ? WHERE id = ?', [`long ${seed}`, id]);
          await connection.query('COMMIT');
        } else if (op < 95) {
          await connection.query(
            'INSERT INTO accounts (id, balance, note) VALUES (?, 0, ?) ON DUPLICATE KEY UPDATE balance = 0',
            [1000 + next(500), 'upsert'],
          );
        } else {
          await connection.query('DELETE FROM accounts WHERE id = ?', [1000 + next(500)]);
        }
        committed += 1;
      } catch {
        // Deadlocks between clients updating the same rows are part of the workload.
        await connection.query('ROLLBACK').catch(() => undefined);
      }
    }
  } finally {
    await connection.end();
  }
  return committed;
}

describe.skipIf(!installed)('MariaDB CDC under a concurrent workload', () => {
  let server: PrivateMariaDbServer;
  let db: TestMariaDb;

  beforeAll(async () => {
    server = await startPrivateMariaDb();
    db = await server.createDatabase('cdc_crash');
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('keeps the lake equal to MariaDB across two SIGKILLs and a cut binlog connection', async () => {
    const target = scratchLake('mysql-cdc-crash');
    await db.sql(
      `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note varchar(100), updated datetime(6));
       CREATE TABLE events (id bigint AUTO_INCREMENT PRIMARY KEY, account int NOT NULL, payload json);
       INSERT INTO accounts SELECT seq, 0, 'seed', NOW(6) FROM seq_1_to_2000;
       INSERT INTO events (account, payload) SELECT seq % ${HOT_ACCOUNTS} + 1, JSON_OBJECT('seed', seq) FROM seq_1_to_20000;`,
    );
    const stop = { done: false };
    const clients = Array.from({ length: CLIENTS }, (_, i) => client(server, db, i + 1, stop));
    const args = ['--all', '--batch-rows', '300', '--batch-ms', '200'];
    try {
      // The initial snapshot runs while the clients write.
      const first = startSluice(db.url, target, args);
      await first.commits(3);
      first.child.kill('SIGKILL');
      await first.exited;

      const second = startSluice(db.url, target, args);
      await second.commits(5);
      second.child.kill('SIGKILL');
      await second.exited;

      const third = startSluice(db.url, target, args);
      await third.commits(5);
      // The server cuts the binlog connection: the run resumes from its last commit by itself.
      const [dumps] = (await server.adminSql(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
      )) as [{ ID: string }[]];
      expect(dumps).toHaveLength(1);
      await server.adminSql(`KILL CONNECTION ${Number(dumps[0]?.ID)}`);
      // Batches read ahead may still land first; the retry follows within its backoff.
      for (let i = 0; i < 300 && !/retrying: .*resuming from the last commit/.test(third.stderr()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(third.stderr(), third.stderr().slice(-3000)).toMatch(
        /retrying: .*resuming from the last commit/,
      );
      await third.commits(5);
      stop.done = true;
      const committed = await Promise.all(clients);
      expect(committed.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
      await third.commits(1);
      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
    } finally {
      stop.done = true;
      await Promise.allSettled(clients);
    }
    const last = okReport(await cdcSync(db.url, target, ['--wait', '60s']));
    expect(last.cdc.caughtUp).toBe(true);
    for (const table of ['accounts', 'events']) {
      const diff = await diffMariadbTable(db, target.lake, table);
      expect(diff).toMatchObject(IDENTICAL);
      expect(diff.lakeRows).toBe(diff.sourceRows);
    }
  }, 300_000);
});
