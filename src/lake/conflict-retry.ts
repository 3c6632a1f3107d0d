/**
 * Repeating a commit that lost the catalog's compare-and-swap. Only lost races are repeated
 * (any other error ends at once); each attempt starts from the table state the winner left.
 * Backoff is exponential with full jitter so that writers which collided do not collide again in
 * lockstep (the loop is `core/retry.ts`); the delays are short because a lost race means the table moved, not that it is down.
 */
import { SluiceError } from '../core/errors.js';
import { retryWithBackoff } from '../core/retry.js';
import { isCommitConflict } from './table-catalog.js';

/** How hard to retry a commit. */
export interface ConflictRetryOptions {
  /** Commit attempts in all (default 10). */
  attempts?: number;
  /** Ceiling of the first backoff in ms (default 20); later ceilings double. */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms (default 2000). */
  maxDelayMs?: number;
}

/**
 * Runs `attempt` (given its 1-based number) until it succeeds or fails with anything but a lost
 * race; after the last attempt a COMMIT_CONFLICT names the table and how often it lost.
 */
export async function retryOnConflict<T>(
  table: string,
  attempt: (n: number) => Promise<T>,
  options: ConflictRetryOptions = {},
): Promise<T> {
  return retryWithBackoff(attempt, {
    attempts: options.attempts ?? 10,
    baseMs: options.baseDelayMs ?? 20,
    maxMs: options.maxDelayMs ?? 2000,
    shouldRetry: (error): error is unknown => isCommitConflict(error),
    exhausted: (error, n) =>
      new SluiceError(
        'COMMIT_CONFLICT',
        `gave up committing ${table}: other writers won ${n} times in a row`,
        {
          cause: error,
          retryable: true,
          hint: 'the table is committed to very often; run again, or reduce the number of concurrent writers',
        },
      ),
  });
}
