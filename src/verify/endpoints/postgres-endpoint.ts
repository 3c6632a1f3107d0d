/**
 * PostgreSQL as a verify endpoint, on either side: tables come from the PostgreSQL connector's
 * discovery (the schema named by `?schema=`, default public); everything runs on one session
 * with the settings of `hash-dialect.ts` (those of the connector's COPY reads). Hashing passes
 * stream the rows out with COPY and hash them in DuckDB (`copy-hash.ts`) when the other side
 * can do the same; otherwise, and for single rows, the server computes the md5 hashes.
 */
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { connectorForUrl, postgresConfigFromUrl } from '../../connectors/registry.js';
import { connectError, pgTarget } from '../../connectors/postgres/postgres-errors.js';
import { redactUrl } from '../../core/redact.js';
import { pgRows } from '../fingerprint-queries.js';
import { sessionSql } from '../hash-dialect.js';
import type { VerifyEndpoint } from './endpoint.js';
import { SqlEndpoint } from './sql-endpoint.js';

/** Application name of verify sessions, so an operator can find them in pg_stat_activity. */
export const VERIFY_APPLICATION_NAME = 'sluice verify';

export async function openPostgresEndpoint(url: string): Promise<VerifyEndpoint> {
  const config = postgresConfigFromUrl(url);
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
    throw connectError(error, pgTarget(config.url));
  }
  const run = pgRows(client);
  return new SqlEndpoint({
    dialect: 'postgres',
    label: redactUrl(url),
    run,
    async listTables() {
      const connector = connectorForUrl(url);
      try {
        return await connector.discover();
      } finally {
        await connector.close();
      }
    },
    close: () => client.end().catch(() => undefined),
    copyOut(sql) {
      const copy = client.query(copyTo(sql));
      // A late driver error after the reader stopped is handled by the read that failed.
      copy.on('error', () => undefined);
      return copy;
    },
  });
}
