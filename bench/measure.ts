/** Running a command and timing it, for benchmarks: wall time as seen by the caller. */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

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
  try {
    const started = performance.now();
    const child = spawn(command, args, {
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
    return { seconds: (performance.now() - started) / 1000, code, stdout, stderr };
  } finally {
    if (devNull !== undefined) closeSync(devNull);
  }
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
