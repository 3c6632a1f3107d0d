/**
 * The done-when test: a concurrent workload (many clients; inserts, updates of the same
 * rows, deletes, rolled-back and long transactions) runs against PostgreSQL while
 * `sluice sync --mode cdc` streams it into a lake; Sluice is killed with SIGKILL twice mid-stream
 * and restarted, has its replication connection cut (and resumes by itself), then is stopped with SIGTERM, and a final `--until-caught-up` run must leave the
 * lake equal to the source, row by row.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import { IDENTICAL, diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import { cdcSync, okReport, scratchLake, sql, startSluice } from './pg-cdc-helpers.js';

let server: EmbeddedPostgresServer;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ logical: true, databases: ['cdc_crash'] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const HOT_ACCOUNTS = 40;

/** One client's loop of random work until `stop` is set. */
async function client(url: string, seed: number, stop: { done: boolean }): Promise<number> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  let random = seed;
  const next = (n: number) => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return random % n;
  };
  let committed = 0;
  try {
    while (!stop.done) {
      const op = next(100);
      const id = 1 + next(HOT_ACCOUNTS);
      try {
        if (op < 35) {
          await db.query('INSERT INTO events (account, payload) VALUES ($1, $2)', [
            id,
            { n: next(1e6), s: 'x'.repeat(next(50)) },
          ]);
        } else if (op < 65) {
          await db.query(
            'UPDATE accounts SET balance = balance + $2, note = $3, updated = now() WHERE id = $1',
            [id, next(100) - 50, `c${seed}-${committed}`],
          );
        } else if (op < 75) {
          await db.query(
            'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE account = $1 ORDER BY id LIMIT 3)',
            [id],
          );
        } else if (op < 85) {
          await db.query('BEGIN');
          await db.query('INSERT INTO events (account, payload) VALUES ($1, \'{"rolled": "back"}\')', [id]);
          await db.query('UPDATE accounts SET balance = -999999 WHERE id = $1', [id]);
          await db.query('ROLLBACK');
        } else if (op < 90) {
          // A long transaction: changes spread over a second, committed together.
          await db.query('BEGIN');
          for (let i = 0; i < 5; i++) {
            await db.query('INSERT INTO events (account, payload) VALUES ($1, $2)', [id, { long: i }]);
            await db.query('SELECT pg_sleep(0.2)');
          }
          await db.query('UPDATE accounts SET note = $2 WHERE id = $1', [id, `long ${seed}`]);
          await db.query('COMMIT');
        } else if (op < 95) {
          await db.query(
            'INSERT INTO accounts (id, balance, note) VALUES ($1, 0, $2) ON CONFLICT (id) DO UPDATE SET balance = 0',
            [1000 + next(500), 'upsert'],
          );
        } else {
          await db.query('DELETE FROM accounts WHERE id = $1', [1000 + next(500)]);
        }
        committed += 1;
      } catch {
        // Deadlocks between clients updating the same rows are part of the workload.
        await db.query('ROLLBACK').catch(() => undefined);
      }
    }
  } finally {
    await db.end();
  }
  return committed;
}

it('keeps the lake equal to PostgreSQL under a concurrent workload, across two SIGKILLs', async () => {
  const url = server.url('cdc_crash');
  const target = scratchLake('cdc-crash');
  await sql(
    url,
    'CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text, updated timestamptz)',
    'CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL, payload jsonb)',
    `INSERT INTO accounts SELECT g, 0, 'seed', now() FROM generate_series(1, 2000) g`,
    `INSERT INTO events (account, payload) SELECT g % ${HOT_ACCOUNTS} + 1, jsonb_build_object('seed', g) FROM generate_series(1, 20000) g`,
  );
  const stop = { done: false };
  const clients = Array.from({ length: 8 }, (_, i) => client(url, i + 1, stop));
  try {
    // The initial snapshot runs while the clients write.
    const first = startSluice(url, target, ['--all', '--batch-rows', '300', '--batch-ms', '200']);
    await first.commits(3);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = startSluice(url, target, ['--all', '--batch-rows', '300', '--batch-ms', '200']);
    await second.commits(5);
    second.child.kill('SIGKILL');
    await second.exited;

    const third = startSluice(url, target, ['--all', '--batch-rows', '300', '--batch-ms', '200']);
    await third.commits(5);
    // A lost replication connection (here: its walsender terminated) is retried from the last commit.
    const killed = await server.query(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_replication WHERE application_name = 'sluice-cdc'",
      'cdc_crash',
    );
    expect(killed.rows[0]).toEqual({ n: 1 });
    while (!third.stderr().includes('resuming from the last commit')) await third.commits(1);
    await third.commits(5);
    stop.done = true;
    const committed = await Promise.all(clients);
    expect(committed.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    await third.commits(1);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  } finally {
    stop.done = true;
    await Promise.allSettled(clients);
  }
  const last = okReport(await cdcSync(url, target, ['--wait', '60s']));
  expect(last.cdc.caughtUp).toBe(true);
  for (const table of ['accounts', 'events']) {
    const diff = await diffPostgresTable(url, target.lake, table);
    expect(diff).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(diff.sourceRows);
  }
}, 300_000);
