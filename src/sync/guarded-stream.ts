/**
 * What surrounds one stream's read → load → commit: its lease (one run per stream) and retries
 * (a retryable error re-runs the whole attempt: the writer was aborted first, so nothing
 * uncommitted stays; the retry reads from the start of the stream, or — a resumable full load —
 * after the key ranges already committed to its staging branch). Kept out of run-sync.ts so the
 * run loop reads as the data flow.
 */
import type { ControlQueries } from '../control/control-db.js';
import { isSluiceError, messageOf } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { lakeRootOf } from '../destinations/registry.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { DEFAULT_LEASE, StreamLease } from './stream-lease.js';
import type { LeaseSettings } from './stream-lease.js';
import type { StreamReport } from './sync-report.js';

/** What one attempt at a stream gets. */
export interface StreamAttempt {
  /** 1-based try number; above 1 the stream is being retried (from its start, or a resumable load's last range). */
  attempt: number;
  /** The held lease: check `assertHeld()` right before committing. */
  lease: StreamLease;
}

/** Everything `runGuardedStream` needs besides the attempt itself. */
export interface GuardOptions {
  /** The control database holding the leases. */
  db: ControlQueries;
  /** The run. */
  runId: string;
  /** Destination URL as given (`lake:./lake`); part of the lease key. */
  destination: string;
  /** `namespace.table`. */
  stream: string;
  /** Lease TTL and wait; defaults from DEFAULT_LEASE. */
  lease?: Partial<LeaseSettings>;
  /** Retry policy; defaults from DEFAULT_RETRY. */
  retry?: Partial<RetryPolicy>;
  /** Told before each retry. */
  onRetry?: (message: string) => void;
}

/**
 * The lease key of a stream: the destination (a lake by its absolute root, so `./lake` from two
 * directories is the same lake) and the table. Credentials never enter it.
 */
export function streamLeaseKey(destination: string, stream: string): string {
  let where = redact(destination);
  if (destination.startsWith('lake:')) {
    try {
      where = `lake:${lakeRootOf(destination)}`;
    } catch {
      // Not a valid lake URL: the destination itself reports that; the key just needs to be stable.
    }
  }
  return `${where}#${stream}`;
}

/**
 * Takes the stream's lease, runs `attempt` (again on retryable errors, per the policy), and
 * releases the lease. Usage errors are rethrown; any other final error becomes a failed report.
 */
export async function runGuardedStream(
  options: GuardOptions,
  attempt: (context: StreamAttempt) => Promise<StreamReport>,
): Promise<StreamReport> {
  const started = Date.now();
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  let attempts = 0;
  let lease: StreamLease | undefined;
  try {
    lease = await StreamLease.acquire(
      options.db,
      streamLeaseKey(options.destination, options.stream),
      options.runId,
      { ...DEFAULT_LEASE, ...options.lease },
    );
    const held = lease;
    const report = await withRetry(
      (n) => {
        attempts = n;
        return attempt({ attempt: n, lease: held });
      },
      {
        ...policy,
        signal: held.signal,
        onRetry: (error, n, delayMs) =>
          options.onRetry?.(
            `${redact(error.message)}; retry ${n + 1} of ${policy.attempts} in ${(delayMs / 1000).toFixed(1)} s`,
          ),
      },
    );
    return { ...report, attempts };
  } catch (error) {
    if (isSluiceError(error) && error.isUsage) throw error;
    return { ...failedStreamReport(options.stream, error, started), attempts };
  } finally {
    await lease?.release().catch(() => undefined);
  }
}

/** The report of a stream that failed; counts are zero because nothing was committed. */
export function failedStreamReport(
  stream: string,
  error: unknown,
  started: number,
  rowsRead = 0,
  bytesRead = 0,
): StreamReport {
  return {
    stream,
    status: 'failed',
    rowsRead,
    bytesRead,
    rowsWritten: 0,
    rowsQuarantined: 0,
    bytesWritten: 0,
    filesWritten: 0,
    snapshotId: null,
    durationMs: Date.now() - started,
    attempts: 1,
    verification: isSluiceError(error, 'VERIFY_MISMATCH') ? 'failed' : 'not-run',
    error: redact(messageOf(error)) + (isSluiceError(error) && error.hint ? ` (hint: ${error.hint})` : ''),
  };
}
