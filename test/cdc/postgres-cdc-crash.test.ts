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
import { HOT_ACCOUNTS, runCrashScenario } from './cdc-workload.js';
import type { WorkloadStatements } from './cdc-workload.js';
import { cdcSync, okReport, scratchLake, sql } from './pg-cdc-helpers.js';

let server: EmbeddedPostgresServer;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ logical: true, databases: ['cdc_crash'] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** The workload in PostgreSQL's dialect. */
const POSTGRES_STATEMENTS: WorkloadStatements = {
  begin: 'BEGIN',
  insertEvent: 'INSERT INTO events (account, payload) VALUES ($1, $2)',
  updateBalance: 'UPDATE accounts SET balance = balance + $1, note = $2, updated = now() WHERE id = $3',
  deleteEvents:
    'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE account = $1 ORDER BY id LIMIT 3)',
  insertRolledBackEvent: 'INSERT INTO events (account, payload) VALUES ($1, \'{"rolled": "back"}\')',
  poisonBalance: 'UPDATE accounts SET balance = -999999 WHERE id = $1',
  sleep: 'SELECT pg_sleep(0.2)',
  updateNote: 'UPDATE accounts SET note = $1 WHERE id = $2',
  upsertAccount:
    'INSERT INTO accounts (id, balance, note) VALUES ($1, 0, $2) ON CONFLICT (id) DO UPDATE SET balance = 0',
  deleteAccount: 'DELETE FROM accounts WHERE id = $1',
};

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
  await runCrashScenario({
    url,
    target,
    statements: POSTGRES_STATEMENTS,
    connect: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    cutReplication: async () => {
      // Here the walsender is terminated.
      const killed = await server.query(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_replication WHERE application_name = 'sluice-cdc'",
        'cdc_crash',
      );
      expect(killed.rows[0]).toEqual({ n: 1 });
    },
  });
  const last = okReport(await cdcSync(url, target, ['--wait', '60s']));
  expect(last.cdc.caughtUp).toBe(true);
  for (const table of ['accounts', 'events']) {
    const diff = await diffPostgresTable(url, target.lake, table);
    expect(diff).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(diff.sourceRows);
  }
}, 300_000);
