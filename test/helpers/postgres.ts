/**
 * A fresh PostgreSQL database per test file on the machine's server (127.0.0.1:5432, trust
 * auth), named from the test and dropped afterwards.
 */
import pg from 'pg';

export const MACHINE_PG = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

export interface TestDatabase {
  /** Database name. */
  name: string;
  /** Connection URL for Sluice (`postgres://postgres@127.0.0.1:5432/<name>`). */
  url: string;
  /** Runs SQL in the database (a fresh connection per call). */
  sql(text: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Drops the database. */
  drop(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ ...MACHINE_PG, database: 'postgres' });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `sluice_t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${process.pid}`;
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://${MACHINE_PG.user}@${MACHINE_PG.host}:${MACHINE_PG.port}/${name}`,
    async sql(text, params) {
      const client = new pg.Client({ ...MACHINE_PG, database: name });
      await client.connect();
      try {
        return await client.query(text, params);
      } finally {
        await client.end();
      }
    },
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
