/**
 * The benchmarks' shared helpers: running a command and timing it (wall time as seen by the
 * caller), the table size (`BENCH_ROWS`), timed `sluice sync` runs and their reports, and the
 * result rows they make.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SyncReport } from '../src/sync/sync-report.js';
import type { BenchmarkResult } from './benchmark.js';

/** The Node binary benchmarks run child processes with. */
export const NODE = path.resolve('node_modules/.bin/node');
/** The Sluice CLI. */
export const SLUICE = path.resolve('bin/sluice.js');
/**
 * Builds the CLI for the current source (bin/build-cli.js) before anything is timed, so that no
 * timed run includes the build (should it fail, bin/sluice.js compiles with tsx: ~0.5 CPU s a run more).
 */
export function buildCli(): void {
  spawnSync(NODE, [path.resolve('bin/build-cli.js')], { stdio: 'ignore' });
}
/**
 * GNU time, which reports a command's CPU seconds: on a shared machine wall time depends on the
 * load, CPU time much less, so the notes carry both.
 */
const GNU_TIME = '/usr/bin/time';

/** Rows of the benchmark tables: 10,000,000, or `BENCH_ROWS` for a quick check. */
export function rowCount(): number {
  const text = process.env.BENCH_ROWS;
  const rows = text === undefined ? 10_000_000 : Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new Error(`BENCH_ROWS must be a positive integer, not ${text}`);
  return rows;
}

/** The last three lines of a command's output, for notes. */
export function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ').slice(0, 300);
}

/** The row of a benchmark that could not produce its numbers. */
export function failedResult(
  name: string,
  note: string,
  limitSeconds: number | null = null,
): BenchmarkResult {
  return {
    name,
    sluiceSeconds: null,
    limitSeconds,
    ratio: null,
    peakRssBytes: null,
    note,
    failed: true,
  };
}

/** How a timed command ended. */
export interface TimedRun {
  /** Wall time from spawn to exit, in seconds. */
  seconds: number;
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Standard output, unless it was discarded. */
  stdout: string;
  /** Standard error (kept for error messages). */
  stderr: string;
  /** User + system CPU seconds of the command (its own process and waited-for children), when known. */
  cpuSeconds?: number | null;
}

/** Options for `timeCommand`. */
export interface TimeCommandOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Send stdout to /dev/null instead of collecting it (for commands that print gigabytes). */
  discardStdout?: boolean;
}

export async function timeCommand(
  command: string,
  args: string[],
  options: TimeCommandOptions = {},
): Promise<TimedRun> {
  const devNull = options.discardStdout ? openSync('/dev/null', 'w') : undefined;
  const timeDir = existsSync(GNU_TIME) ? mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-time-')) : null;
  const timeFile = timeDir === null ? null : path.join(timeDir, 'cpu');
  try {
    const started = performance.now();
    const [file, argv] =
      timeFile === null ? [command, args] : [GNU_TIME, ['-f', '%U %S', '-o', timeFile, command, ...args]];
    const child = spawn(file, argv, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, code, stdout, stderr, cpuSeconds: timeFile === null ? null : cpuOf(timeFile) };
  } finally {
    if (devNull !== undefined) closeSync(devNull);
    if (timeDir !== null) rmSync(timeDir, { recursive: true, force: true });
  }
}

/** `user sys` as GNU time wrote them (the last line: a killed command gets a line before it). */
function cpuOf(file: string): number | null {
  try {
    const last = readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '';
    const [user, system] = last.split(' ').map(Number);
    return user === undefined || system === undefined || Number.isNaN(user + system) ? null : user + system;
  } catch {
    return null;
  }
}

/** The 1-minute load average now, for notes: other work on the machine slows both sides. */
export function loadNote(): string {
  return `load ${os.loadavg()[0]?.toFixed(1) ?? '?'}/${os.availableParallelism()} cores`;
}

/** Runs `measure` `times` times in a row and returns the fastest run (by `seconds`). */
export async function bestOf<T extends { seconds: number }>(
  times: number,
  measure: () => Promise<T>,
): Promise<T> {
  let best: T | undefined;
  for (let run = 0; run < times; run++) {
    const result = await measure();
    if (best === undefined || result.seconds < best.seconds) best = result;
  }
  if (best === undefined) throw new Error('bestOf needs at least one run');
  return best;
}

/**
 * The arguments of one `sluice sync --json` into a fresh lake under `workDir/run-<run>`, with its
 * own control database so nothing touches the checkout; `selection` picks the tables.
 */
export function syncArgs(from: string, selection: readonly string[], workDir: string, run: number): string[] {
  const dir = path.join(workDir, `run-${run}`);
  return [
    SLUICE,
    'sync',
    '--from',
    from,
    '--to',
    `lake:${path.join(dir, 'lake')}`,
    ...selection,
    '--control',
    `sqlite:${path.join(dir, 'control.db')}`,
    '--json',
  ];
}

/** Reads the run's SyncReport, or explains why the run does not count. */
export function parseReport(run: TimedRun, rows: number): SyncReport | string {
  if (run.code !== 0) return `sluice exited ${run.code}: ${tail(run.stderr || run.stdout)}`;
  let report: SyncReport;
  try {
    report = JSON.parse(run.stdout) as SyncReport;
  } catch {
    return `sluice printed no JSON report: ${tail(run.stdout)}`;
  }
  if (report.status !== 'succeeded') return `sync ${report.status}: ${report.streams[0]?.error ?? ''}`;
  if (report.rowsWritten !== rows) return `sync wrote ${report.rowsWritten} rows, expected ${rows}`;
  return report;
}

/** The fastest sync run: its wall and CPU seconds, its report, and the machine's load after it. */
export interface BestSync {
  /** Wall seconds. */
  seconds: number;
  /** The run's report. */
  report: SyncReport;
  /** User + system CPU seconds of the Sluice process (DuckDB's threads included), when known. */
  cpuSeconds: number | null;
  /** The load average when it ended (`loadNote`). */
  load: string;
}

/** The fastest of `runs` sync runs with its report, or why a run does not count (as soon as one fails). */
export async function bestSync(
  runs: number,
  rows: number,
  sync: (run: number) => Promise<TimedRun>,
): Promise<BestSync | string> {
  let best: BestSync | undefined;
  for (let run = 0; run < runs; run++) {
    const timed = await sync(run);
    const report = parseReport(timed, rows);
    if (typeof report === 'string') return report;
    if (!best || timed.seconds < best.seconds) {
      best = { seconds: timed.seconds, report, cpuSeconds: timed.cpuSeconds ?? null, load: loadNote() };
    }
  }
  if (!best) throw new Error('no Sluice run');
  return best;
}

/** A sync benchmark's row, Sluice's best run against the limit's (null seconds when the limit failed). */
export function syncResult(
  name: string,
  rows: number,
  best: BestSync,
  limitSeconds: number | null,
  shape: string,
  limitFailure: () => string,
): BenchmarkResult {
  const rate = Math.round(rows / best.seconds).toLocaleString('en-US');
  const cpu = best.cpuSeconds === null ? '' : `, ${best.cpuSeconds.toFixed(1)} CPU s`;
  return {
    name,
    sluiceSeconds: best.seconds,
    limitSeconds,
    ratio: limitSeconds === null ? null : best.seconds / limitSeconds,
    peakRssBytes: best.report.peakRssBytes,
    note: `${shape}; sluice ${rate} rows/s${cpu}; ${best.load}${limitSeconds === null ? `; ${limitFailure()}` : ''}`,
    failed: limitSeconds === null,
  };
}
