/**
 * lake-append: appending 10 million staged rows (the pg-full-sync table, five ~128 MiB chunks in
 * the stage dialect) to a new lake table through the lake destination — decode and check every
 * value, write zstd Parquet with field ids and statistics, commit — against DuckDB's own
 * `COPY (SELECT … FROM read_csv(…)) TO 'x.parquet'` of the same chunks with the same DuckDB
 * settings. Goal: ratio ≤ 1.5. Each side runs twice in a process of its own; the best run
 * counts. `BENCH_ROWS` shrinks the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { stageRows } from './lake-staging.js';
import { bestTask } from './lake-worker-run.js';
import { failedResult, rowCount } from './measure.js';

const NAME = 'lake-append';
const RUNS = 2;

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-append-'));
  try {
    const chunks = await stageRows(path.join(workDir, 'stage'), 'append', rows);
    const limit = await bestTask(RUNS, (run) => ({
      kind: 'copy',
      chunks,
      workDir: path.join(workDir, `copy-${run}`),
    }));
    const sluice = await bestTask(RUNS, (run) => ({
      kind: 'append',
      chunks,
      workDir: path.join(workDir, `append-${run}`),
    }));
    const shape = `${rows.toLocaleString('en-US')} rows × 6 cols in ${chunks.length} staged chunks; limit: DuckDB COPY read_csv → Parquet`;
    if (typeof sluice === 'string' || typeof limit === 'string') {
      return failedResult(NAME, typeof sluice === 'string' ? sluice : (limit as string));
    }
    if (sluice.numbers.rows !== rows) {
      return failedResult(NAME, `appended ${sluice.numbers.rows} rows, expected ${rows}`, limit.seconds);
    }
    const rate = Math.round(rows / sluice.seconds).toLocaleString('en-US');
    return {
      name: NAME,
      sluiceSeconds: sluice.seconds,
      limitSeconds: limit.seconds,
      ratio: sluice.seconds / limit.seconds,
      peakRssBytes: sluice.peakRssBytes,
      note: `${shape}; ${rate} rows/s; ${sluice.numbers.files} files, ${Math.round(Number(sluice.numbers.bytes) / 2 ** 20)} MiB (DuckDB: ${Math.round(Number(limit.numbers.bytes) / 2 ** 20)} MiB); goal ≤ 1.5×`,
      failed: false,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const lakeAppend: Benchmark = { name: NAME, run: measure };
