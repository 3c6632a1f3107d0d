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
import { HOT_ACCOUNTS, runCrashScenario } from './cdc-workload.js';
import type { WorkloadStatements } from './cdc-workload.js';
import { cdcSync, okReport, scratchLake } from './pg-cdc-helpers.js';

const installed = mariadbServerInstalled();
if (!installed && IN_CI) throw new Error('the MariaDB server binaries are not installed (CI=true)');
if (!installed)
  console.warn('\n!!! SKIPPING the MariaDB CDC crash test: the MariaDB server binaries are not installed\n');

/** The workload in MariaDB's dialect. */
const MARIADB_STATEMENTS: WorkloadStatements = {
  begin: 'START TRANSACTION',
  insertEvent: 'INSERT INTO events (account, payload) VALUES (?, ?)',
  updateBalance: 'UPDATE accounts SET balance = balance + ?, note = ?, updated = NOW(6) WHERE id = ?',
  deleteEvents: 'DELETE FROM events WHERE account = ? ORDER BY id LIMIT 3',
  insertRolledBackEvent: 'INSERT INTO events (account, payload) VALUES (?, \'{"rolled": "back"}\')',
  poisonBalance: 'UPDATE accounts SET balance = -999999 WHERE id = ?',
  sleep: 'DO SLEEP(0.2)',
  updateNote: 'UPDATE accounts SET note = ? WHERE id = ?',
  upsertAccount:
    'INSERT INTO accounts (id, balance, note) VALUES (?, 0, ?) ON DUPLICATE KEY UPDATE balance = 0',
  deleteAccount: 'DELETE FROM accounts WHERE id = ?',
};

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
    await runCrashScenario({
      url: db.url,
      target,
      statements: MARIADB_STATEMENTS,
      connect: () =>
        mysql.createConnection({ host: server.host, port: server.port, user: 'root', database: db.name }),
      cutReplication: async () => {
        // The server cuts the binlog connection: the run resumes from its last commit by itself.
        const [dumps] = (await server.adminSql(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
        )) as [{ ID: string }[]];
        expect(dumps).toHaveLength(1);
        await server.adminSql(`KILL CONNECTION ${Number(dumps[0]?.ID)}`);
      },
    });
    const last = okReport(await cdcSync(db.url, target, ['--wait', '60s']));
    expect(last.cdc.caughtUp).toBe(true);
    for (const table of ['accounts', 'events']) {
      const diff = await diffMariadbTable(db, target.lake, table);
      expect(diff).toMatchObject(IDENTICAL);
      expect(diff.lakeRows).toBe(diff.sourceRows);
    }
  }, 300_000);
});
