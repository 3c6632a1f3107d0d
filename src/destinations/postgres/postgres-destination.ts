/**
 * PostgreSQL as a destination: `postgres://user:pass@host:port/db[?schema=s]` (also
 * `postgresql://`). Tables land in schema `s`, or in the stream's namespace (the source schema)
 * when the URL names none. Each open stream has its own connection and staging table; commits
 * are single transactions (see `../sql/sql-stream-writer.ts`).
 */
import { SluiceError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { SourcePosition } from '../../core/stream.js';
import type { Destination, DestinationStream, StreamWriter } from '../destination.js';
import { SQL_CAPABILITIES, openSqlStream } from '../sql/open-sql-stream.js';
import type { LastCommit } from '../sql/sql-state.js';
import { readLastCommit } from '../sql/sql-state.js';
import type { PgConnection } from './postgres-session.js';
import { PostgresSession } from './postgres-session.js';

/** A parsed destination URL. */
export interface PostgresDestinationTarget extends PgConnection {
  /** Schema every stream is written to; undefined: each stream's own namespace. */
  schema: string | undefined;
}

/** Parses a `--to` PostgreSQL URL; takes out `schema`, which is Sluice's parameter, not libpq's. */
export function parsePostgresDestinationUrl(url: string): PostgresDestinationTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError('USAGE', `not a valid PostgreSQL destination URL: ${redactUrl(url)}`, {
      hint: 'write it as postgres://user:password@host:5432/database[?schema=name] (percent-encode special characters)',
    });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') {
    throw new SluiceError('USAGE', `the PostgreSQL destination URL names no database: ${redactUrl(url)}`, {
      hint: 'add the database after the host: postgres://user@host:5432/database',
    });
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema === '') {
    throw new SluiceError('USAGE', 'the PostgreSQL destination URL has an empty ?schema=', {
      hint: 'name a schema, or leave ?schema= out to use each source namespace',
    });
  }
  parsed.searchParams.delete('schema');
  return {
    connectionString: parsed.toString(),
    schema,
    where: {
      address: `${decodeURIComponent(parsed.hostname) || 'localhost'}:${parsed.port || '5432'}`,
      database,
      user: decodeURIComponent(parsed.username),
    },
  };
}

export class PostgresDestination implements Destination {
  readonly capabilities = SQL_CAPABILITIES;
  private readonly sessions = new Set<PostgresSession>();
  private closed = false;

  /** Does no I/O; `check()` connects. */
  constructor(private readonly target: PostgresDestinationTarget) {}

  /** The destination a `postgres://…` URL names. */
  static fromUrl(url: string): PostgresDestination {
    return new PostgresDestination(parsePostgresDestinationUrl(url));
  }

  async check(): Promise<void> {
    const session = await this.connect();
    await this.release(session);
  }

  async openStream(stream: DestinationStream): Promise<StreamWriter> {
    return openSqlStream(await this.connect(), stream, this.schemaFor(stream.namespace));
  }

  /**
   * The position in the table's `_sluice_state` row, written by the transaction that wrote the
   * table's current rows: the data and the position a resumed run starts from cannot disagree.
   */
  async lastPosition(table: { namespace: string; name: string }): Promise<SourcePosition | null> {
    return (await this.lastCommit(table.namespace, table.name))?.position ?? null;
  }

  /** The state row of a table: run id and source position of its last commit; null when never committed. */
  async lastCommit(namespace: string, name: string): Promise<LastCommit | null> {
    const session = await this.connect();
    try {
      return await readLastCommit(session, { schema: this.schemaFor(namespace), name });
    } finally {
      await this.release(session);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions].map((session) => this.release(session)));
  }

  private schemaFor(namespace: string): string {
    return this.target.schema ?? namespace;
  }

  private async connect(): Promise<PostgresSession> {
    if (this.closed) {
      throw new SluiceError('USAGE', 'the PostgreSQL destination is closed', {
        hint: 'open a new destination',
      });
    }
    const session = await PostgresSession.open(this.target);
    this.sessions.add(session);
    return session;
  }

  private async release(session: PostgresSession): Promise<void> {
    this.sessions.delete(session);
    await session.close();
  }
}
