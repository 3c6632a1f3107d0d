/**
 * pg-full-sync: a full sync of one 10-million-row PostgreSQL table into the lake, against the
 * physical limit of getting those rows out of PostgreSQL at all — `psql` running
 * `COPY (SELECT * FROM t) TO STDOUT` into /dev/null. The server is an embedded PostgreSQL (so the
 * benchmark is the same on every machine); the table is built in-database and vacuumed first so
 * neither side pays for hint bits. Both sides run twice; the best run counts. `BENCH_ROWS`
 * shrinks the table for a quick check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresServer,
} from '../examples/marketplace/embedded-server.js';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import {
  NODE,
  bestOf,
  bestSync,
  failedResult,
  rowCount,
  syncArgs,
  syncResult,
  tail,
  timeCommand,
  type TimedRun,
} from './measure.js';

const NAME = 'pg-full-sync';
const DATABASE = 'bench';
const RUNS = 2;

/** Six columns of the common types, filled in one transaction (no WAL at wal_level=minimal). */
export async function createTable(server: EmbeddedPostgresServer, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: server.url(DATABASE) });
  await client.connect();
  try {
    await client.query(`
      BEGIN;
      CREATE TABLE public.t (
        id bigint NOT NULL, quantity integer NOT NULL, price numeric(12,2) NOT NULL,
        label text NOT NULL, created_at timestamptz NOT NULL, active boolean NOT NULL);
      INSERT INTO public.t
      SELECT g, (g * 7919 % 100003)::int, ((g * 104729 % 10000000) / 100.0)::numeric(12,2),
             'item-' || (g % 100000) || CASE WHEN g % 10 = 0 THEN ' (special offer)' ELSE '' END,
             timestamptz '2020-01-01 00:00:00+00' + g * interval '1.5 seconds', g % 3 = 0
      FROM generate_series(1::bigint, ${rows}) g;
      ALTER TABLE public.t ADD PRIMARY KEY (id);
      COMMIT;`);
    await client.query('VACUUM ANALYZE public.t');
  } finally {
    await client.end();
  }
}

function limitRun(server: EmbeddedPostgresServer): Promise<TimedRun> {
  return timeCommand('psql', ['-X', '-q', '-c', 'COPY (SELECT * FROM t) TO STDOUT'], {
    env: server.env(DATABASE),
    discardStdout: true,
  });
}

/** One Sluice run into a fresh lake, with its own control database so nothing touches the checkout. */
function sluiceRun(server: EmbeddedPostgresServer, workDir: string, run: number): Promise<TimedRun> {
  return timeCommand(NODE, syncArgs(server.url(DATABASE), ['--tables', 'public.t'], workDir, run));
}

async function measure(): Promise<BenchmarkResult> {
  const rows = rowCount();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  const server = await startEmbeddedPostgres({ databases: [DATABASE] });
  try {
    await createTable(server, rows);
    const limit = await bestOf(RUNS, () => limitRun(server));
    const limitSeconds = limit.code === 0 ? limit.seconds : null;
    const shape = `${rows.toLocaleString('en-US')} rows × 6 cols; limit: psql COPY … TO STDOUT > /dev/null`;

    const best = await bestSync(RUNS, rows, (run) => sluiceRun(server, workDir, run));
    if (typeof best === 'string') return failedResult(NAME, best, limitSeconds);
    return syncResult(NAME, rows, best, limitSeconds, shape, () => `psql failed: ${tail(limit.stderr)}`);
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const pgFullSync: Benchmark = { name: NAME, run: measure };
