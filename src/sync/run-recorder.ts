import type { ControlDb } from '../control/control-db.js';
import { openControlDb } from '../control/open-control-db.js';
import { RunChunksRepository } from '../control/run-chunks-repository.js';
import type { ChunkManifest } from '../control/run-chunks-repository.js';
import { RUN_HEARTBEAT_MS, RUN_STALE_MS, RunsRepository } from '../control/runs-repository.js';
import { isSluiceError, messageOf } from '../core/errors.js';
import { LEASE_HOLDER, isGoneHere } from './stream-lease.js';
import type { StreamReport, SyncReport } from './sync-report.js';

/** The run's ledger in the control database: what started, each stream's outcome, how it ended. */
export class RunRecorder {
  private readonly chunks: RunChunksRepository;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    /** The open control database, for the run's other control tables (leases). */
    readonly db: ControlDb,
    private readonly runs: RunsRepository,
  ) {
    this.chunks = new RunChunksRepository(db);
  }

  /** Opens (and migrates) the control database at `url`. */
  static async open(url: string): Promise<RunRecorder> {
    const db = await openControlDb(url);
    return new RunRecorder(db, new RunsRepository(db));
  }

  /**
   * Records a new running run, held by this process, and returns its id; from then on the run
   * heartbeats until it finishes, so a killed run can be told from a running one. Runs of dead
   * processes found on the way are marked abandoned.
   */
  async start(input: { source: string; destination: string; mode: string }): Promise<string> {
    await this.runs.markAbandoned({ staleMs: RUN_STALE_MS, isGone: isGoneHere }).catch(() => undefined);
    const { id } = await this.runs.startRun({ ...input, holder: LEASE_HOLDER });
    this.heartbeat = setInterval(() => void this.runs.heartbeat(id).catch(() => undefined), RUN_HEARTBEAT_MS);
    // A heartbeat must never keep a finished process alive.
    this.heartbeat.unref();
    return id;
  }

  /** Records one stream's outcome. */
  async recordStream(runId: string, report: StreamReport): Promise<void> {
    await this.runs.recordStream(runId, {
      stream: report.stream,
      status: report.status,
      rows: report.rowsWritten,
      bytes: report.bytesWritten,
      files: report.filesWritten,
      durationMs: report.durationMs,
      rowsRead: report.rowsRead,
      rowsQuarantined: report.rowsQuarantined,
      attempts: report.attempts,
      verification: report.verification,
      ...(report.snapshotId !== null && { snapshotId: Number(report.snapshotId) }),
      ...(report.error !== undefined && { error: report.error }),
    });
  }

  /** Records one staged chunk's manifest. */
  async recordChunk(runId: string, chunk: ChunkManifest): Promise<void> {
    await this.chunks.record(runId, chunk);
  }

  /** Forgets a stream's chunk manifests before it is read again from the start. */
  async clearChunks(runId: string, stream: string): Promise<void> {
    await this.chunks.clearStream(runId, stream);
  }

  /**
   * Before a retry of a resumable load: keeps the manifests of chunks whose key range (their end
   * position's `range`) is committed, forgets the others, and returns the next free chunk index.
   */
  async keepRangeChunks(runId: string, stream: string, done: ReadonlySet<number>): Promise<number> {
    const chunks = (await this.chunks.list(runId)).filter((chunk) => chunk.stream === stream);
    const lost = chunks.filter((chunk) => !done.has(Number(chunk.endPosition?.['range'])));
    await this.chunks.forget(
      runId,
      stream,
      lost.map((chunk) => chunk.index),
    );
    return chunks.reduce((next, chunk) => Math.max(next, chunk.index + 1), 0);
  }

  /** Records the end of a run that got through all its streams (some may have failed). */
  async finish(report: SyncReport): Promise<void> {
    this.stopHeartbeat();
    const failed = report.streams.filter((s) => s.status === 'failed');
    await this.runs.finishRun(report.runId, {
      ...totals(report),
      status: report.status,
      ...(failed.length > 0 && {
        error: { code: 'STREAM_FAILED', message: failed.map((s) => `${s.stream}: ${s.error}`).join('; ') },
      }),
    });
  }

  /** Records a run that stopped early on an error. */
  async fail(runId: string, error: unknown, partial: SyncReport): Promise<void> {
    this.stopHeartbeat();
    await this.runs.finishRun(runId, {
      ...totals(partial),
      status: 'failed',
      error: { code: isSluiceError(error) ? error.code : 'INTERNAL', message: messageOf(error) },
    });
  }

  /** Closes the control database. */
  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.db.close();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

function totals(report: SyncReport) {
  return {
    rowsRead: report.rowsRead,
    rowsWritten: report.rowsWritten,
    bytesWritten: report.bytesWritten,
    bytesRead: report.bytesRead,
    rowsQuarantined: report.rowsQuarantined,
    durationMs: report.durationMs,
    verification: report.verification,
    peakRssBytes: report.peakRssBytes,
    report,
  };
}
