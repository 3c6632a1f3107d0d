/**
 * The shared home: PostgreSQL through a `pg` pool, for several workers on several machines. Every
 * Sluice object lives in one schema (default `sluice`), set as each connection's `search_path`,
 * so the control database can share a database with other applications and migrations need no
 * schema-qualified names.
 */
import pg from 'pg';
import { SluiceError, messageOf } from '../core/errors.js';
import { redact, redactUrl } from '../core/redact.js';
import type { ControlDb, ControlQueries, SqlValue } from './control-db.js';
import { statementFailed, transactionEnded } from './control-db-error.js';

export const DEFAULT_CONTROL_SCHEMA = 'sluice';

/** Options for the PostgreSQL control database. */
export interface PostgresControlDbOptions {
  /** Schema holding Sluice's tables; overrides the URL's `?schema=`; default `sluice`. */
  schema?: string;
  /** Most connections the pool opens; default 4 (control traffic is light). */
  maxConnections?: number;
}

// Unquoted identifiers only: the name goes into a `-c search_path=` startup option unescaped.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Lost connection, server shutting down, too many clients, serialization failure, deadlock. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    /^(08|57P0|53300$|40001$|40P01$)/.test(code) ||
    /^E(CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|AI_AGAIN)$/.test(code)
  );
}

/** Connects to `url` (postgres://…, optional `?schema=`), creating the schema when it is missing. */
export async function openPostgresControlDb(
  url: string,
  options: PostgresControlDbOptions = {},
): Promise<ControlDb> {
  const { connectionString, schema } = splitSchema(url, options.schema);
  const pool = new pg.Pool({
    connectionString,
    options: `-c search_path=${schema}`,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: 10_000,
    application_name: 'sluice',
  });
  // An idle connection dropped by the server must not crash the process; the next statement reports it.
  pool.on('error', () => undefined);
  const db = new PostgresControlDb(pool);
  try {
    await db.transaction(async (tx) => {
      // Concurrent CREATE SCHEMA IF NOT EXISTS can still collide; checking first also spares a
      // user without CREATE on the database when the schema already exists.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('sluice.control.schema'))`);
      const found = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.length === 0) await tx.execute(`CREATE SCHEMA "${schema}"`);
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    const cause = error instanceof SluiceError && error.cause !== undefined ? error.cause : error;
    const where = safeHost(connectionString);
    throw new SluiceError(
      'CONTROL_DB',
      `cannot open the control database ${redactUrl(url)}: ${redact(messageOf(cause))}`,
      {
        cause,
        retryable: isTransient(cause),
        hint: `check that PostgreSQL is running at ${where}, that the user may connect and create schema "${schema}", and the \`control:\` URL in sluice.yml`,
      },
    );
  }
  return db;
}

function splitSchema(
  url: string,
  override: string | undefined,
): { connectionString: string; schema: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError('CONFIG', `the control database URL is not a valid URL: ${redactUrl(url)}`, {
      hint: 'write it as postgres://user:password@host:5432/database',
    });
  }
  const schema = override ?? parsed.searchParams.get('schema') ?? DEFAULT_CONTROL_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new SluiceError('CONFIG', `invalid control database schema name "${schema}"`, {
      hint: 'use lower-case letters, digits and underscores, starting with a letter or underscore',
    });
  }
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

function safeHost(connectionString: string): string {
  const { hostname, port } = new URL(connectionString);
  return `${hostname || 'localhost'}:${port || '5432'}`;
}

class PostgresControlDb implements ControlDb {
  readonly dialect = 'postgres';
  private closing: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return run(this.pool, sql, params).then((result) => result.rows as T[]);
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return run(this.pool, sql, params).then((result) => result.rowCount ?? 0);
  }

  async transaction<T>(fn: (tx: ControlQueries) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw statementFailed(error, 'BEGIN', isTransient(error));
    }
    let active = true;
    const guarded = async (sql: string, params: readonly SqlValue[]) => {
      if (!active) throw transactionEnded();
      return run(client, sql, params);
    };
    const tx: ControlQueries = {
      dialect: this.dialect,
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []) =>
        (await guarded(sql, params)).rows as R[],
      execute: async (sql, params = []) => (await guarded(sql, params)).rowCount ?? 0,
    };
    let broken: unknown;
    try {
      await run(client, 'BEGIN', []);
      const result = await fn(tx);
      active = false;
      await run(client, 'COMMIT', []);
      return result;
    } catch (error) {
      active = false;
      await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroy it, do not reuse it.
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

async function run(target: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]) {
  try {
    return await target.query(sql, params as SqlValue[]);
  } catch (error) {
    throw statementFailed(error, sql, isTransient(error));
  }
}
