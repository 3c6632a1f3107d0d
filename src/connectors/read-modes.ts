/**
 * The read modes this version implements. Connectors call this first in read(), so a plan the
 * planner should not have made fails with a usage error instead of reading the wrong rows.
 */
import { SluiceError } from '../core/errors.js';
import type { StreamPlan } from '../core/stream.js';

const LATER: Record<Exclude<StreamPlan['mode'], 'full'>, string> = {
  incremental: 'cursor-based incremental reads arrive with the source connectors issue; use mode full today',
  cdc: 'change data capture arrives with the CDC issue; use mode full today',
};

export function assertFullRead(plan: StreamPlan, source: string): void {
  if (plan.mode === 'full') return;
  throw new SluiceError('NOT_SUPPORTED', `${plan.mode} reads from ${source} are not yet supported`, {
    hint: LATER[plan.mode],
  });
}

/** As assertFullRead, for sources that also read incrementally by a cursor column (cursor-position.ts). */
export function assertFullOrCursorRead(plan: StreamPlan, source: string): void {
  if (plan.mode !== 'incremental') assertFullRead(plan, source);
}
