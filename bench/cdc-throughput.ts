/**
 * cdc-throughput: change data capture from PostgreSQL into the lake under a pgbench (TPC-B)
 * workload. Two measurements on one embedded PostgreSQL (wal_level=logical):
 *
 * 1. Throughput: after the initial snapshot, pgbench runs for `CDC_BENCH_SECONDS` with Sluice
 *    stopped, leaving a backlog in the slot; `sluice sync --mode cdc --until-caught-up` then
 *    applies it. The limit is the server decoding the same backlog with pgoutput and nothing
 *    else (`pg_logical_slot_peek_binary_changes` on Sluice's slot, before Sluice runs).
 *    Goal: ≥ 20,000 row changes/s.
 * 2. Lag: Sluice runs continuously while pgbench runs at a fixed rate; the run report's
 *    end-to-end latency (lake commit time − source commit time) p99. Goal: < 5 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresServer,
} from '../examples/marketplace/embedded-server.js';
import type { CdcReport } from '../src/sync/cdc-report.js';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { NODE, SLUICE, failedResult, loadNote, tail, timeCommand } from './measure.js';

const NAME = 'cdc-throughput';
const DATABASE = 'bench';
const SLOT = `sluice_${DATABASE}_public`;

function seconds(): number {
  return Number(process.env.CDC_BENCH_SECONDS ?? 20);
}

function sluiceArgs(server: EmbeddedPostgresServer, workDir: string, extra: string[]): string[] {
  return [
    SLUICE,
    'sync',
    '--from',
    server.url(DATABASE),
    '--to',
    `lake:${path.join(workDir, 'lake')}`,
    '--all',
    '--mode',
    'cdc',
    '--json',
    '--control',
    `sqlite:${path.join(workDir, 'control.db')}`,
    '--wait',
    '60s',
    ...extra,
  ];
}

async function pgbench(server: EmbeddedPostgresServer, args: string[]): Promise<void> {
  const run = await timeCommand('pgbench', [...args, DATABASE], { env: server.env(DATABASE) });
  if (run.code !== 0) throw new Error(`pgbench ${args.join(' ')} failed: ${tail(run.stderr)}`);
}

function report(stdout: string): CdcReport {
  return JSON.parse(stdout) as CdcReport;
}

/** Continuous Sluice while pgbench runs at `rate` tps; returns the run report (after SIGTERM). */
async function lagRun(server: EmbeddedPostgresServer, workDir: string, rate: number): Promise<CdcReport> {
  const child = spawn(NODE, sluiceArgs(server, workDir, []), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    // Let it start streaming before the load begins.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await pgbench(server, ['-n', '-c', '4', '-j', '2', '-T', String(seconds()), '-R', String(rate)]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`continuous sluice exited ${code}: ${tail(stderr)}`);
  return report(stdout);
}

async function measure(): Promise<BenchmarkResult> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-cdc-'));
  const server = await startEmbeddedPostgres({ logical: true, databases: [DATABASE] });
  try {
    await pgbench(server, ['-i', '-q', '-s', '5']);
    // pgbench_history has no key; CDC merges by key.
    await server.query('ALTER TABLE pgbench_history ADD COLUMN id bigserial PRIMARY KEY', DATABASE);
    const initial = await timeCommand(NODE, sluiceArgs(server, workDir, ['--until-caught-up']));
    if (initial.code !== 0) return failedResult(NAME, `initial snapshot failed: ${tail(initial.stderr)}`);

    await pgbench(server, ['-n', '-c', '4', '-j', '2', '-T', String(seconds())]);
    const peek = `SELECT count(*) FROM pg_logical_slot_peek_binary_changes('${SLOT}', NULL, NULL, 'proto_version', '1', 'publication_names', '${SLOT}')`;
    const limit = await timeCommand('psql', ['-X', '-q', '-c', peek], {
      env: server.env(DATABASE),
      discardStdout: true,
    });
    const limitSeconds = limit.code === 0 ? limit.seconds : null;
    const apply = await timeCommand(NODE, sluiceArgs(server, workDir, ['--until-caught-up']));
    if (apply.code !== 0)
      return failedResult(NAME, `catching up failed: ${tail(apply.stderr)}`, limitSeconds);
    const backlog = report(apply.stdout);
    const rate = Math.round(backlog.cdc.changes / apply.seconds);

    const lag = await lagRun(server, workDir, 1000);
    const p99 = lag.cdc.latencyP99Ms === null ? '–' : `${(lag.cdc.latencyP99Ms / 1000).toFixed(2)} s`;
    const p50 = lag.cdc.latencyP50Ms === null ? '–' : `${(lag.cdc.latencyP50Ms / 1000).toFixed(2)} s`;
    return {
      name: NAME,
      sluiceSeconds: apply.seconds,
      limitSeconds,
      ratio: limitSeconds === null ? null : apply.seconds / limitSeconds,
      peakRssBytes: backlog.peakRssBytes,
      note:
        `backlog of ${backlog.cdc.changes.toLocaleString('en-US')} row changes (${backlog.cdc.transactions.toLocaleString('en-US')} pgbench txns, scale 5) applied at ${backlog.cdc.changesPerSecond.toLocaleString('en-US')} changes/s while streaming, ${rate.toLocaleString('en-US')}/s over the whole run incl. CLI start (goal ≥ 20,000); ` +
        `limit: server-side pgoutput decode of the same backlog; lag at 1000 tps: p50 ${p50}, p99 ${p99} (goal < 5 s); ${loadNote()}` +
        (limitSeconds === null ? `; peek failed: ${tail(limit.stderr)}` : ''),
      failed: limitSeconds === null,
    };
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const cdcThroughput: Benchmark = { name: NAME, run: measure };
