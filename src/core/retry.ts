/**
 * The one retry loop: exponential backoff with full jitter (the delay before retry n is uniform in
 * [0, min(maxMs, baseMs · 2^(n-1))]), so callers that failed together do not come back in
 * lockstep. What is worth retrying, and what to throw when the attempts run out, is the caller's
 * decision (`sync/retry.ts`: retryable SluiceErrors; `lake/conflict-retry.ts`: lost commit races).
 */

/** The backoff schedule. */
export interface BackoffSchedule {
  /** Total tries including the first; 1 means no retry. */
  attempts: number;
  /** Ceiling of the first backoff in ms; later ceilings double. */
  baseMs: number;
  /** Largest ceiling a backoff can reach, in ms. */
  maxMs: number;
}

/** Options for `retryWithBackoff`. */
export interface BackoffRetryOptions<E> extends BackoffSchedule {
  /** Whether an error is retried; any other error is thrown at once, unchanged. */
  shouldRetry: (error: unknown) => error is E;
  /** What to throw when a retried error happens on the last attempt (default: the error itself). */
  exhausted?: (error: E, attempt: number) => unknown;
  /** Stops waiting and retrying when aborted; the last error is thrown. */
  signal?: AbortSignal;
  /** Told before each backoff: the error that will be retried, the try that failed (1-based) and the delay. */
  onRetry?: (error: E, attempt: number, delayMs: number) => void;
  /** Random number in [0, 1); injectable so tests can check the schedule. Default Math.random. */
  random?: () => number;
}

/** The full-jitter delay before retry `attempt` (1 = the first retry). */
export function backoffDelay(
  schedule: BackoffSchedule,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(schedule.maxMs, schedule.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `fn` (given its 1-based attempt number) until it resolves, throws an error `shouldRetry`
 * refuses (thrown unchanged), or has used all attempts (`exhausted` decides what is thrown).
 */
export async function retryWithBackoff<T, E>(
  fn: (attempt: number) => Promise<T>,
  options: BackoffRetryOptions<E>,
): Promise<T> {
  const attempts = Math.max(1, options.attempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!options.shouldRetry(error)) throw error;
      if (attempt >= attempts) throw options.exhausted ? options.exhausted(error, attempt) : error;
      if (options.signal?.aborted) throw error;
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
