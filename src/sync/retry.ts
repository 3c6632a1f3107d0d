/**
 * Retries an operation on retryable errors with exponential backoff and full jitter (the delay
 * before retry n is uniform in [0, min(maxMs, baseMs · 2^(n-1))]), so many workers that lost the
 * same server do not come back in lockstep. Whether an error is worth retrying is decided where
 * the error is made (`SluiceError.retryable`, set by each connector's error mapping), never here:
 * this file knows nothing about drivers. The loop itself is `core/retry.ts`.
 */
import { isSluiceError } from '../core/errors.js';
import type { SluiceError } from '../core/errors.js';
import { backoffDelay, retryWithBackoff } from '../core/retry.js';
import type { BackoffSchedule } from '../core/retry.js';

export { backoffDelay };

/** How hard to retry. */
export type RetryPolicy = BackoffSchedule;

/** Options for `withRetry`. */
export interface RetryOptions extends RetryPolicy {
  /** Stops waiting and retrying when aborted; the last error (or the abort reason) is thrown. */
  signal?: AbortSignal;
  /** Told before each backoff: the error that will be retried, the try that failed (1-based) and the delay. */
  onRetry?: (error: SluiceError, attempt: number, delayMs: number) => void;
  /** Random number in [0, 1); injectable so tests can check the schedule. Default Math.random. */
  random?: () => number;
}

/** Sluice's default: six tries over roughly a minute at worst. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 30_000 };

/**
 * Runs `fn` until it resolves, throws an error that is not a retryable SluiceError, or has used
 * all attempts. `fn` gets the 1-based attempt number. The last error is thrown unchanged.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  return retryWithBackoff(fn, {
    ...options,
    attempts: Math.trunc(options.attempts),
    shouldRetry: (error): error is SluiceError => isSluiceError(error) && error.retryable,
  });
}
