/**
 * The PostgreSQL source. Every operation uses its own connection (a read holds one for its
 * whole COPY), so streams can be read one after another or side by side; close() ends whatever
 * is still open.
 */
import pg from 'pg';
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { SourcePosition, StagedChunk, StreamPlan, StreamSchema } from '../../core/stream.js';
import type { Connector, ConnectorDefinition } from '../connector.js';
import type { KeyRangeEvent, KeyRangePlan, KeyRangeSource } from '../key-range-read.js';
import { assertFullOrCursorRead } from '../read-modes.js';
import { postgresConfigSchema } from './postgres-config.js';
import type { PostgresConfig } from './postgres-config.js';
import { readTableWithCopy } from './postgres-copy-reader.js';
import { discoverPostgresSchema } from './postgres-discover.js';
import { planPgKeyRanges, readPgKeyRanges } from './postgres-key-ranges.js';
import { connectError, isTransientPgError, pgTarget } from './postgres-errors.js';
import type { PgTarget } from './postgres-errors.js';

export const postgresConnectorDefinition: ConnectorDefinition<PostgresConfig> = {
  type: 'postgres',
  configSchema: postgresConfigSchema,
  capabilities: {
    incremental: true,
    incrementalBy: 'cursor',
    reconcileDeletes: true,
    cdc: false,
    parallelChunks: true,
  },
  create: (config) => new PostgresConnector(config),
};

export class PostgresConnector implements Connector, KeyRangeSource {
  /** Source type, as in the registry. */
  readonly type = 'postgres';
  /** The schema discover() lists; becomes the lake namespace. */
  readonly namespace: string;
  /** What the source supports (incremental reads by a cursor column). */
  readonly capabilities = postgresConnectorDefinition.capabilities;
  private readonly target: PgTarget;
  private readonly clients = new Set<pg.Client>();
  private closed = false;

  constructor(private readonly config: PostgresConfig) {
    this.namespace = config.schema;
    this.target = pgTarget(config.url);
  }

  async check(signal?: AbortSignal): Promise<void> {
    const client = await this.connect(signal);
    const stop = () => void this.release(client);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await this.assertSchemaReadable(client);
    } catch (error) {
      throw signal?.aborted ? aborted(this.target) : this.queryError(error, 'checking the source');
    } finally {
      signal?.removeEventListener('abort', stop);
      await this.release(client);
    }
  }

  async discover(): Promise<StreamSchema[]> {
    const client = await this.connect();
    try {
      await this.assertSchemaReadable(client);
      return await discoverPostgresSchema(client, this.config.schema);
    } catch (error) {
      throw this.queryError(error, `discovering schema "${this.config.schema}"`);
    } finally {
      await this.release(client);
    }
  }

  async *read(plan: StreamPlan, from: SourcePosition | null): AsyncGenerator<StagedChunk> {
    assertFullOrCursorRead(plan, 'PostgreSQL');
    const client = await this.connect();
    try {
      yield* readTableWithCopy(client, plan, from);
    } finally {
      await this.release(client);
    }
  }

  async planKeyRanges(plan: StreamPlan, rowsPerRange: number, maxRanges: number): Promise<KeyRangePlan> {
    assertFullOrCursorRead(plan, 'PostgreSQL');
    const client = await this.connect();
    try {
      return await planPgKeyRanges(client, plan, rowsPerRange, maxRanges);
    } finally {
      await this.release(client);
    }
  }

  readKeyRanges(
    plan: StreamPlan,
    keys: KeyRangePlan,
    ranges: readonly number[],
  ): AsyncIterable<KeyRangeEvent> {
    assertFullOrCursorRead(plan, 'PostgreSQL');
    const connections = { open: () => this.connect(), release: (client: pg.Client) => this.release(client) };
    return readPgKeyRanges(connections, plan, keys, ranges, this.config.parallelism);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.clients].map((client) => this.release(client)));
  }

  private async connect(signal?: AbortSignal): Promise<pg.Client> {
    if (this.closed) {
      throw new SluiceError('USAGE', 'the PostgreSQL connector is closed', {
        hint: 'create a new connector for further work',
      });
    }
    if (signal?.aborted) throw aborted(this.target);
    const client = new pg.Client({
      connectionString: this.config.url,
      connectionTimeoutMillis: this.config.connectTimeoutMs,
      application_name: 'sluice',
      ...(this.config.ssl === undefined ? {} : { ssl: this.config.ssl }),
    });
    // Errors on an idle connection surface on its next query; without a listener they would crash the process.
    client.on('error', () => undefined);
    this.clients.add(client);
    const stop = () => void this.release(client);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await this.release(client);
      throw signal?.aborted ? aborted(this.target) : connectError(error, this.target);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  private async release(client: pg.Client): Promise<void> {
    if (!this.clients.delete(client)) return;
    await client.end().catch(() => undefined);
  }

  private async assertSchemaReadable(client: pg.Client): Promise<void> {
    const schema = this.config.schema;
    const { rows } = await client.query<{ usable: boolean }>(
      "SELECT has_schema_privilege(oid, 'USAGE') AS usable FROM pg_catalog.pg_namespace WHERE nspname = $1",
      [schema],
    );
    const where = `database "${this.target.database}" on ${this.target.host}:${this.target.port}`;
    if (!rows[0]) {
      throw new SluiceError('SOURCE_NOT_FOUND', `schema "${schema}" does not exist in ${where}`, {
        hint: 'check the schema name (?schema=… in the source URL; the default is public)',
      });
    }
    if (!rows[0].usable) {
      throw new SluiceError(
        'SOURCE_CONNECT',
        `user "${this.target.user}" may not use schema "${schema}" in ${where}`,
        {
          hint: `GRANT USAGE ON SCHEMA "${schema}" (and SELECT on its tables) to "${this.target.user}"`,
        },
      );
    }
  }

  private queryError(error: unknown, what: string): SluiceError {
    if (error instanceof SluiceError) return error;
    const detail = redact(messageOf(error));
    const lost = isTransientPgError(error);
    return new SluiceError('SOURCE_READ', `${what} failed: ${detail}`, {
      hint: lost ? 'the connection to PostgreSQL was lost; try again' : 'see the cause',
      retryable: lost,
      cause: error,
    });
  }
}

function aborted(target: PgTarget): SluiceError {
  return new SluiceError('SOURCE_CONNECT', `connecting to ${target.host}:${target.port} was cancelled`, {
    retryable: true,
  });
}
