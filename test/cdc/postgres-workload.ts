/** The concurrent CDC workload (`cdc-workload.ts`) in PostgreSQL's dialect, for the crash tests. */
import pg from 'pg';
import { expect } from 'vitest';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import { HOT_ACCOUNTS, runCrashScenario } from './cdc-workload.js';
import type { CrashScenario, WorkloadStatements } from './cdc-workload.js';
import { sql } from './pg-cdc-helpers.js';

/** The workload's statements in PostgreSQL's dialect. */
export const POSTGRES_STATEMENTS: WorkloadStatements = {
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

/**
 * Creates and seeds the workload's tables in `database` of `server`, then runs the crash
 * sequence into `target` (a lake, or `target.to`); the caller catches up and compares.
 */
export async function runPostgresCrashScenario(
  server: EmbeddedPostgresServer,
  database: string,
  target: CrashScenario['target'],
): Promise<void> {
  const url = server.url(database);
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
        database,
      );
      expect(killed.rows[0]).toEqual({ n: 1 });
    },
  });
}
