/** Runs the real `sluice` CLI in a child process, as a user or script would. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO_ROOT, 'bin/sluice.js');

/** What a CLI run printed and returned. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** Starts the CLI as a child process (pipes for stdout and stderr), for tests that signal it. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
  });
}

export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** What `sluice sync --json` prints. */
export interface CliSyncReport {
  /** Run outcome. */
  status: string;
  /** Per-table results. */
  streams: { stream: string; rowsWritten: number }[];
}

/**
 * `sluice sync --from <from> --to lake:<lake> --all --json` with its own control database; fails
 * the test unless it exits 0 with nothing on stderr, and returns the parsed report.
 */
export async function syncAllToLake(from: string, lake: string, control: string): Promise<CliSyncReport> {
  const result = await runCli([
    'sync',
    '--from',
    from,
    '--to',
    `lake:${lake}`,
    '--all',
    '--json',
    '--control',
    control,
  ]);
  if (result.code !== 0 || result.stderr !== '') {
    throw new Error(`sluice sync exited ${result.code}:\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as CliSyncReport;
}
