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

const NAME = 'csv-sync';
const RUNS = 2;
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
  return timeCommand(NODE, syncArgs(`file:${csv}`, ['--all'], workDir, run));
}

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-csv-'));
  const csv = path.join(workDir, 't.csv');
  try {
    await createCsv(csv, rows);
    let attempt = 0;
    const limit = await bestOf(RUNS, () => limitRun(csv, path.join(workDir, `peer-${attempt++}.parquet`)));
    const limitSeconds = limit.code === 0 ? limit.seconds : null;
    const shape = `${rows.toLocaleString('en-US')} rows × 6 cols CSV; limit: DuckDB read_csv → Parquet`;
    const best = await bestSync(RUNS, rows, (run) => sluiceRun(csv, workDir, run));
    if (typeof best === 'string') return failedResult(NAME, best, limitSeconds);
    return syncResult(
      NAME,
      rows,
      best,
      limitSeconds,
      shape,
      () => `DuckDB failed: ${limit.stderr.trim().slice(0, 200)}`,
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const csvSync: Benchmark = { name: NAME, run: measure };
