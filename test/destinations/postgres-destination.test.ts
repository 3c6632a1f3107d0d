/**
 * The PostgreSQL destination on the machine's server: the shared SQL destination suite, the
 * column types it creates, its staging table (UNLOGGED, named after table and run, dropped by
 * commit and abort), `?schema=`, and connection errors that never show the password.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PostgresDestination,
  parsePostgresDestinationUrl,
} from '../../src/destinations/postgres/postgres-destination.js';
import { pgRows } from '../../src/verify/fingerprint-queries.js';
import { ALL_TYPES, rowsBetween, stageChunk } from '../lake/lake-fixtures.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { sqlDestinationSuite } from './sql-destination-suite.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);

let db: TestDatabase;
let stageDir: string;
beforeAll(async () => {
  if (!pgUp) return;
  db = await createTestDatabase('pg_destination');
  stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
});
afterAll(async () => {
  await db?.drop();
  if (stageDir) await fs.rm(stageDir, { recursive: true, force: true });
});

async function withClient<T>(action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(!pgUp)('PostgreSQL destination', () => {
  sqlDestinationSuite({
    label: 'PostgreSQL',
    dialect: 'postgres',
    open: () => PostgresDestination.fromUrl(db.url),
    withSql: (action) => withClient((client) => action(pgRows(client))),
  });

  it('creates PostgreSQL types that hold each canonical type, and the stream’s primary key', async () => {
    const destination = PostgresDestination.fromUrl(`${db.url}?schema=typed`);
    try {
      const writer = await destination.openStream({
        namespace: 'ignored',
        name: 'all types',
        columns: ALL_TYPES,
        primaryKey: ['id'],
        disposition: 'replace',
        runId: 'run-types',
      });
      await writer.write(await stageChunk(stageDir, 0, rowsBetween(1, 20)));
      await writer.commit(null);
    } finally {
      await destination.close();
    }
    const types = await db.sql(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attrelid = 'typed."all types"'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    expect(types.rows.map((row: { type: string }) => row.type)).toEqual([
      'bigint',
      'boolean',
      'integer',
      'bigint',
      'real',
      'double precision',
      'numeric(10,2)',
      'numeric(38,9)',
      'text',
      'bytea',
      'date',
      'time without time zone',
      'timestamp without time zone',
      'timestamp with time zone',
      'uuid',
      'json',
    ]);
    const key = await db.sql(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = 'typed."all types"'::regclass AND i.indisprimary`,
    );
    expect(key.rows).toEqual([{ attname: 'id' }]);
    // Binary arrives as bytes, not as the text `\x…`.
    const binary = await db.sql(`SELECT encode(payload, 'hex') AS hex FROM typed."all types" WHERE id = 1`);
    expect(binary.rows).toEqual([{ hex: '00ff10' }]);
  });

  it('stages into an UNLOGGED _sluice_stage_<table>_<run> table that commit and abort drop', async () => {
    const staging = () =>
      db.sql(
        "SELECT n.nspname, c.relname, c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE '\\_sluice\\_stage\\_%' AND c.relkind = 'r'",
      );
    const destination = PostgresDestination.fromUrl(db.url);
    try {
      const stream = {
        namespace: 'staged',
        name: 'orders',
        columns: ALL_TYPES,
        primaryKey: ['id'],
        disposition: 'append' as const,
        runId: 'run_01ABC',
      };
      const writer = await destination.openStream(stream);
      await writer.write(await stageChunk(stageDir, 0, rowsBetween(1, 5)));
      expect((await staging()).rows).toEqual([
        { nspname: 'staged', relname: '_sluice_stage_orders_run_01ABC', relpersistence: 'u' },
      ]);
      await writer.commit(null);
      expect((await staging()).rows).toEqual([]);

      const long = 'a_table_name_that_is_much_longer_than_what_fits_in_63_bytes';
      const second = await destination.openStream({
        ...stream,
        name: long,
        runId: 'run_01JZ0000000000000000000000',
      });
      const [row] = (await staging()).rows as { relname: string }[];
      expect(Buffer.byteLength(row!.relname)).toBeLessThanOrEqual(63);
      expect(row!.relname).toMatch(/^_sluice_stage_a_table_name_.*_[0-9a-f]{16}$/);
      await second.abort();
      expect((await staging()).rows).toEqual([]);
      expect(await destination.lastCommit('staged', long)).toBeNull();
    } finally {
      await destination.close();
    }
  });

  it('writes into ?schema= instead of the stream namespace, creating it', async () => {
    const destination = PostgresDestination.fromUrl(`${db.url}?schema=elsewhere`);
    try {
      const writer = await destination.openStream({
        namespace: 'public',
        name: 'moved',
        columns: ALL_TYPES,
        primaryKey: ['id'],
        disposition: 'replace',
        runId: 'r',
      });
      await writer.write(await stageChunk(stageDir, 0, rowsBetween(1, 3)));
      expect(await writer.commit({ offset: 3 })).toMatchObject({ rowsWritten: 3, totalRows: 3 });
      expect(await destination.lastCommit('public', 'moved')).toMatchObject({ position: { offset: 3 } });
    } finally {
      await destination.close();
    }
    expect((await db.sql('SELECT count(*)::int AS n FROM elsewhere.moved')).rows).toEqual([{ n: 3 }]);
  });
});

describe('PostgreSQL destination URLs and connection errors', () => {
  it('takes ?schema= out of the URL and keeps the other parameters', () => {
    const target = parsePostgresDestinationUrl(
      'postgres://u:pw@db.example:6543/shop?schema=raw&sslmode=disable',
    );
    expect(target).toMatchObject({
      schema: 'raw',
      where: { address: 'db.example:6543', database: 'shop', user: 'u' },
    });
    expect(target.connectionString).toBe('postgres://u:pw@db.example:6543/shop?sslmode=disable');
    expect(() => parsePostgresDestinationUrl('postgres://u@host')).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
  });

  it('reports an unreachable server as retryable, without the password', async () => {
    const destination = PostgresDestination.fromUrl('postgres://app:s3cr3t-pw@127.0.0.1:1/shop');
    const error = await destination.check().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DESTINATION_WRITE', retryable: true });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
      's3cr3t-pw',
    );
  });

  it.skipIf(!pgUp)('names a missing database with a hint', async () => {
    const destination = PostgresDestination.fromUrl('postgres://postgres@127.0.0.1:5432/sluice_no_such_db');
    await expect(destination.check()).rejects.toMatchObject({
      code: 'DESTINATION_WRITE',
      hint: expect.stringMatching(/createdb/),
    });
  });
});
