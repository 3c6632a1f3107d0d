/**
 * Incremental reads from PostgreSQL that never miss a row while the source is being written
 * (`incremental-concurrent-scenario.ts`): writers stamp rows with `now()`, their transaction's
 * START time, so a transaction open across a sync commits values below what the sync read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { MACHINE_PG, createTestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import type { ConcurrentSource } from './incremental-concurrent-scenario.js';
import { concurrentIncrementalCases } from './incremental-concurrent-scenario.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!pgUp)('incremental syncs from PostgreSQL under concurrent writers', () => {
  let db: TestDatabase;
  let dir: string;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('pg_incr_concurrent');
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-incr-concurrent-'));
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.end()));
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  concurrentIncrementalCases((): ConcurrentSource => ({
    from: `${db.url}?schema=public`,
    namespace: 'public',
    lake: path.join(dir, 'lake'),
    sql: (text) => db.sql(text),
    connect: async () => {
      const client = new pg.Client({ ...MACHINE_PG, database: db.name });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
    createTable: (table, rows, hoursAgo) =>
      `CREATE TABLE ${table} (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(), payload text, writer int);
         INSERT INTO ${table} SELECT i, now() - interval '${hoursAgo} hours', 'seed', 0 FROM generate_series(1, ${rows}) i`,
    upsert: (table, ids, payload, writer, backdateMs) =>
      `INSERT INTO ${table} (id, updated_at, payload, writer)
           SELECT id, now() - interval '${backdateMs} milliseconds', '${payload}', ${writer}
             FROM unnest(ARRAY[${ids.join(',')}]::int[]) id
         ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at, payload = EXCLUDED.payload, writer = EXCLUDED.writer`,
    positionBelowRow: async (table, position, id) => {
      const { rows } = await db.sql(
        `SELECT $1::timestamptz < (SELECT updated_at FROM ${table} WHERE id = ${id}) AS below`,
        [position?.cursor],
      );
      return rows[0]?.below === true;
    },
    diff: (table) => diffPostgresTable(db.url, path.join(dir, 'lake'), table),
  }));
});
