/**
 * A run's hold on one stream: take the lease before reading (waiting up to `waitMs` for another
 * run to finish, else refuse with who holds it), heartbeat while the stream runs, prove it is
 * still held right before the commit, release it at the end. Losing it (a heartbeat finds
 * someone else took it over, or heartbeats failed for longer than the TTL) aborts the stream
 * before its commit, so two runs can never both publish the same stream.
 */
import os from 'node:os';
import type { ControlQueries } from '../control/control-db.js';
import { LeaseRepository } from '../control/lease-repository.js';
import type { Lease } from '../control/lease-repository.js';
import { SluiceError, messageOf } from '../core/errors.js';

/** How leases behave. */
export interface LeaseSettings {
  /** How long a lease lasts without a heartbeat; a crashed holder's lease is free after this. */
  ttlMs: number;
  /** How long to wait for a held stream before refusing; 0 refuses at once. */
  waitMs: number;
}

/** TTL 15 s with a heartbeat every 5 s: a crashed run's streams are free again within 15 s. */
export const DEFAULT_LEASE: LeaseSettings = { ttlMs: 15_000, waitMs: 0 };

/** This process, as lease rows and messages name it. */
export const LEASE_HOLDER = `${os.hostname()} pid ${process.pid}`;

/** A held lease with its heartbeat running. */
export class StreamLease {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private lastExtended: number;
  private beating: Promise<void> = Promise.resolve();

  private constructor(
    private readonly leases: LeaseRepository,
    private readonly streamKey: string,
    private readonly runId: string,
    private readonly ttlMs: number,
  ) {
    this.lastExtended = Date.now();
    this.timer = setInterval(() => void this.beat(), Math.max(50, Math.floor(ttlMs / 3)));
    // A heartbeat must never keep a finished process alive.
    this.timer.unref();
  }

  /**
   * Takes the lease on `streamKey` for `runId`, polling while another run holds it for up to
   * `settings.waitMs`; throws LEASE_HELD naming the holder when it stays held.
   */
  static async acquire(
    db: ControlQueries,
    streamKey: string,
    runId: string,
    settings: LeaseSettings,
  ): Promise<StreamLease> {
    const leases = new LeaseRepository(db);
    const deadline = Date.now() + settings.waitMs;
    const request = { streamKey, runId, holder: LEASE_HOLDER, ttlMs: settings.ttlMs };
    for (;;) {
      const blocking = await leases.tryAcquire(request);
      if (blocking === null) return new StreamLease(leases, streamKey, runId, settings.ttlMs);
      // A holder on this machine whose process is gone (killed, crashed) cannot heartbeat any
      // more: take its lease now instead of waiting out the TTL, so a rerun resumes at once.
      if (isGoneHere(blocking.holder) && (await leases.takeOver(request, blocking.runId))) {
        return new StreamLease(leases, streamKey, runId, settings.ttlMs);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw leaseHeld(blocking, settings.waitMs);
      // Poll about once a second: a released lease is taken within a second, an expired one within TTL + 1 s.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, left)));
    }
  }

  /** Aborts when the lease is lost; pass it to work that should stop then. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Extends the lease now and throws LEASE_LOST unless this run still holds it; call right before committing. */
  async assertHeld(): Promise<void> {
    await this.beating;
    if (!this.controller.signal.aborted) await this.beat();
    if (this.controller.signal.aborted) throw this.controller.signal.reason as SluiceError;
  }

  /** Stops the heartbeat and deletes the lease row if this run still holds it. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.leases.release(this.streamKey, this.runId);
  }

  private beat(): Promise<void> {
    if (this.controller.signal.aborted) return this.beating;
    this.beating = this.beating.then(async () => {
      const now = Date.now();
      try {
        if (await this.leases.heartbeat(this.streamKey, this.runId, this.ttlMs, now)) {
          this.lastExtended = now;
          return;
        }
        this.lose('another run took it over after it lapsed');
      } catch (error) {
        // A control database blip is survivable while the lease has not lapsed yet.
        if (now - this.lastExtended >= this.ttlMs) this.lose(`heartbeats failed: ${messageOf(error)}`);
      }
    });
    return this.beating;
  }

  private lose(why: string): void {
    clearInterval(this.timer);
    this.controller.abort(
      new SluiceError('LEASE_LOST', `lost the lease on ${this.streamKey}: ${why}`, {
        retryable: false,
        hint: 'nothing of this stream was committed; check the control database is reachable and run again',
      }),
    );
  }
}

/**
 * True when `holder` names a process of this machine that no longer exists. A live process, one
 * of another machine, or one that cannot be checked counts as present: waiting out the TTL is
 * the safe mistake. (Containers sharing a hostname and a control database would defeat this;
 * give them distinct hostnames.)
 */
export function isGoneHere(holder: string): boolean {
  const match = /^(.*) pid (\d+)$/.exec(holder);
  if (!match || match[1] !== os.hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function leaseHeld(lease: Lease, waitedMs: number): SluiceError {
  const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
  return new SluiceError(
    'LEASE_HELD',
    `${lease.streamKey} is being synced by run ${lease.runId} on ${lease.holder}${waited}`,
    {
      hint:
        'wait for that run to finish, or rerun with --wait <duration> (e.g. --wait 10m) to queue behind it; ' +
        `a crashed run's lease lapses by itself at ${lease.expiresAt}`,
    },
  );
}
