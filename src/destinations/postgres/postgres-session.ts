/**
 * One `pg` connection as a SqlSession. Staged chunks go in with `COPY … FROM STDIN (FORMAT csv)`,
 * streaming the file's bytes untouched: the stage dialect is PostgreSQL's CSV (NULL = empty
 * unquoted field, `""` = empty string, bytea as `\x` hex), so the server parses every value
 * with the column type's own input function and nothing is converted on the way.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import type { ChunkSource } from '../../engine/chunk-query.js';
import type { SqlDialect, SqlParam, SqlSession, TableName, TableShape } from '../sql/sql-session.js';
import { quoteIdent, stagedColumnList, tableSql } from '../sql/sql-statements.js';
import type { PgWhere } from './postgres-errors.js';
import { pgConnectError, pgStatementError } from './postgres-errors.js';
import { postgresColumnType } from './postgres-types.js';

/** Identity column of a staging table: numbers rows in COPY order, so merge can keep a key's last row. */
const STAGED_ROW_ORDER = '_sluice_seq';

export const POSTGRES_DIALECT: SqlDialect = {
  engine: 'PostgreSQL',
  maxIdentifierBytes: 63,
  columnType: postgresColumnType,
  stagingTable: (schema, name) => ({ schema, name }),
  // UNLOGGED: staged rows are thrown away on a crash anyway, so writing them to the WAL is waste.
  createStagingSql: (table, columns) =>
    `CREATE UNLOGGED TABLE ${tableSql(table)} (${[...columns, `${quoteIdent(STAGED_ROW_ORDER)} bigint GENERATED ALWAYS AS IDENTITY`].join(', ')})`,
  stagedRowOrder: quoteIdent(STAGED_ROW_ORDER),
  // TRUNCATE rather than a swap by rename: see README.md in this folder.
  emptyTableSql: (table) => `TRUNCATE TABLE ${table}`,
};

/** Session settings: values are parsed the same whatever the server's or role's defaults. */
const SESSION_SQL = [`SET TimeZone = 'UTC'`, `SET DateStyle = 'ISO, YMD'`, `SET client_encoding = 'UTF8'`];

const COLUMNS_SQL = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

const PRIMARY_KEY_SQL = `
SELECT a.attname AS name
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
ORDER BY k.position`;

/** How to reach the destination database. */
export interface PgConnection {
  /** libpq-style URL without Sluice's own parameters. */
  connectionString: string;
  /** Where it goes, for messages. */
  where: PgWhere;
}

export class PostgresSession implements SqlSession {
  readonly dialect = POSTGRES_DIALECT;
  private closed = false;

  private constructor(private readonly client: pg.Client) {}

  /** Connects and pins the session settings. */
  static async open(connection: PgConnection): Promise<PostgresSession> {
    const client = new pg.Client({
      connectionString: connection.connectionString,
      connectionTimeoutMillis: 10_000,
      application_name: 'sluice',
    });
    // A dropped idle connection surfaces on its next statement; without a listener it would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (const sql of SESSION_SQL) await client.query(sql);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw pgConnectError(error, connection.where);
    }
    return new PostgresSession(client);
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<void> {
    await this.query(sql, params);
  }

  async query(sql: string, params: readonly SqlParam[] = []): Promise<Record<string, unknown>[]> {
    try {
      return (await this.client.query(sql, [...params])).rows as Record<string, unknown>[];
    } catch (error) {
      throw pgStatementError(error, sql, 'a PostgreSQL destination statement');
    }
  }

  async ensureSchema(schema: string): Promise<void> {
    // Looking first spares a user without CREATE on the database when the schema exists.
    const exists = async () =>
      (await this.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema])).length > 0;
    if (await exists()) return;
    try {
      await this.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    } catch (error) {
      // Two sessions creating one schema at once can still collide on the catalog's unique index.
      if (!(await exists())) throw error;
    }
  }

  async describeTable(table: TableName): Promise<TableShape | null> {
    const columns = await this.query(COLUMNS_SQL, [table.schema, table.name]);
    if (columns.length === 0) return null;
    const key = await this.query(PRIMARY_KEY_SQL, [table.schema, table.name]);
    return {
      columns: columns.map((row) => ({ name: String(row.name), type: String(row.type) })),
      primaryKey: key.map((row) => String(row.name)),
    };
  }

  async loadChunk(
    staging: TableName,
    columns: readonly CanonicalColumn[],
    chunk: ChunkSource,
    operations: boolean,
  ): Promise<number> {
    // COPY takes the stage CSV as it is; the destination declares no other staged format.
    if ((chunk.format ?? 'csv') !== 'csv') {
      throw new SluiceError('NOT_SUPPORTED', `PostgreSQL loads stage CSV chunks, not ${chunk.format} ones`, {
        hint: 'this is a bug in Sluice: a source must stage the formats the destination declares (capabilities.stagedFormats)',
      });
    }
    const path = chunk.path;
    const sql = `COPY ${tableSql(staging)} (${stagedColumnList(columns, operations)}) FROM STDIN WITH (FORMAT csv)`;
    const copy = this.client.query(copyFrom(sql));
    try {
      await pipeline(createReadStream(path), copy);
    } catch (error) {
      throw pgStatementError(error, sql, `loading ${path}`);
    }
    return copy.rowCount;
  }

  async lockForCommit(table: TableName): Promise<void> {
    // Serialises commits to one table across processes: table creation, the state version and
    // replace's TRUNCATE all assume one committer at a time.
    await this.run('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`sluice:${tableSql(table)}`]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }
}
