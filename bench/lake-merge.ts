/**
 * lake-merge: 1% of a 10-million-row, day-partitioned orders table changed (90% status updates of
 * recent orders, 5% new orders, 5% deletions; lake-staging.ts) and merged by key. Reported: the
 * merge's time against DuckDB rewriting the whole table once (what a merge costs without
 * copy-on-write pruning), and the bytes the merge rewrote as a fraction of the table's bytes.
 * The table is built untimed in the same worker before the merge; two runs, the best counts.
 * `BENCH_ROWS` shrinks the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { stageChanges, stageRows } from './lake-staging.js';
import { bestTask, runLakeTask } from './lake-worker-run.js';
import { failedResult, rowCount } from './measure.js';

const NAME = 'lake-merge';
const RUNS = 2;

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-merge-'));
  try {
    const chunks = await stageRows(path.join(workDir, 'stage'), 'orders', rows);
    const changes = await stageChanges(path.join(workDir, 'stage', 'changes.csv'), rows);
    const merge = await bestTask(RUNS, (run) => ({
      kind: 'merge',
      chunks,
      changes,
      workDir: path.join(workDir, `merge-${run}`),
    }));
    if (typeof merge === 'string') return failedResult(NAME, merge);
    const limit = await runLakeTask({ kind: 'rewrite', lake: String(merge.numbers.lake), workDir });
    if (typeof limit === 'string') return failedResult(NAME, limit);
    const {
      changes: changed,
      inserted,
      updated,
      deleted,
      filesRewritten,
      bytesRewritten,
      tableBytes,
    } = merge.numbers;
    const fraction = Number(bytesRewritten) / Number(tableBytes);
    return {
      name: NAME,
      sluiceSeconds: merge.seconds,
      limitSeconds: limit.seconds,
      ratio: merge.seconds / limit.seconds,
      peakRssBytes: merge.peakRssBytes,
      note:
        `${rows.toLocaleString('en-US')}-row table by day(placed_at), ${limit.numbers.files} files; ${Number(changed).toLocaleString('en-US')} changes ` +
        `(${updated} updated, ${inserted} inserted, ${deleted} deleted); rewrote ${filesRewritten} files, ` +
        `${(fraction * 100).toFixed(2)}% of table bytes; limit: DuckDB rewriting the whole table`,
      failed: false,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const lakeMerge: Benchmark = { name: NAME, run: measure };
