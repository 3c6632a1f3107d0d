/**
 * The run ledger: one `runs` row per sync run and one `run_streams` row per stream it touched.
 * What `sluice runs` lists and what a failed run leaves behind for a person to read.
 */
import { SluiceError } from '../core/errors.js';
import { redact, redactUrl } from '../core/redact.js';
import type { ControlQueries } from './control-db.js';
import { newId } from './ids.js';

/**
 * `abandoned`: the run's process stopped (SIGKILL, crash, lost machine) without finishing it;
 * set by `markAbandoned` once its heartbeat is stale or its process is known to be gone.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';
export type StreamStatus = 'running' | 'succeeded' | 'failed';
/** The run-time check that the commit holds every row read: passed, failed, or not run (the stream failed first). */
export type VerificationOutcome = 'passed' | 'failed' | 'not-run';

/** What is known when a run starts. */
export interface StartRunInput {
  /** Source connection URL; stored with its password removed. */
  source: string;
  /** Destination connection URL or name; stored with its password removed. */
  destination: string;
  /** Sync mode of the run (full, incremental, cdc). */
  mode: string;
  /** The process running it, e.g. `host-a pid 4242`; it heartbeats while it runs. */
  holder?: string;
}

/** How often a run's process records that it is alive. */
export const RUN_HEARTBEAT_MS = 5_000;
/** A running run without a heartbeat for this long is abandoned (its process is gone). */
export const RUN_STALE_MS = 60_000;

/** When running runs count as abandoned. */
export interface AbandonRule {
  /** A run whose last heartbeat is older than this is abandoned, whoever runs it. */
  staleMs: number;
  /** True when the holder is known to be gone now (a process of this machine that no longer exists). */
  isGone?: (holder: string) => boolean;
  /** The time to judge by (default now). */
  now?: number;
}

/** How a run ended. */
export interface FinishRunInput {
  /** Final status. */
  status: 'succeeded' | 'failed';
  /** Why it failed; a SluiceError fits as it is. The message is stored redacted. */
  error?: { code: string; message: string };
  /** Rows read from the source. */
  rowsRead?: number;
  /** Rows written to the destination. */
  rowsWritten?: number;
  /** Bytes of data files written. */
  bytesWritten?: number;
  /** Bytes staged from the source. */
  bytesRead?: number;
  /** Rows set aside in quarantine instead of loaded. */
  rowsQuarantined?: number;
  /** Wall time of the run. */
  durationMs?: number;
  /** Outcome of the run's verification over all streams. */
  verification?: VerificationOutcome;
  /** Peak resident memory of the process during the run. */
  peakRssBytes?: number;
  /** The run's full report; stored as JSON text. */
  report?: unknown;
}

/** One stream's result within a run; recording it again replaces the earlier row. */
export interface StreamResult {
  /** Stream name, `namespace.table`. */
  stream: string;
  /** Where the stream is. */
  status: StreamStatus;
  /** Rows written. */
  rows?: number;
  /** Bytes written. */
  bytes?: number;
  /** Data files written. */
  files?: number;
  /** Destination snapshot the stream committed (Iceberg snapshot id), if any. */
  snapshotId?: number;
  /** Time the stream took. */
  durationMs?: number;
  /** Why it failed; stored redacted. */
  error?: string;
  /** Rows read from the source (by the attempt that counted). */
  rowsRead?: number;
  /** Rows set aside in quarantine. */
  rowsQuarantined?: number;
  /** Tries the stream took (1 without retries). */
  attempts?: number;
  /** Outcome of the stream's post-commit check. */
  verification?: VerificationOutcome;
}

/** A `runs` row. Timestamps are ISO-8601 UTC; counters are null until the run reports them. */
export interface RunRecord {
  /** `run_` + a time-ordered id. */
  id: string;
  /** When the run started. */
  startedAt: string;
  /** When it finished; null while running. */
  finishedAt: string | null;
  /** Current status. */
  status: RunStatus;
  /** Source URL, password removed. */
  source: string;
  /** Destination, password removed. */
  destination: string;
  /** Sync mode. */
  mode: string;
  /** SluiceError code of a failed run. */
  errorCode: string | null;
  /** Error message of a failed run. */
  errorMessage: string | null;
  /** Rows read from the source. */
  rowsRead: number | null;
  /** Rows written. */
  rowsWritten: number | null;
  /** Bytes written. */
  bytesWritten: number | null;
  /** Bytes staged from the source. */
  bytesRead: number | null;
  /** Rows quarantined. */
  rowsQuarantined: number | null;
  /** Wall time of the run. */
  durationMs: number | null;
  /** Verification outcome over all streams. */
  verification: VerificationOutcome | null;
  /** Peak resident memory. */
  peakRssBytes: number | null;
  /** The parsed report, or null. */
  report: unknown;
  /** The process that ran it, or null (runs recorded before heartbeats). */
  holder: string | null;
  /** Its last heartbeat, or null. */
  heartbeatAt: string | null;
}

/** A `run_streams` row. */
export interface RunStreamRecord extends Required<Pick<StreamResult, 'stream' | 'status'>> {
  /** Rows written. */
  rows: number | null;
  /** Bytes written. */
  bytes: number | null;
  /** Data files written. */
  files: number | null;
  /** Committed snapshot id. */
  snapshotId: number | null;
  /** Time the stream took. */
  durationMs: number | null;
  /** Why it failed. */
  error: string | null;
  /** Rows read. */
  rowsRead: number | null;
  /** Rows quarantined. */
  rowsQuarantined: number | null;
  /** Tries the stream took. */
  attempts: number | null;
  /** Outcome of the stream's post-commit check. */
  verification: VerificationOutcome | null;
}

/** A run with its streams, in stream-name order. */
export interface RunDetail extends RunRecord {
  /** Per-stream results. */
  streams: RunStreamRecord[];
}

interface RunRow {
  id: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  source: string;
  destination: string;
  mode: string;
  error_code: string | null;
  error_message: string | null;
  rows_read: number | string | null;
  rows_written: number | string | null;
  bytes_written: number | string | null;
  peak_rss_bytes: number | string | null;
  bytes_read: number | string | null;
  rows_quarantined: number | string | null;
  duration_ms: number | string | null;
  verification: string | null;
  report: string | null;
  holder?: string | null;
  heartbeat_at?: string | null;
}

interface RunStreamRow {
  stream: string;
  status: string;
  rows: number | string | null;
  bytes: number | string | null;
  files: number | string | null;
  snapshot_id: number | string | null;
  duration_ms: number | string | null;
  error: string | null;
  rows_read: number | string | null;
  rows_quarantined: number | string | null;
  attempts: number | string | null;
  verification: string | null;
}

// PostgreSQL returns BIGINT as text; SQLite as a number.
const num = (value: number | string | null): number | null => (value === null ? null : Number(value));
const opt = (value: number | undefined): number | null => value ?? null;

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status as RunStatus,
    source: row.source,
    destination: row.destination,
    mode: row.mode,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    rowsRead: num(row.rows_read),
    rowsWritten: num(row.rows_written),
    bytesWritten: num(row.bytes_written),
    bytesRead: num(row.bytes_read),
    rowsQuarantined: num(row.rows_quarantined),
    durationMs: num(row.duration_ms),
    verification: row.verification as VerificationOutcome | null,
    peakRssBytes: num(row.peak_rss_bytes),
    report: row.report === null ? null : (JSON.parse(row.report) as unknown),
    holder: row.holder ?? null,
    heartbeatAt: row.heartbeat_at ?? null,
  };
}

function toStream(row: RunStreamRow): RunStreamRecord {
  return {
    stream: row.stream,
    status: row.status as StreamStatus,
    rows: num(row.rows),
    bytes: num(row.bytes),
    files: num(row.files),
    snapshotId: num(row.snapshot_id),
    durationMs: num(row.duration_ms),
    error: row.error,
    rowsRead: num(row.rows_read),
    rowsQuarantined: num(row.rows_quarantined),
    attempts: num(row.attempts),
    verification: row.verification as VerificationOutcome | null,
  };
}

/** Runs and their streams in the control database (or inside one of its transactions). */
export class RunsRepository {
  constructor(private readonly db: ControlQueries) {}

  /** Records a new run as `running` and returns it. */
  async startRun(input: StartRunInput): Promise<RunRecord> {
    const now = Date.now();
    const id = newId('run', now);
    const at = new Date(now).toISOString();
    await this.db.execute(
      `INSERT INTO runs (id, started_at, status, source, destination, mode, holder, heartbeat_at)
       VALUES ($1, $2, 'running', $3, $4, $5, $6, $2)`,
      [id, at, redactUrl(input.source), redactUrl(input.destination), input.mode, input.holder ?? null],
    );
    return (await this.getRun(id))!;
  }

  /** Records that the run's process is alive; false when the run is no longer running. */
  async heartbeat(runId: string, now: number = Date.now()): Promise<boolean> {
    const changed = await this.db.execute(
      `UPDATE runs SET heartbeat_at = $2 WHERE id = $1 AND status = 'running'`,
      [runId, new Date(now).toISOString()],
    );
    return changed > 0;
  }

  /**
   * Marks `abandoned` every running run whose heartbeat is older than `rule.staleMs` or whose
   * process `rule.isGone` says no longer exists, with its last heartbeat as its end; returns their
   * ids. Each update is a compare-and-swap on `status = 'running'` and the heartbeat seen, so a
   * run that heartbeats meanwhile is left alone.
   */
  async markAbandoned(rule: AbandonRule): Promise<string[]> {
    const now = rule.now ?? Date.now();
    const stale = new Date(now - rule.staleMs).toISOString();
    const running = await this.db.query<{ id: string; holder: string | null; seen: string }>(
      `SELECT id, holder, COALESCE(heartbeat_at, started_at) AS seen FROM runs WHERE status = 'running'`,
    );
    const abandoned: string[] = [];
    for (const run of running) {
      const gone = run.holder !== null && (rule.isGone?.(run.holder) ?? false);
      if (!gone && run.seen >= stale) continue;
      const why = gone ? `its process (${run.holder}) no longer exists` : `no heartbeat since ${run.seen}`;
      const changed = await this.db.execute(
        `UPDATE runs SET status = 'abandoned', finished_at = $2, error_code = 'ABANDONED', error_message = $3
          WHERE id = $1 AND status = 'running' AND COALESCE(heartbeat_at, started_at) = $2`,
        [
          run.id,
          run.seen,
          `the run stopped without finishing (killed or crashed): ${why}; nothing it had not committed was published`,
        ],
      );
      if (changed > 0) abandoned.push(run.id);
    }
    return abandoned;
  }

  /** Records (or replaces) one stream's result within a run. */
  async recordStream(runId: string, result: StreamResult): Promise<void> {
    await this.db.execute(
      `INSERT INTO run_streams (run_id, stream, status, rows, bytes, files, snapshot_id, duration_ms, error,
         rows_read, rows_quarantined, attempts, verification)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (run_id, stream) DO UPDATE SET status = excluded.status, rows = excluded.rows,
         bytes = excluded.bytes, files = excluded.files, snapshot_id = excluded.snapshot_id,
         duration_ms = excluded.duration_ms, error = excluded.error, rows_read = excluded.rows_read,
         rows_quarantined = excluded.rows_quarantined, attempts = excluded.attempts,
         verification = excluded.verification`,
      [
        runId,
        result.stream,
        result.status,
        opt(result.rows),
        opt(result.bytes),
        opt(result.files),
        opt(result.snapshotId),
        opt(result.durationMs),
        result.error === undefined ? null : redact(result.error),
        opt(result.rowsRead),
        opt(result.rowsQuarantined),
        opt(result.attempts),
        result.verification ?? null,
      ],
    );
  }

  /**
   * Marks a running run finished; refuses a run that is unknown or already finished. A run marked
   * abandoned that turns out to be alive after all (its heartbeats were held up) gets its outcome.
   */
  async finishRun(runId: string, outcome: FinishRunInput): Promise<RunRecord> {
    const changed = await this.db.execute(
      `UPDATE runs SET finished_at = $2, status = $3, error_code = $4, error_message = $5, rows_read = $6,
         rows_written = $7, bytes_written = $8, peak_rss_bytes = $9, report = $10, bytes_read = $11,
         rows_quarantined = $12, duration_ms = $13, verification = $14
       WHERE id = $1 AND status IN ('running', 'abandoned')`,
      [
        runId,
        new Date().toISOString(),
        outcome.status,
        outcome.error?.code ?? null,
        outcome.error === undefined ? null : redact(outcome.error.message),
        opt(outcome.rowsRead),
        opt(outcome.rowsWritten),
        opt(outcome.bytesWritten),
        opt(outcome.peakRssBytes),
        outcome.report === undefined ? null : JSON.stringify(outcome.report),
        opt(outcome.bytesRead),
        opt(outcome.rowsQuarantined),
        opt(outcome.durationMs),
        outcome.verification ?? null,
      ],
    );
    if (changed === 0) {
      throw new SluiceError('CONTROL_DB', `run ${runId} is not running (unknown or already finished)`, {
        hint: 'finish a run once, with the id startRun returned',
      });
    }
    return (await this.getRun(runId))!;
  }

  /** The most recent runs, newest first. */
  async listRuns(limit = 20): Promise<RunRecord[]> {
    const rows = await this.db.query<RunRow>(
      'SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT $1',
      [Math.max(0, Math.trunc(limit))],
    );
    return rows.map(toRun);
  }

  /** One run with its streams, or null when there is no such run. */
  async getRun(runId: string): Promise<RunDetail | null> {
    const [row] = await this.db.query<RunRow>('SELECT * FROM runs WHERE id = $1', [runId]);
    if (!row) return null;
    const streams = await this.db.query<RunStreamRow>(
      'SELECT * FROM run_streams WHERE run_id = $1 ORDER BY stream',
      [runId],
    );
    return { ...toRun(row), streams: streams.map(toStream) };
  }
}
