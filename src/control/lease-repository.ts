/**
 * Stream leases: at most one run writes a stream at a time. A lease is a `stream_leases` row
 * with an expiry; its holder extends it by heartbeats and deletes it when done. A holder that
 * dies (crash, SIGKILL, lost machine) stops heartbeating, its row expires, and the next run takes
 * it over, so rerunning after a crash needs no manual cleanup.
 *
 * Expiry uses the clocks of the machines that write the rows (timestamps are made in code, like
 * every timestamp in the control database): holders on several machines need clocks in step to
 * well within the TTL, which NTP gives.
 */
import { SluiceError } from '../core/errors.js';
import type { ControlQueries } from './control-db.js';

/** Who holds a stream, as `stream_leases` records it. */
export interface Lease {
  /** The stream, e.g. `lake:/data/lake#public.orders`. */
  streamKey: string;
  /** The holding process, e.g. `host-a pid 4242`. */
  holder: string;
  /** The run holding it. */
  runId: string;
  /** When the holder took it (ISO-8601 UTC). */
  acquiredAt: string;
  /** The holder's last heartbeat. */
  heartbeatAt: string;
  /** When it lapses unless extended; after this anyone may take it. */
  expiresAt: string;
}

/** What a run asks for. */
export interface LeaseRequest {
  /** The stream to hold. */
  streamKey: string;
  /** The asking process, for messages. */
  holder: string;
  /** The asking run; a lease is held by a run, so the same run may take it again. */
  runId: string;
  /** How long the lease lasts without a heartbeat. */
  ttlMs: number;
}

interface LeaseRow {
  stream_key: string;
  holder: string;
  run_id: string;
  acquired_at: string;
  heartbeat_at: string;
  expires_at: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Takes, extends and releases stream leases in the control database. */
export class LeaseRepository {
  constructor(private readonly db: ControlQueries) {}

  /**
   * Takes the lease when it is free, expired, or already this run's, in one statement (an upsert
   * whose update only applies to a lapsed or own row), so two runs racing for it cannot both
   * win on either home. Returns null when taken, else the lease that blocks it.
   */
  async tryAcquire(request: LeaseRequest, now: number = Date.now()): Promise<Lease | null> {
    // A holder can release between a refused take and the look-up of who holds it: try again then.
    for (let round = 0; round < 5; round++) {
      const changed = await this.db.execute(
        `INSERT INTO stream_leases (stream_key, holder, run_id, acquired_at, heartbeat_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)
         ON CONFLICT (stream_key) DO UPDATE SET holder = excluded.holder, run_id = excluded.run_id,
           acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at
         WHERE stream_leases.expires_at < excluded.acquired_at OR stream_leases.run_id = excluded.run_id`,
        [request.streamKey, request.holder, request.runId, iso(now), iso(now + request.ttlMs)],
      );
      if (changed > 0) return null;
      const blocking = await this.get(request.streamKey);
      if (blocking) return blocking;
    }
    throw new SluiceError('CONTROL_DB', `the lease on ${request.streamKey} keeps changing hands`, {
      retryable: true,
      hint: 'several runs are competing for this stream; run again, or wait for the others with --wait',
    });
  }

  /**
   * Takes over the lease `deadRunId` holds (its holder is known to be gone), as one
   * compare-and-swap on that run id: of several runs taking it over, one wins. True when taken.
   */
  async takeOver(request: LeaseRequest, deadRunId: string, now: number = Date.now()): Promise<boolean> {
    const changed = await this.db.execute(
      `UPDATE stream_leases SET holder = $3, run_id = $4, acquired_at = $5, heartbeat_at = $5, expires_at = $6
        WHERE stream_key = $1 AND run_id = $2`,
      [request.streamKey, deadRunId, request.holder, request.runId, iso(now), iso(now + request.ttlMs)],
    );
    return changed > 0;
  }

  /** Extends the run's lease; false when it no longer holds it (it lapsed and someone took it). */
  async heartbeat(
    streamKey: string,
    runId: string,
    ttlMs: number,
    now: number = Date.now(),
  ): Promise<boolean> {
    const changed = await this.db.execute(
      'UPDATE stream_leases SET heartbeat_at = $3, expires_at = $4 WHERE stream_key = $1 AND run_id = $2',
      [streamKey, runId, iso(now), iso(now + ttlMs)],
    );
    return changed > 0;
  }

  /** Gives the lease up, if the run still holds it. */
  async release(streamKey: string, runId: string): Promise<void> {
    await this.db.execute('DELETE FROM stream_leases WHERE stream_key = $1 AND run_id = $2', [
      streamKey,
      runId,
    ]);
  }

  /** The lease on a stream, expired or not, or null when nobody holds it. */
  async get(streamKey: string): Promise<Lease | null> {
    const [row] = await this.db.query<LeaseRow>('SELECT * FROM stream_leases WHERE stream_key = $1', [
      streamKey,
    ]);
    return row ? toLease(row) : null;
  }

  /** Every lease row, by stream key. */
  async list(): Promise<Lease[]> {
    const rows = await this.db.query<LeaseRow>('SELECT * FROM stream_leases ORDER BY stream_key');
    return rows.map(toLease);
  }
}

function toLease(row: LeaseRow): Lease {
  return {
    streamKey: row.stream_key,
    holder: row.holder,
    runId: row.run_id,
    acquiredAt: row.acquired_at,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at,
  };
}
