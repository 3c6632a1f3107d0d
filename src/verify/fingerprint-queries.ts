/**
 * Runs the `row-hash.ts` SQL through whatever executes SQL on each side: a `pg` client for a
 * PostgreSQL source, a DuckDB connection (or the engine's wrapper) for the lake, whose views
 * expose lake tables as `"<namespace>"."<table>"`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError, messageOf } from '../core/errors.js';
import type { RowHash } from './row-diff.js';
import { sessionSql } from './hash-dialect.js';
import {
  fingerprintSql,
  rowHashesSql,
  toFingerprint,
  type HashDialect,
  type TableFingerprint,
  type TableRef,
} from './row-hash.js';

/** Runs one SQL statement and returns its rows as objects (e.g. `sql => duckdb.queryObjects(sql)`). */
export type RunRows = (sql: string) => Promise<readonly Record<string, unknown>[]>;

/** A `RunRows` over one `pg` connection (not a pool: the session settings must reach the query). */
export function pgRows(client: pg.ClientBase): RunRows {
  return async (sql) => (await client.query(sql)).rows as Record<string, unknown>[];
}

/** A `RunRows` over a `@duckdb/node-api` connection. */
export function duckdbRows(connection: DuckDBConnection): RunRows {
  return async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson();
}

async function runQuery(
  dialect: HashDialect,
  run: RunRows,
  sql: string,
): Promise<readonly Record<string, unknown>[]> {
  try {
    for (const statement of sessionSql(dialect)) await run(statement);
    return await run(sql);
  } catch (error) {
    throw new SluiceError('QUERY', `fingerprint query failed in ${dialect}: ${messageOf(error)}`, {
      cause: error,
      sql,
    });
  }
}

/** Fingerprint of a table, computed by the engine that holds it. */
export async function tableFingerprint(
  dialect: HashDialect,
  run: RunRows,
  table: TableRef,
  columns: readonly CanonicalColumn[],
): Promise<TableFingerprint> {
  const [row] = await runQuery(dialect, run, fingerprintSql(dialect, table, columns));
  return toFingerprint({ rows: row?.rows, hash_sum: row?.hash_sum });
}

/** `(key, hash)` of every row of a table, for `diffRowHashes`. */
export async function tableRowHashes(
  dialect: HashDialect,
  run: RunRows,
  table: TableRef,
  columns: readonly CanonicalColumn[],
  key: readonly string[],
): Promise<RowHash[]> {
  const rows = await runQuery(dialect, run, rowHashesSql(dialect, table, columns, key));
  return rows.map((row) => ({ key: String(row.key), hash: String(row.hash) }));
}
