import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openControlDb } from '../../src/control/open-control-db.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { describeControlDb } from './control-db-suite.js';

const up = await serviceAvailable('PostgreSQL', 5432);
let database: TestDatabase;
let count = 0;

describe.skipIf(!up)('postgres control database', () => {
  beforeAll(async () => {
    database = await createTestDatabase('control_db');
  });
  afterAll(async () => {
    await database?.drop();
  });

  // A fresh schema per case is a fresh control database, and exercises `?schema=`.
  describeControlDb('postgres', () => ({ freshUrl: async () => `${database.url}?schema=home_${++count}` }));

  it('keeps every object in the default schema `sluice`', async () => {
    const db = await openControlDb(database.url);
    await db.close();
    const { rows } = await database.sql(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'sluice' ORDER BY 1`,
    );
    expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual([
      'iceberg_namespace_properties',
      'iceberg_tables',
      'run_chunks',
      'run_streams',
      'runs',
      'schema_migrations',
      'stream_leases',
      'stream_state',
    ]);
    const publicTables = await database.sql(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(publicTables.rowCount).toBe(0);
  });

  it('rejects a schema name it cannot pass safely', async () => {
    await expect(openControlDb(`${database.url}?schema=Bad-Name`)).rejects.toMatchObject({ code: 'CONFIG' });
  });
});

describe('postgres control database connection failures', () => {
  it('names the server, hides the password and says what to check', async () => {
    const error = await openControlDb('postgres://app:hunter2@127.0.0.1:1/control').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONTROL_DB', retryable: true });
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain('postgres://app:***@127.0.0.1:1/control');
    expect(`${message} ${hint}`).not.toContain('hunter2');
    expect(hint).toContain('127.0.0.1:1');
  });
});
