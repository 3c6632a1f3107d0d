/**
 * Retries an operation on retryable errors with exponential backoff and full jitter (the delay
 * before retry n is uniform in [0, min(maxMs, baseMs · 2^(n-1))]), so many workers that lost the
 * same server do not come back in lockstep. Whether an error is worth retrying is decided where
 * the error is made (`SluiceError.retryable`, set by each connector's error mapping), never here:
 * this file knows nothing about drivers.
 */
import { isSluiceError } from '../core/errors.js';
import type { SluiceError } from '../core/errors.js';

/** How hard to retry. */
export interface RetryPolicy {
  /** Total tries including the first; 1 means no retry. */
  attempts: number;
  /** Ceiling of the first backoff; later ceilings double. */
  baseMs: number;
  /** Largest ceiling a backoff can reach. */
  maxMs: number;
}

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

/** The full-jitter delay before retry `attempt` (1 = the first retry). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `fn` until it resolves, throws an error that is not a retryable SluiceError, or has used
 * all attempts. `fn` gets the 1-based attempt number. The last error is thrown unchanged.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.trunc(options.attempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isSluiceError(error) || !error.retryable || attempt >= attempts || options.signal?.aborted) {
        throw error;
      }
      const delayMs = backoffDelay(options, attempt, options.random);
      options.onRetry?.(error, attempt, delayMs);
      if (!(await sleep(delayMs, options.signal))) throw error;
    }
  }
}

/** Waits `ms`; resolves false early when the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
