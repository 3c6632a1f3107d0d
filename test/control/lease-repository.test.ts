/**
 * Stream leases and chunk manifests on both control homes: one run holds a stream, a second is
 * refused with the holder, a lapsed lease is taken over (time is passed in, so no test waits),
 * the old holder's heartbeat then fails, and racing takers have exactly one winner.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlDb } from '../../src/control/control-db.js';
import { LeaseRepository } from '../../src/control/lease-repository.js';
import { openControlDb } from '../../src/control/open-control-db.js';
import { RunChunksRepository } from '../../src/control/run-chunks-repository.js';
import { RunsRepository } from '../../src/control/runs-repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);
let dir: string;
let pgDatabase: TestDatabase | undefined;
let count = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-leases-'));
  if (pgUp) pgDatabase = await createTestDatabase('lease_repository');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await pgDatabase?.drop();
});

const homes: [string, () => string][] = [
  ['sqlite', () => `sqlite:${join(dir, `home-${++count}.db`)}`],
  ...(pgUp
    ? [['postgres', () => `${pgDatabase!.url}?schema=leases_${++count}`] as [string, () => string]]
    : []),
];

async function withDb(url: string, fn: (db: ControlDb) => Promise<void>): Promise<void> {
  const db = await openControlDb(url);
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

const T0 = Date.parse('2025-01-31T12:00:00.000Z');
const TTL = 15_000;
const KEY = 'lake:/data/lake#public.orders';

describe.each(homes)('stream leases on %s', (_label, freshUrl) => {
  it('holds a stream for one run and names the holder to the next', async () => {
    await withDb(freshUrl(), async (db) => {
      const leases = new LeaseRepository(db);
      const a = { streamKey: KEY, holder: 'host-a pid 1', runId: 'run_a', ttlMs: TTL };
      const b = { streamKey: KEY, holder: 'host-b pid 2', runId: 'run_b', ttlMs: TTL };
      expect(await leases.tryAcquire(a, T0)).toBeNull();
      expect(await leases.tryAcquire(b, T0 + 1000)).toMatchObject({
        holder: 'host-a pid 1',
        runId: 'run_a',
        expiresAt: '2025-01-31T12:00:15.000Z',
      });
      // The holder may take it again (idempotent), and a heartbeat pushes the expiry on.
      expect(await leases.tryAcquire(a, T0 + 2000)).toBeNull();
      expect(await leases.heartbeat(KEY, 'run_a', TTL, T0 + 10_000)).toBe(true);
      expect(await leases.tryAcquire(b, T0 + 20_000)).toMatchObject({ runId: 'run_a' });
      // Another stream is independent.
      expect(await leases.tryAcquire({ ...b, streamKey: `${KEY}x` }, T0)).toBeNull();

      await leases.release(KEY, 'run_b'); // not b's: nothing happens
      expect(await leases.get(KEY)).toMatchObject({ runId: 'run_a' });
      await leases.release(KEY, 'run_a');
      expect(await leases.get(KEY)).toBeNull();
      expect(await leases.tryAcquire(b, T0 + 21_000)).toBeNull();
    });
  });

  it('lets the next run take over a lapsed lease, after which the old holder has lost it', async () => {
    await withDb(freshUrl(), async (db) => {
      const leases = new LeaseRepository(db);
      expect(
        await leases.tryAcquire({ streamKey: KEY, holder: 'dead', runId: 'run_dead', ttlMs: TTL }, T0),
      ).toBeNull();
      const next = { streamKey: KEY, holder: 'alive', runId: 'run_next', ttlMs: TTL };
      expect(await leases.tryAcquire(next, T0 + TTL - 1)).toMatchObject({ runId: 'run_dead' });
      expect(await leases.tryAcquire(next, T0 + TTL + 1)).toBeNull();
      expect(await leases.get(KEY)).toMatchObject({ runId: 'run_next', holder: 'alive' });
      expect(await leases.heartbeat(KEY, 'run_dead', TTL, T0 + TTL + 2)).toBe(false);
      await leases.release(KEY, 'run_dead');
      expect(await leases.get(KEY)).toMatchObject({ runId: 'run_next' });
    });
  });

  it('gives a free stream to exactly one of many racing runs', async () => {
    await withDb(freshUrl(), async (db) => {
      const leases = new LeaseRepository(db);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          leases.tryAcquire({ streamKey: KEY, holder: `h${i}`, runId: `run_${i}`, ttlMs: TTL }),
        ),
      );
      const winners = results.filter((r) => r === null);
      expect(winners).toHaveLength(1);
      const holder = (await leases.get(KEY))!.runId;
      for (const blocked of results) if (blocked) expect(blocked.runId).toBe(holder);
    });
  });

  it('records chunk manifests per run and stream, and clears a stream for a retry', async () => {
    await withDb(freshUrl(), async (db) => {
      const run = await new RunsRepository(db).startRun({ source: 's', destination: 'd', mode: 'full' });
      const chunks = new RunChunksRepository(db);
      const chunk = {
        stream: 'public.orders',
        index: 0,
        rows: 3_000_000_000,
        bytes: 128,
        contentSha256: 'ab'.repeat(32),
        startPosition: null,
        endPosition: { cursor: '2025-01-31', id: 7 },
      };
      await chunks.record(run.id, chunk);
      await chunks.record(run.id, {
        ...chunk,
        index: 1,
        startPosition: chunk.endPosition,
        endPosition: null,
      });
      await chunks.record(run.id, { ...chunk, stream: 'public.items' });
      expect(await chunks.list(run.id)).toEqual([
        { ...chunk, stream: 'public.items' },
        chunk,
        { ...chunk, index: 1, startPosition: chunk.endPosition, endPosition: null },
      ]);
      await chunks.clearStream(run.id, 'public.orders');
      expect((await chunks.list(run.id)).map((c) => c.stream)).toEqual(['public.items']);
    });
  });
});
