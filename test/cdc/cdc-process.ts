/**
 * A continuous `sluice sync --mode cdc` in a child process, for tests that kill it (SIGKILL) or
 * stop it (SIGTERM) mid-stream: it counts the batch commits the CLI reports on stderr, so a test
 * can wait for "n more commits" before it strikes.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/run-cli.js';

/** A running CDC process. */
export interface CdcProcess {
  /** The child process. */
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Resolves after `n` more commits; rejects if the process exits first. */
  commits(n: number): Promise<void>;
}

export function startCdcProcess(
  url: string,
  target: { lake: string; control: string },
  extra: string[] = [],
): CdcProcess {
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin/sluice.js'),
      'sync',
      '--from',
      url,
      '--to',
      `lake:${target.lake}`,
      '--all',
      '--mode',
      'cdc',
      '--wait',
      '60s',
      '--control',
      target.control,
      ...extra,
    ],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdin.end();
  child.stdout.resume();
  let stderr = '';
  let commits = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  child.stderr.on('data', (data: Buffer) => {
    const text = data.toString();
    stderr += text;
    commits += text.split('committed').length - 1;
    for (const waiter of waiters.filter((w) => commits >= w.at)) waiter.resolve();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    commits: (n) =>
      Promise.race([
        new Promise<void>((resolve) => waiters.push({ at: commits + n, resolve })),
        exited.then((code) => {
          throw new Error(`sluice exited (${code}) early:\n${stderr}`);
        }),
      ]),
  };
}
