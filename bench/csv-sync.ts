/**
 * csv-sync: a full `sluice sync --from file:…` of one 10-million-row, 6-column CSV file (made by
 * DuckDB, with a header) into the lake, against DuckDB itself turning the same file into Parquet
 * — `COPY (SELECT * FROM read_csv(…)) TO 'x.parquet'`, in a Node process of its own with
 * DuckDB's default settings. Sluice does more on top (sniffing, stage CSV, canonical text,
 * quarantine bookkeeping, Iceberg metadata), so the ratio is what that costs. Both sides run
 * twice; the best run counts. `BENCH_ROWS` shrinks the file for a quick check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDuckDB } from '../src/engine/duckdb.js';
import type { SyncReport } from '../src/sync/sync-report.js';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { bestOf, timeCommand, type TimedRun } from './measure.js';
import { parseReport, rowCount } from './pg-full-sync.js';

const NAME = 'csv-sync';
const RUNS = 2;
const NODE = path.resolve('node_modules/.bin/node');
const SLUICE = path.resolve('bin/sluice.js');
const DUCKDB_API = path.resolve('node_modules/@duckdb/node-api/lib/index.js');

/** The same six columns as pg-full-sync, written as CSV with a header. */
async function createCsv(file: string, rows: number): Promise<void> {
  const db = await openDuckDB();
  try {
    await db.run(
      `COPY (SELECT g AS id, (g * 7919 % 100003)::INTEGER AS quantity,
             ((g * 104729 % 10000000) / 100.0)::DECIMAL(12,2) AS price,
             'item-' || (g % 100000) || CASE WHEN g % 10 = 0 THEN ' (special offer)' ELSE '' END AS label,
             TIMESTAMPTZ '2020-01-01 00:00:00+00' + g * INTERVAL 1500 MILLISECONDS AS created_at, g % 3 = 0 AS active
           FROM range(1, ${rows + 1}) t(g)) TO '${file}' (FORMAT csv, HEADER true)`,
    );
  } finally {
    db.close();
  }
}

/** DuckDB's own CSV → Parquet, in a fresh process like Sluice's. */
function limitRun(csv: string, target: string): Promise<TimedRun> {
  const script = `import { DuckDBInstance } from ${JSON.stringify(DUCKDB_API)};
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(${JSON.stringify(`COPY (SELECT * FROM read_csv('${csv}')) TO '${target}' (FORMAT parquet)`)});`;
  return timeCommand(NODE, ['--input-type=module', '-e', script]);
}

function sluiceRun(csv: string, workDir: string, run: number): Promise<TimedRun> {
  const dir = path.join(workDir, `run-${run}`);
  return timeCommand(NODE, [
    SLUICE,
    'sync',
    '--from',
    `file:${csv}`,
    '--to',
    `lake:${path.join(dir, 'lake')}`,
    '--all',
    '--control',
    `sqlite:${path.join(dir, 'control.db')}`,
    '--json',
  ]);
}

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-csv-'));
  const csv = path.join(workDir, 't.csv');
  const failed = (note: string, limitSeconds: number | null): BenchmarkResult => ({
    name: NAME,
    sluiceSeconds: null,
    limitSeconds,
    ratio: null,
    peakRssBytes: null,
    note,
    failed: true,
  });
  try {
    await createCsv(csv, rows);
    let attempt = 0;
    const limit = await bestOf(RUNS, () => limitRun(csv, path.join(workDir, `peer-${attempt++}.parquet`)));
    const limitSeconds = limit.code === 0 ? limit.seconds : null;
    const shape = `${rows.toLocaleString('en-US')} rows × 6 cols CSV; limit: DuckDB read_csv → Parquet`;
    let best: { seconds: number; report: SyncReport } | undefined;
    for (let run = 0; run < RUNS; run++) {
      const timed = await sluiceRun(csv, workDir, run);
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
      note: `${shape}; sluice ${rate} rows/s${limitSeconds === null ? `; DuckDB failed: ${limit.stderr.trim().slice(0, 200)}` : ''}`,
      failed: limitSeconds === null,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const csvSync: Benchmark = { name: NAME, run: measure };
