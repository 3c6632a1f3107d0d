/**
 * The behaviour every control-database home must have, as one suite: each home's test file
 * calls `describeControlDb` with a way to get a fresh, empty control database URL.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ControlDb } from '../../src/control/control-db.js';
import { loadMigrations } from '../../src/control/migrate.js';
import { openControlDb } from '../../src/control/open-control-db.js';
import { RunChunksRepository } from '../../src/control/run-chunks-repository.js';
import { RunsRepository } from '../../src/control/runs-repository.js';
import { StateRepository } from '../../src/control/state-repository.js';
import { SluiceError } from '../../src/core/errors.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./fixtures/open-at.ts', import.meta.url));

/** How the suite gets a control database. */
export interface ControlHome {
  /** A URL of a fresh, never-opened control database. */
  freshUrl(): Promise<string>;
}

async function withDb<T>(url: string, fn: (db: ControlDb) => Promise<T>): Promise<T> {
  const db = await openControlDb(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const migrationRows = (db: ControlDb) =>
  db
    .query<{ version: number | string }>('SELECT version FROM schema_migrations ORDER BY version')
    .then((rows) => rows.map((row) => Number(row.version)));

export function describeControlDb(label: string, home: () => ControlHome): void {
  describe(`control database: ${label}`, () => {
    it('applies every migration once and is idempotent on reopen', async () => {
      const url = await home().freshUrl();
      const versions = (await loadMigrations()).map((m) => m.version);
      expect(versions.length).toBeGreaterThan(0);
      await withDb(url, async (db) => expect(await migrationRows(db)).toEqual(versions));
      await withDb(url, async (db) => expect(await migrationRows(db)).toEqual(versions));
    });

    it('forgets exactly the chunk manifests named, in batches, and keeps the others', async () => {
      const url = await home().freshUrl();
      await withDb(url, async (db) => {
        const run = await new RunsRepository(db).startRun({
          source: 'sqlite:a.db',
          destination: 'lake:/l',
          mode: 'full',
        });
        const chunks = new RunChunksRepository(db);
        const manifest = (stream: string, index: number) => ({
          stream,
          index,
          rows: 1,
          bytes: 1,
          contentSha256: 'ab',
          startPosition: null,
          endPosition: { range: index },
        });
        for (let index = 0; index < 1203; index++) await chunks.record(run.id, manifest('s.t', index));
        await chunks.record(run.id, manifest('s.other', 3));
        // More than two statements' worth (FORGET_BATCH is 500), in no particular order.
        const doomed = Array.from({ length: 1203 }, (_, i) => i)
          .filter((i) => i % 3 === 0 || i > 1100)
          .reverse();
        await chunks.forget(run.id, 's.t', doomed);
        const left = await chunks.list(run.id);
        const gone = new Set(doomed);
        expect(left.filter((c) => c.stream === 's.t').map((c) => c.index)).toEqual(
          Array.from({ length: 1203 }, (_, i) => i).filter((i) => !gone.has(i)),
        );
        expect(left.filter((c) => c.stream === 's.other').map((c) => c.index)).toEqual([3]);
      });
    });

    it('lets two openers in one process migrate a fresh database at once', async () => {
      const url = await home().freshUrl();
      const [a, b] = await Promise.all([openControlDb(url), openControlDb(url)]);
      try {
        const versions = (await loadMigrations()).map((m) => m.version);
        expect(await migrationRows(a)).toEqual(versions);
        expect(await migrationRows(b)).toEqual(versions);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('lets two processes migrate a fresh database at once', async () => {
      const url = await home().freshUrl();
      const at = String(Date.now() + 1500);
      const child = () => run(process.execPath, ['--import', 'tsx', CHILD, url, at], { timeout: 60_000 });
      await Promise.all([child(), child()]);
      const versions = (await loadMigrations()).map((m) => m.version);
      await withDb(url, async (db) => expect(await migrationRows(db)).toEqual(versions));
    });

    it('refuses a database migrated by a newer Sluice', async () => {
      const url = await home().freshUrl();
      await withDb(url, (db) =>
        db.execute('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          9999,
          'from_the_future',
          new Date().toISOString(),
        ]),
      );
      const error = await openControlDb(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SluiceError);
      expect(error).toMatchObject({
        code: 'CONTROL_DB',
        message: expect.stringMatching(/newer Sluice.*9999/),
      });
      expect((error as SluiceError).hint).toMatch(/upgrade Sluice/);
    });

    it('round-trips runs and their streams', async () => {
      await withDb(await home().freshUrl(), async (db) => {
        const runs = new RunsRepository(db);
        const first = await runs.startRun({
          source: 'postgres://app:s3cret@db:5432/shop',
          destination: 'lake:./lake',
          mode: 'full',
        });
        expect(first).toMatchObject({
          id: expect.stringMatching(/^run_[0-9A-Z]{26}$/),
          status: 'running',
          source: 'postgres://app:***@db:5432/shop',
          finishedAt: null,
          rowsRead: null,
          report: null,
        });
        await runs.recordStream(first.id, { stream: 'public.orders', status: 'running' });
        await runs.recordStream(first.id, {
          stream: 'public.orders',
          status: 'succeeded',
          rows: 3_000_000_000,
          bytes: 12_345,
          files: 2,
          snapshotId: 8_765_432_109_876,
          durationMs: 1500,
        });
        await runs.recordStream(first.id, { stream: 'public.customers', status: 'failed', error: 'boom' });
        const finished = await runs.finishRun(first.id, {
          status: 'failed',
          error: new SluiceError('SOURCE_READ', 'lost postgres://app:s3cret@db/shop'),
          rowsRead: 3_000_000_000,
          rowsWritten: 3_000_000_000,
          bytesWritten: 12_345,
          peakRssBytes: 200_000_000,
          report: { streams: 2, note: 'ünïcode' },
        });
        expect(finished).toMatchObject({
          status: 'failed',
          errorCode: 'SOURCE_READ',
          errorMessage: 'lost postgres://app:***@db/shop',
          rowsRead: 3_000_000_000,
          peakRssBytes: 200_000_000,
          report: { streams: 2, note: 'ünïcode' },
        });
        expect(finished.finishedAt! >= finished.startedAt).toBe(true);
        await expect(runs.finishRun(first.id, { status: 'succeeded' })).rejects.toMatchObject({
          code: 'CONTROL_DB',
        });

        const detail = await runs.getRun(first.id);
        expect(detail?.streams).toEqual([
          {
            stream: 'public.customers',
            status: 'failed',
            rows: null,
            bytes: null,
            files: null,
            snapshotId: null,
            durationMs: null,
            error: 'boom',
            rowsRead: null,
            rowsQuarantined: null,
            attempts: null,
            verification: null,
          },
          {
            stream: 'public.orders',
            status: 'succeeded',
            rows: 3_000_000_000,
            bytes: 12_345,
            files: 2,
            snapshotId: 8_765_432_109_876,
            durationMs: 1500,
            error: null,
            rowsRead: null,
            rowsQuarantined: null,
            attempts: null,
            verification: null,
          },
        ]);

        await new Promise((resolve) => setTimeout(resolve, 5));
        const second = await runs.startRun({
          source: 'sqlite:a.db',
          destination: 'lake:./lake',
          mode: 'full',
        });
        expect((await runs.listRuns(10)).map((r) => r.id)).toEqual([second.id, first.id]);
        expect((await runs.listRuns(1)).map((r) => r.id)).toEqual([second.id]);
        expect(await runs.getRun('run_missing')).toBeNull();
      });
    });

    it('marks running runs abandoned when their heartbeat is stale or their process is gone, and only those', async () => {
      await withDb(await home().freshUrl(), async (db) => {
        const runs = new RunsRepository(db);
        const input = { source: 'sqlite:a.db', destination: 'lake:/l', mode: 'full' };
        const t0 = Date.parse('2030-01-01T00:00:00.000Z');
        const stale = await runs.startRun({ ...input, holder: 'other-host pid 1' });
        const alive = await runs.startRun({ ...input, holder: 'other-host pid 2' });
        const gone = await runs.startRun({ ...input, holder: 'this-host pid 3' });
        const done = await runs.startRun({ ...input, holder: 'other-host pid 4' });
        await runs.finishRun(done.id, { status: 'succeeded' });
        expect(await runs.heartbeat(stale.id, t0)).toBe(true);
        expect(await runs.heartbeat(alive.id, t0 + 50_000)).toBe(true);
        expect(await runs.heartbeat(gone.id, t0 + 50_000)).toBe(true);
        expect(await runs.heartbeat(done.id, t0)).toBe(false);

        const abandoned = await runs.markAbandoned({
          staleMs: 30_000,
          isGone: (holder) => holder === 'this-host pid 3',
          now: t0 + 60_000,
        });
        expect(abandoned.sort()).toEqual([stale.id, gone.id].sort());
        expect(await runs.getRun(stale.id)).toMatchObject({
          status: 'abandoned',
          finishedAt: '2030-01-01T00:00:00.000Z',
          errorCode: 'ABANDONED',
          errorMessage: expect.stringContaining('no heartbeat since 2030-01-01T00:00:00.000Z'),
          holder: 'other-host pid 1',
        });
        expect((await runs.getRun(gone.id))?.errorMessage).toContain('this-host pid 3');
        expect(await runs.getRun(alive.id)).toMatchObject({ status: 'running', finishedAt: null });
        expect((await runs.getRun(done.id))?.status).toBe('succeeded');
        // Asking again changes nothing; an abandoned run that was alive after all still finishes.
        expect(await runs.markAbandoned({ staleMs: 30_000, now: t0 + 60_000 })).toEqual([]);
        expect(await runs.heartbeat(stale.id, t0 + 70_000)).toBe(false);
        expect((await runs.finishRun(stale.id, { status: 'succeeded' })).status).toBe('succeeded');
      });
    });

    it('round-trips stream state', async () => {
      await withDb(await home().freshUrl(), async (db) => {
        const state = new StateRepository(db);
        expect(await state.getState('shop', 'public.orders')).toBeNull();
        const position = { cursor: '2025-01-31T12:00:00Z', lsn: 123456789, done: false, note: null };
        await state.putState('shop', 'public.orders', position, 'run_a');
        expect(await state.getState('shop', 'public.orders')).toMatchObject({ position, runId: 'run_a' });
        await state.putState('shop', 'public.orders', { cursor: 'later' });
        expect(await state.getState('shop', 'public.orders')).toMatchObject({
          position: { cursor: 'later' },
          runId: null,
        });
        expect(await state.getState('other', 'public.orders')).toBeNull();
      });
    });

    it('rolls back a transaction that throws and rethrows its error', async () => {
      await withDb(await home().freshUrl(), async (db) => {
        const boom = new Error('boom');
        let escaped: RunsRepository | undefined;
        const error = await db
          .transaction(async (tx) => {
            escaped = new RunsRepository(tx);
            await escaped.startRun({ source: 's', destination: 'd', mode: 'full' });
            await new StateRepository(tx).putState('shop', 'orders', { cursor: 1 });
            throw boom;
          })
          .catch((e: unknown) => e);
        expect(error).toBe(boom);
        expect(await new RunsRepository(db).listRuns()).toEqual([]);
        expect(await new StateRepository(db).getState('shop', 'orders')).toBeNull();
        // The handle is dead once its transaction ended.
        await expect(escaped!.listRuns()).rejects.toMatchObject({ code: 'CONTROL_DB' });
      });
    });

    it('keeps statements made outside a transaction out of it', async () => {
      await withDb(await home().freshUrl(), async (db) => {
        const runs = new RunsRepository(db);
        const input = { source: 's', destination: 'd', mode: 'full' };
        const failing = db.transaction(async (tx) => {
          await new RunsRepository(tx).startRun(input);
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new Error('boom');
        });
        const outside = runs.startRun(input);
        await expect(failing).rejects.toThrow('boom');
        const kept = await outside;
        expect((await runs.listRuns()).map((r) => r.id)).toEqual([kept.id]);
      });
    });

    it('reports a failing statement with its SQL', async () => {
      await withDb(await home().freshUrl(), async (db) => {
        const error = await db.query('SELECT nope FROM runs').catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'CONTROL_DB', sql: 'SELECT nope FROM runs', retryable: false });
      });
    });
  });
}
