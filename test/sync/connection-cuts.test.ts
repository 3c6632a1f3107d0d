/**
 * The runtime issue's "done when": a large PostgreSQL sync whose connections are cut again and
 * again (through a TCP proxy in front of the server) still completes, and the lake equals the
 * source row by row. Read as one key range (the default 1M rows per range), a retry reads the
 * stream from its start, so the number of tries is the number of cuts plus one; read in ranges,
 * a retry resumes after the last range committed to the table's staging branch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openControlDb } from '../../src/control/open-control-db.js';
import { RunChunksRepository } from '../../src/control/run-chunks-repository.js';
import { RunsRepository } from '../../src/control/runs-repository.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncProgress } from '../../src/sync/sync-report.js';
import { pgRows, tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import { diffAgainstLake } from '../helpers/lake-content.js';
import { MACHINE_PG, createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const ROWS = 1_000_000;
const CUTS = 3;
const up = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!up)('a sync through connections cut mid-read', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-cuts-'));
    db = await createTestDatabase('connection_cuts');
    await db.sql(`
      CREATE TABLE big AS
        SELECT g AS id, md5(g::text) AS label, (g % 100000)::numeric(12, 2) / 8 AS amount,
               timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at,
               CASE WHEN g % 7 = 0 THEN NULL ELSE g % 13 END AS maybe
          FROM generate_series(1, ${ROWS}) AS g;
      ALTER TABLE big ADD PRIMARY KEY (id);`);
    proxy = await startTcpProxy({ host: MACHINE_PG.host, port: MACHINE_PG.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('retries each cut read and the lake equals the source row by row', async () => {
    // 1M rows stage about 70 MB of CSV: every read attempt is cut somewhere in its first 40 MB
    // until CUTS connections were cut; the small check/discover queries are never reached.
    proxy.cutAfterBytes({ minBytes: 1 << 20, maxBytes: 40 << 20, times: CUTS });
    const lake = path.join(dir, 'lake');
    const control = `sqlite:${path.join(dir, 'control.db')}`;
    const retries: SyncProgress[] = [];
    const report = await runSync({
      from: `postgres://postgres@127.0.0.1:${proxy.port}/${db.name}?schema=public`,
      to: `lake:${lake}`,
      tables: ['big'],
      control,
      retry: { attempts: CUTS + 2, baseMs: 50, maxMs: 200 },
      onProgress: (event) => {
        if (event.phase === 'retry') retries.push(event);
      },
    });
    expect(report.streams[0]?.error).toBeUndefined();
    expect(report).toMatchObject({
      status: 'succeeded',
      rowsRead: ROWS,
      rowsWritten: ROWS,
      verification: 'passed',
    });
    expect(proxy.cuts).toBe(CUTS);
    expect(report.streams[0]?.attempts).toBe(CUTS + 1);
    expect(retries).toHaveLength(CUTS);
    expect(retries[0]?.message).toMatch(/retry 2 of 5/);

    // The run and the committed attempt's chunk manifests are in the control database.
    const controlDb = await openControlDb(control);
    try {
      const run = await new RunsRepository(controlDb).getRun(report.runId);
      expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, verification: 'passed' });
      expect(run?.streams[0]).toMatchObject({ stream: 'public.big', attempts: CUTS + 1, rowsRead: ROWS });
      const chunks = await new RunChunksRepository(controlDb).list(report.runId);
      expect(chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(ROWS);
      for (const c of chunks) expect(c.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await controlDb.close();
    }

    await expectLakeEqualsSource(lake);
  });

  it('resumes a cut key-range read from its last committed range, not from the start', async () => {
    // 20 parts of 50,000 rows make 23 ranges (key-range-read.ts rangeFractions: 19 of ~48,000 rows,
    // ~3.4 MB of CSV each, between ranges a quarter and a half of that at both ends): every read
    // connection is cut after 8–20 MB, so each try commits at least two ranges before its cut.
    proxy.cutAfterBytes({ minBytes: 8 << 20, maxBytes: 20 << 20, times: CUTS });
    const cutsBefore = proxy.cuts;
    const lake = path.join(dir, 'lake-ranges');
    const control = `sqlite:${path.join(dir, 'control-ranges.db')}`;
    const report = await runSync({
      from: `postgres://postgres@127.0.0.1:${proxy.port}/${db.name}?schema=public`,
      to: `lake:${lake}`,
      tables: ['big'],
      control,
      chunkRows: 50_000,
      retry: { attempts: CUTS + 2, baseMs: 50, maxMs: 200 },
    });
    const stream = report.streams[0];
    expect(stream?.error).toBeUndefined();
    expect(stream).toMatchObject({
      status: 'succeeded',
      rowsWritten: ROWS,
      verification: 'passed',
      ranges: 23,
    });
    expect(proxy.cuts - cutsBefore).toBe(CUTS);
    expect(stream?.attempts).toBe(CUTS + 1);
    // The last try read only what the cut tries had not committed; together they read each row once.
    expect(stream?.rangesSkipped).toBeGreaterThan(0);
    expect(stream?.rowsRead).toBeLessThan(ROWS);
    expect((stream?.rowsRead ?? 0) + (stream?.rowsResumed ?? 0)).toBe(ROWS);

    // The run's chunk manifests: the committed ranges of every try, each once.
    const controlDb = await openControlDb(control);
    try {
      const chunks = await new RunChunksRepository(controlDb).list(report.runId);
      expect(chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(ROWS);
      const ranges = chunks.map((c) => c.endPosition?.['range']);
      expect(new Set(ranges).size).toBe(23);
    } finally {
      await controlDb.close();
    }
    await expectLakeEqualsSource(lake);
  });

  async function expectLakeEqualsSource(lake: string): Promise<void> {
    const streams = (await discoverSource(db.url)).filter((s) => s.name === 'big');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const diffs = await diffAgainstLake(lake, streams, (stream, columns) =>
        tableRowHashes(
          'postgres',
          pgRows(client),
          { namespace: 'public', name: stream.name },
          columns,
          stream.primaryKey,
        ),
      );
      expect(diffs.get('public.big')).toMatchObject({
        missing: [],
        extra: [],
        changed: [],
        sourceRows: ROWS,
        lakeRows: ROWS,
      });
    } finally {
      await client.end();
    }
  }
});
