/**
 * Leases through the real CLI, on both control homes: a stream another run holds is refused with
 * the holder's run id and how to wait; `--wait` queues behind it; and a run killed with SIGKILL
 * leaves a lease that lapses by itself, so rerunning right away (with --wait) just works.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseRepository } from '../../src/control/lease-repository.js';
import { openControlDb } from '../../src/control/open-control-db.js';
import { streamLeaseKey } from '../../src/sync/guarded-stream.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { killHard, spawnCliUntil } from '../helpers/spawn-cli-until.js';

const up = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!up)('stream leases', () => {
  let source: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-leases-'));
    source = await createTestDatabase('stream_leases');
    await source.sql(`
      CREATE TABLE small AS SELECT g AS id, g::text AS label FROM generate_series(1, 1000) AS g;
      CREATE TABLE large AS SELECT g AS id, md5(g::text) AS label, g * 1.5 AS x FROM generate_series(1, 1000000) AS g;`);
  });
  afterAll(async () => {
    await source?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const homes: [string, (name: string) => string][] = [
    ['sqlite', (name) => `sqlite:${path.join(dir, `${name}.db`)}`],
    ['postgres', (name) => `${source.url}?schema=control_${name}`],
  ];

  describe.each(homes)('on %s', (label, controlUrl) => {
    const args = (lake: string, control: string, table: string, ...more: string[]) => [
      'sync',
      '--from',
      `${source.url}?schema=public`,
      '--to',
      `lake:${lake}`,
      '--tables',
      table,
      '--control',
      control,
      ...more,
    ];

    async function withLeases<T>(control: string, fn: (leases: LeaseRepository) => Promise<T>): Promise<T> {
      const db = await openControlDb(control);
      try {
        return await fn(new LeaseRepository(db));
      } finally {
        await db.close();
      }
    }

    it('refuses a stream another run holds, naming it, and --wait queues behind it', async () => {
      const control = controlUrl(`held_${label}`);
      const lake = path.join(dir, `held-${label}`);
      const key = streamLeaseKey(`lake:${lake}`, 'public.small');
      await withLeases(control, (leases) =>
        leases.tryAcquire({
          streamKey: key,
          holder: 'other-host pid 4242',
          runId: 'run_other',
          ttlMs: 600_000,
        }),
      );

      const refused = await runCli(args(lake, control, 'small'));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is being synced by run run_other on other-host pid 4242');
      expect(refused.stderr).toContain('--wait <duration>');

      const waiting = runCli(args(lake, control, 'small', '--wait', '2m', '--json'));
      // Whenever the waiting run polls next, the stream is free.
      await withLeases(control, (leases) => leases.release(key, 'run_other'));
      const done = await waiting;
      expect(done.stderr).toBe('');
      expect(done.code).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({ status: 'succeeded', rowsWritten: 1000 });
      expect(await withLeases(control, (leases) => leases.list())).toEqual([]);
    });

    it('reclaims the lease of a run killed with SIGKILL, so a rerun proceeds', async () => {
      const control = controlUrl(`killed_${label}`);
      const lake = path.join(dir, `killed-${label}`);
      // The lease is taken before the stream reports "reading…".
      const child = await spawnCliUntil(args(lake, control, 'large'), 'reading');
      await killHard(child);
      const left = await withLeases(control, (leases) => leases.list());
      expect(left).toHaveLength(1);
      expect(left[0]?.holder).toContain(`pid ${child.pid}`);

      const rerun = await runCli(args(lake, control, 'large', '--wait', '2m', '--json'));
      expect(rerun.stderr).toBe('');
      expect(rerun.code).toBe(0);
      expect(JSON.parse(rerun.stdout)).toMatchObject({ status: 'succeeded', rowsWritten: 1_000_000 });
      expect(await withLeases(control, (leases) => leases.list())).toEqual([]);
    });
  });
});
