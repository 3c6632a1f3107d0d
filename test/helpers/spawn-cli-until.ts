/** Starts the real CLI in a child process and waits until its stderr shows a marker (e.g. to kill it mid-run). */
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './run-cli.js';

/** The running child once `marker` appeared on its stderr; rejects if it exits first. */
export function spawnCliUntil(args: string[], marker: string): Promise<ChildProcess> {
  const child = spawnCli(args);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
      if (stderr.includes(marker)) resolve(child);
    });
    child.on('exit', () =>
      reject(new Error(`the CLI ended before it printed ${JSON.stringify(marker)}: ${stderr}`)),
    );
  });
}

/** Kills the child with SIGKILL and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
