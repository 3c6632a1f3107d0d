/**
 * Connections of the PostgreSQL capture: ordinary ones for catalog queries and snapshot reads,
 * and replication ones (`replication=database`) for slots and the change stream.
 */
import pg from 'pg';
import type { PostgresConfig } from '../../connectors/postgres/postgres-config.js';
import { connectError, pgTarget } from '../../connectors/postgres/postgres-errors.js';

/**
 * The session settings under which PostgreSQL prints every value as the stage dialect's
 * canonical text — the same the COPY reader sets (postgres-copy-reader.ts), given as startup
 * options because the walsender prints pgoutput's values with its own session's settings.
 */
const CANONICAL_OUTPUT_OPTIONS = [
  'TimeZone=UTC',
  'DateStyle=ISO',
  'extra_float_digits=3',
  'bytea_output=hex',
  'IntervalStyle=postgres',
  'statement_timeout=0',
]
  .map((setting) => `-c ${setting}`)
  .join(' ');

/** Opens a connection; `replication` makes it a logical replication (walsender) connection. */
export async function openPgClient(config: PostgresConfig, replication = false): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: config.url,
    connectionTimeoutMillis: config.connectTimeoutMs,
    application_name: replication ? 'sluice-cdc' : 'sluice',
    options: CANONICAL_OUTPUT_OPTIONS,
    ...(replication && { replication: 'database' }),
    ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
  });
  // Errors on an idle connection surface on its next use; unhandled they would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, pgTarget(config.url));
  }
}

/** Ends a connection, ignoring errors of one that is already gone. */
export async function closePgClient(client: pg.Client | undefined): Promise<void> {
  await client?.end().catch(() => undefined);
}
