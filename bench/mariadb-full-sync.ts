/**
 * mariadb-full-sync: a full sync of one 10-million-row table from the machine's MariaDB
 * (127.0.0.1:3306, user root) into the lake, against the physical limit of getting those rows
 * out of MariaDB at all — the `mariadb` client streaming `SELECT * FROM t` (`--quick`, row by
 * row) into /dev/null. The table lives in a bench database of its own, dropped afterwards. Both
 * sides run twice; the best run counts. `BENCH_ROWS` shrinks the table for a quick check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import {
  NODE,
  bestOf,
  bestSync,
  failedResult,
  rowCount,
  syncArgs,
  syncResult,
  timeCommand,
  type TimedRun,
} from './measure.js';

const NAME = 'mariadb-full-sync';
const SERVER = { host: '127.0.0.1', port: 3306, user: 'root' } as const;
const DATABASE = `sluice_bench_${process.pid}`;
const RUNS = 2;
/** Rows inserted per statement while building the table (one huge INSERT would need a huge undo log). */
const BATCH = 1_000_000;

/** The same six columns as pg-full-sync, in MySQL types (tinyint(1) is MySQL's BOOLEAN). */
async function createTable(admin: mysql.Connection, rows: number): Promise<void> {
  await admin.query(`CREATE DATABASE \`${DATABASE}\``);
  await admin.query(`USE \`${DATABASE}\``);
  await admin.query(`SET SESSION time_zone = '+00:00'`);
  await admin.query(`CREATE TABLE t (
    id bigint NOT NULL PRIMARY KEY, quantity int NOT NULL, price decimal(12,2) NOT NULL,
    label varchar(100) NOT NULL, created_at timestamp(6) NOT NULL, active tinyint(1) NOT NULL)`);
  for (let from = 1; from <= rows; from += BATCH) {
    const to = Math.min(rows, from + BATCH - 1);
    await admin.query(`INSERT INTO t
      SELECT seq, seq * 7919 % 100003, (seq * 104729 % 10000000) / 100,
             CONCAT('item-', seq % 100000, IF(seq % 10 = 0, ' (special offer)', '')),
             TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq * 1500000 MICROSECOND, seq % 3 = 0
        FROM seq_${from}_to_${to}`);
  }
  await admin.query('ANALYZE TABLE t');
}

function limitRun(): Promise<TimedRun> {
  const args = ['--quick', '-h', SERVER.host, '-P', String(SERVER.port), '-u', SERVER.user, DATABASE];
  return timeCommand('mariadb', [...args, '-e', 'SELECT * FROM t'], { discardStdout: true });
}

/** One Sluice run into a fresh lake, with its own control database so nothing touches the checkout. */
function sluiceRun(workDir: string, run: number): Promise<TimedRun> {
  const from = `mysql://${SERVER.user}@${SERVER.host}:${SERVER.port}/${DATABASE}`;
  return timeCommand(NODE, syncArgs(from, ['--tables', 't'], workDir, run));
}

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  let admin: mysql.Connection;
  try {
    admin = await mysql.createConnection({ ...SERVER, multipleStatements: false });
  } catch (error) {
    return failedResult(
      NAME,
      `MariaDB is not reachable on ${SERVER.host}:${SERVER.port}: ${(error as Error).message}`,
    );
  }
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-mariadb-'));
  try {
    await createTable(admin, rows);
    const limit = await bestOf(RUNS, limitRun);
    const limitSeconds = limit.code === 0 ? limit.seconds : null;
    const shape = `${rows.toLocaleString('en-US')} rows × 6 cols; limit: mariadb --quick -e 'SELECT * FROM t' > /dev/null`;

    const best = await bestSync(RUNS, rows, (run) => sluiceRun(workDir, run));
    if (typeof best === 'string') return failedResult(NAME, best, limitSeconds);
    return syncResult(
      NAME,
      rows,
      best,
      limitSeconds,
      shape,
      () => `mariadb failed: ${limit.stderr.trim().slice(0, 200)}`,
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``).catch(() => undefined);
    await admin.end().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const mariadbFullSync: Benchmark = { name: NAME, run: measure };
