/**
 * A run's hold on a stream: refused while another run holds it, and once taken over (after it
 * lapsed) the old holder's pre-commit check fails with LEASE_LOST, so it never commits.
 */
import { describe, expect, it } from 'vitest';
import { LeaseRepository } from '../../src/control/lease-repository.js';
import { openControlDb } from '../../src/control/open-control-db.js';
import { StreamLease } from '../../src/sync/stream-lease.js';

const KEY = 'lake:/lake#public.orders';
const SETTINGS = { ttlMs: 60_000, waitMs: 0 };

describe('StreamLease', () => {
  it('refuses a held stream with the holder, run id and how to wait', async () => {
    const db = await openControlDb('sqlite::memory:');
    try {
      const held = await StreamLease.acquire(db, KEY, 'run_a', SETTINGS);
      const error = await StreamLease.acquire(db, KEY, 'run_b', SETTINGS).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'LEASE_HELD',
        retryable: false,
        message: expect.stringMatching(/being synced by run run_a on .* pid \d+/),
        hint: expect.stringContaining('--wait <duration>'),
      });
      await held.assertHeld();
      await held.release();
      const next = await StreamLease.acquire(db, KEY, 'run_b', SETTINGS);
      await next.release();
    } finally {
      await db.close();
    }
  });

  it('fails the pre-commit check with LEASE_LOST once another run took the lease over', async () => {
    const db = await openControlDb('sqlite::memory:');
    try {
      const lease = await StreamLease.acquire(db, KEY, 'run_a', SETTINGS);
      // As if run_a had stalled past its TTL: the lease lapses and run_b takes it.
      await db.execute(`UPDATE stream_leases SET expires_at = '2000-01-01T00:00:00.000Z'`);
      const stolen = await new LeaseRepository(db).tryAcquire({
        streamKey: KEY,
        holder: 'other',
        runId: 'run_b',
        ttlMs: 60_000,
      });
      expect(stolen).toBeNull();
      await expect(lease.assertHeld()).rejects.toMatchObject({ code: 'LEASE_LOST' });
      expect(lease.signal.aborted).toBe(true);
      // Releasing the lost lease leaves the new holder's row alone.
      await lease.release();
      expect(await new LeaseRepository(db).get(KEY)).toMatchObject({ runId: 'run_b' });
    } finally {
      await db.close();
    }
  });
});
