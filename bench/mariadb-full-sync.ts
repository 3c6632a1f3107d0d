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
import type { SyncReport } from '../src/sync/sync-report.js';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { bestOf, timeCommand, type TimedRun } from './measure.js';
import { parseReport, rowCount } from './pg-full-sync.js';

const NAME = 'mariadb-full-sync';
const SERVER = { host: '127.0.0.1', port: 3306, user: 'root' } as const;
const DATABASE = `sluice_bench_${process.pid}`;
const RUNS = 2;
/** Rows inserted per statement while building the table (one huge INSERT would need a huge undo log). */
const BATCH = 1_000_000;
const NODE = path.resolve('node_modules/.bin/node');
const SLUICE = path.resolve('bin/sluice.js');

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
  const dir = path.join(workDir, `run-${run}`);
  return timeCommand(NODE, [
    SLUICE,
    'sync',
    '--from',
    `mysql://${SERVER.user}@${SERVER.host}:${SERVER.port}/${DATABASE}`,
    '--to',
    `lake:${path.join(dir, 'lake')}`,
    '--tables',
    't',
    '--control',
    `sqlite:${path.join(dir, 'control.db')}`,
    '--json',
  ]);
}

function failed(note: string, limitSeconds: number | null = null): BenchmarkResult {
  return {
    name: NAME,
    sluiceSeconds: null,
    limitSeconds,
    ratio: null,
    peakRssBytes: null,
    note,
    failed: true,
  };
}

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  let admin: mysql.Connection;
  try {
    admin = await mysql.createConnection({ ...SERVER, multipleStatements: false });
  } catch (error) {
    return failed(`MariaDB is not reachable on ${SERVER.host}:${SERVER.port}: ${(error as Error).message}`);
  }
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-mariadb-'));
  try {
    await createTable(admin, rows);
    const limit = await bestOf(RUNS, limitRun);
    const limitSeconds = limit.code === 0 ? limit.seconds : null;
    const shape = `${rows.toLocaleString('en-US')} rows × 6 cols; limit: mariadb --quick -e 'SELECT * FROM t' > /dev/null`;

    let best: { seconds: number; report: SyncReport } | undefined;
    for (let run = 0; run < RUNS; run++) {
      const timed = await sluiceRun(workDir, run);
      const report = parseReport(timed, rows);
      if (typeof report === 'string') return failed(report, limitSeconds);
      if (!best || timed.seconds < best.seconds) best = { seconds: timed.seconds, report };
    }
    if (!best) throw new Error('no Sluice run');
    const rate = Math.round(rows / best.seconds).toLocaleString('en-US');
    return {
      name: NAME,
      sluiceSeconds: best.seconds,
      limitSeconds,
      ratio: limitSeconds === null ? null : best.seconds / limitSeconds,
      peakRssBytes: best.report.peakRssBytes,
      note: `${shape}; sluice ${rate} rows/s${limitSeconds === null ? `; mariadb failed: ${limit.stderr.trim().slice(0, 200)}` : ''}`,
      failed: limitSeconds === null,
    };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``).catch(() => undefined);
    await admin.end().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const mariadbFullSync: Benchmark = { name: NAME, run: measure };
