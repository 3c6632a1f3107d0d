/**
 * verify: `sluice verify` of a 10-million-row PostgreSQL table against its copy in the lake,
 * against the physical limit of reading both sides once — `psql` running
 * `COPY (SELECT * FROM t) TO STDOUT` into /dev/null plus DuckDB scanning every column of the
 * lake table (through `sluice query`). The ratio is for identical tables (goal ≤ 1.5); the note
 * adds the run after 10 rows were changed at the source, as a ratio to the identical run
 * (goal ≤ 1.2). Same table and server as pg-full-sync; best of two runs each. `BENCH_ROWS`
 * shrinks the table. The note adds the CPU seconds of the client processes (verify; psql +
 * `sluice query`) and the load, since on a shared machine wall-time ratios drift with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresServer,
} from '../examples/marketplace/embedded-server.js';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { NODE, SLUICE, bestOf, loadNote, rowCount, tail, timeCommand, type TimedRun } from './measure.js';
import { createTable } from './pg-full-sync.js';

const NAME = 'verify';
const DATABASE = 'bench';
const RUNS = 2;
const CHANGED = 10;

function cpuText(seconds: number | null | undefined): string {
  return typeof seconds === 'number' ? `${seconds.toFixed(1)} s` : '?';
}

function sluice(args: string[]): Promise<TimedRun> {
  return timeCommand(NODE, [SLUICE, ...args]);
}

/** Reading both sides once: PostgreSQL's own COPY out, then DuckDB reading every lake column. */
async function limitRun(server: EmbeddedPostgresServer, lake: string): Promise<TimedRun> {
  const copy = await timeCommand('psql', ['-X', '-q', '-c', 'COPY (SELECT * FROM t) TO STDOUT'], {
    env: server.env(DATABASE),
    discardStdout: true,
  });
  const scan = await sluice([
    'query',
    '--lake',
    lake,
    'SELECT count(*), max(id), max(quantity), max(price), max(label), max(created_at), bool_or(active) FROM public.t',
  ]);
  const failed = copy.code !== 0 ? copy : scan;
  return {
    seconds: copy.seconds + scan.seconds,
    code: copy.code === 0 && scan.code === 0 ? 0 : (failed.code ?? 1),
    stdout: '',
    stderr: failed.stderr,
    cpuSeconds:
      typeof copy.cpuSeconds === 'number' && typeof scan.cpuSeconds === 'number'
        ? copy.cpuSeconds + scan.cpuSeconds
        : null,
  };
}

/** One verify run; checks the exit code and the number of changed rows it reports. */
async function verifyRun(server: EmbeddedPostgresServer, lake: string, changed: number): Promise<TimedRun> {
  const run = await sluice(['verify', '--from', server.url(DATABASE), '--to', `lake:${lake}`, '--json']);
  const expectedCode = changed === 0 ? 0 : 1;
  if (run.code !== expectedCode)
    throw new Error(`verify exited ${run.code}: ${tail(run.stderr || run.stdout)}`);
  const report = JSON.parse(run.stdout) as { tables: { changed: unknown[] }[] };
  const found = report.tables[0]?.changed.length ?? 0;
  if (found !== changed) throw new Error(`verify reported ${found} changed rows, expected ${changed}`);
  return run;
}

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-verify-'));
  const lake = path.join(workDir, 'lake');
  const server = await startEmbeddedPostgres({ databases: [DATABASE] });
  try {
    await createTable(server, rows);
    const synced = await sluice([
      'sync',
      '--from',
      server.url(DATABASE),
      '--to',
      `lake:${lake}`,
      '--tables',
      'public.t',
      '--control',
      `sqlite:${path.join(workDir, 'control.db')}`,
    ]);
    if (synced.code !== 0) throw new Error(`sync exited ${synced.code}: ${tail(synced.stderr)}`);

    const limit = await bestOf(RUNS, () => limitRun(server, lake));
    if (limit.code !== 0) throw new Error(`limit failed: ${tail(limit.stderr)}`);
    const identical = await bestOf(RUNS, () => verifyRun(server, lake, 0));

    const client = new pg.Client({ connectionString: server.url(DATABASE) });
    await client.connect();
    try {
      const step = Math.max(1, Math.floor(rows / CHANGED));
      await client.query(
        `UPDATE public.t SET label = label || '!' WHERE id % ${step} = 1 AND id <= ${step * CHANGED}`,
      );
    } finally {
      await client.end();
    }
    const different = await bestOf(RUNS, () => verifyRun(server, lake, Math.min(CHANGED, rows)));
    const diffRatio = different.seconds / identical.seconds;
    return {
      name: NAME,
      sluiceSeconds: identical.seconds,
      limitSeconds: limit.seconds,
      ratio: identical.seconds / limit.seconds,
      peakRssBytes: null,
      note:
        `${rows.toLocaleString('en-US')} rows × 6 cols, PostgreSQL vs lake; limit: psql COPY > /dev/null + DuckDB scan of all columns; ` +
        `${CHANGED} changed rows: ${different.seconds.toFixed(2)} s = ${diffRatio.toFixed(2)}× identical; ` +
        `client CPU (PostgreSQL's own COPY work, in both, not counted): verify ${cpuText(identical.cpuSeconds)}, limit ${cpuText(limit.cpuSeconds)}; ${loadNote()}`,
      failed: false,
    };
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const verifyBench: Benchmark = { name: NAME, run: measure };
