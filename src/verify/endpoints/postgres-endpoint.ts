/**
 * PostgreSQL as a verify endpoint, on either side: tables come from the PostgreSQL connector's
 * discovery (the schema named by `?schema=`, default public); queries run on one session with
 * the settings of `hash-dialect.ts` (those of the connector's COPY reads). Hashing passes stream
 * the rows out with COPY (on a session of their own) and hash them in DuckDB (`copy-hash.ts`)
 * when the other side can do the same; otherwise, and for single rows, the server computes the
 * md5 hashes.
 */
import type { Socket } from 'node:net';
import pg from 'pg';
import { connectorForUrl, postgresConfigFromUrl } from '../../connectors/registry.js';
import type { PostgresConfig } from '../../connectors/postgres/postgres-config.js';
import { CopyOutStream } from '../../connectors/postgres/copy-out-stream.js';
import { connectError, pgTarget } from '../../connectors/postgres/postgres-errors.js';
import { redactUrl } from '../../core/redact.js';
import { pgRows } from '../fingerprint-queries.js';
import { sessionSql } from '../hash-dialect.js';
import type { VerifyEndpoint } from './endpoint.js';
import { SqlEndpoint } from './sql-endpoint.js';

/** Application name of verify sessions, so an operator can find them in pg_stat_activity. */
export const VERIFY_APPLICATION_NAME = 'sluice verify';

/** A session with verify's settings; driver errors are left to the caller to explain. */
async function openSession(config: PostgresConfig): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: config.url,
    connectionTimeoutMillis: config.connectTimeoutMs,
    application_name: VERIFY_APPLICATION_NAME,
    ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
  });
  // A connection that dies while idle reports on its next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const statement of sessionSql('postgres')) await client.query(statement);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * A COPY's output, read on a session of its own: a COPY abandoned half way (its hashing failed)
 * would leave a session unusable, so that session is cut and the endpoint's own stays clean.
 */
async function* copyOnOwnSession(config: PostgresConfig, sql: string): AsyncGenerator<Buffer> {
  const client = await openSession(config);
  let complete = false;
  try {
    // The connector's in-place COPY parser: one buffer per socket read, not one per row.
    const copy = client.query(new CopyOutStream(sql));
    for await (const chunk of copy) yield chunk as Buffer;
    complete = true;
  } finally {
    if (!complete) (client as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
    await client.end().catch(() => undefined);
  }
}

export async function openPostgresEndpoint(url: string): Promise<VerifyEndpoint> {
  const config = postgresConfigFromUrl(url);
  let client: pg.Client;
  try {
    client = await openSession(config);
  } catch (error) {
    throw connectError(error, pgTarget(config.url));
  }
  return new SqlEndpoint({
    dialect: 'postgres',
    label: redactUrl(url),
    run: pgRows(client),
    async listTables() {
      const connector = connectorForUrl(url);
      try {
        return await connector.discover();
      } finally {
        await connector.close();
      }
    },
    close: () => client.end().catch(() => undefined),
    copyOut: (sql) => copyOnOwnSession(config, sql),
  });
}
