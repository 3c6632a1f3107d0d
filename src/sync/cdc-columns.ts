/**
 * The columns each CDC stream's table was last committed with, kept beside the capture progress
 * in the control database. A run starts from them rather than from what discovery finds now, so
 * a column added to the source since then reaches the capture as an ADD COLUMN from the log,
 * where it is checked (a column added with a DEFAULT changed existing rows without logging them).
 */
import type { StateRepository } from '../control/state-repository.js';
import type { CanonicalColumn } from '../core/canonical-types.js';
import type { StreamPlan } from '../core/stream.js';

function key(streamKey: string): string {
  return `${streamKey} columns`;
}

/** Saves the names of the columns a stream's table now has. */
export async function saveCommittedColumns(
  progress: StateRepository,
  sourceKey: string,
  streamKey: string,
  columns: readonly CanonicalColumn[],
): Promise<void> {
  await progress.putState(sourceKey, key(streamKey), { names: JSON.stringify(columns.map((c) => c.name)) });
}

/** The plan with only the columns its table was last committed with (all, when none were saved). */
export async function withCommittedColumns(
  progress: StateRepository,
  sourceKey: string,
  streamKey: string,
  plan: StreamPlan,
): Promise<StreamPlan> {
  const saved = await progress.getState(sourceKey, key(streamKey));
  const names =
    saved && typeof saved.position['names'] === 'string'
      ? (JSON.parse(saved.position['names']) as string[])
      : null;
  if (!names) return plan;
  return {
    ...plan,
    schema: { ...plan.schema, columns: plan.schema.columns.filter((c) => names.includes(c.name)) },
  };
}
