/** Runs one lake benchmark task in a worker process (lake-worker.ts) and reads its result line. */
import path from 'node:path';
import { NODE, tail, timeCommand } from './measure.js';
import type { LakeTask, LakeTaskResult } from './lake-worker.js';

const WORKER = path.resolve('bench/lake-worker.ts');

/** The task's result, or a message saying why there is none. */
export async function runLakeTask(task: LakeTask): Promise<LakeTaskResult | string> {
  const run = await timeCommand(NODE, ['--import', 'tsx', WORKER, JSON.stringify(task)]);
  const output = tail(run.stderr || run.stdout);
  if (run.code !== 0) return `${task.kind} worker exited ${run.code}: ${output}`;
  try {
    return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as LakeTaskResult;
  } catch {
    return `${task.kind} worker printed no result: ${output}`;
  }
}

/** The faster of `runs` results (a failure message as soon as one fails). */
export async function bestTask(
  runs: number,
  task: (run: number) => LakeTask,
): Promise<LakeTaskResult | string> {
  let best: LakeTaskResult | undefined;
  for (let run = 0; run < runs; run++) {
    const result = await runLakeTask(task(run));
    if (typeof result === 'string') return result;
    if (!best || result.seconds < best.seconds) best = result;
  }
  return best ?? 'no run';
}
