/**
 * The `_sluice_state` table: one row per destination table in the same schema, holding the run
 * and source position of its last commit. It is written by the same transaction that writes
 * the data, so a resumed run can trust it: if the data is there, so is its position, and the
 * other way round.
 */
import type { Disposition, SourcePosition } from '../../core/stream.js';
import type { SqlSession, TableName } from './sql-session.js';
import { tableSql } from './sql-statements.js';

/** Name of the state table in each destination schema. */
export const STATE_TABLE = '_sluice_state';

/** The state table in `schema`. */
export function stateTable(schema: string): TableName {
  return { schema, name: STATE_TABLE };
}

/** Column definitions of the state table; the same DDL works in PostgreSQL and DuckDB. */
export const STATE_COLUMNS = [
  'table_name VARCHAR NOT NULL PRIMARY KEY',
  'version BIGINT NOT NULL',
  'run_id VARCHAR NOT NULL',
  'disposition VARCHAR NOT NULL',
  'source_position VARCHAR',
  'rows_written BIGINT NOT NULL',
  'total_rows BIGINT NOT NULL',
  'committed_at TIMESTAMPTZ NOT NULL',
] as const;

/** What the state row records about a table's last commit. */
export interface LastCommit {
  /** Commits so far, 1 for the first: the `snapshotId` the commit reported. */
  version: number;
  /** The run that committed. */
  runId: string;
  /** How the rows were applied. */
  disposition: Disposition;
  /** The source position committed with the data, or null for a full read. */
  position: SourcePosition | null;
  /** Rows the commit loaded. */
  rowsWritten: number;
  /** Rows in the table after the commit. */
  totalRows: number;
  /** When the commit's transaction ran (ISO-8601 UTC). */
  committedAt: string;
}

/** Creates the state table when missing (outside the commit: two first commits must not race on DDL). */
export async function ensureStateTable(session: SqlSession, schema: string): Promise<void> {
  if (await session.describeTable(stateTable(schema))) return;
  try {
    await session.run(
      `CREATE TABLE IF NOT EXISTS ${tableSql(stateTable(schema))} (${STATE_COLUMNS.join(', ')})`,
    );
  } catch (error) {
    // Another writer created it between the look and the CREATE: that is what was wanted.
    if (!(await session.describeTable(stateTable(schema)))) throw error;
  }
}

/** Inside the commit transaction: records the commit and returns its version. */
export async function recordCommit(
  session: SqlSession,
  table: TableName,
  commit: Omit<LastCommit, 'version' | 'committedAt'>,
): Promise<number> {
  const [row] = await session.query(
    `INSERT INTO ${tableSql(stateTable(table.schema))} AS state ` +
      '(table_name, version, run_id, disposition, source_position, rows_written, total_rows, committed_at) ' +
      'VALUES ($1, 1, $2, $3, $4, $5, $6, current_timestamp) ' +
      'ON CONFLICT (table_name) DO UPDATE SET version = state.version + 1, run_id = EXCLUDED.run_id, ' +
      'disposition = EXCLUDED.disposition, source_position = EXCLUDED.source_position, ' +
      'rows_written = EXCLUDED.rows_written, total_rows = EXCLUDED.total_rows, committed_at = EXCLUDED.committed_at ' +
      'RETURNING version',
    [
      table.name,
      commit.runId,
      commit.disposition,
      commit.position === null ? null : JSON.stringify(commit.position),
      commit.rowsWritten,
      commit.totalRows,
    ],
  );
  return Number(row?.version);
}

/** The state row of `table`, or null when it was never committed. */
export async function readLastCommit(session: SqlSession, table: TableName): Promise<LastCommit | null> {
  if (!(await session.describeTable(stateTable(table.schema)))) return null;
  const [row] = await session.query(
    'SELECT version, run_id, disposition, source_position, rows_written, total_rows, committed_at ' +
      `FROM ${tableSql(stateTable(table.schema))} WHERE table_name = $1`,
    [table.name],
  );
  if (!row) return null;
  const position = row.source_position;
  return {
    version: Number(row.version),
    runId: String(row.run_id),
    disposition: String(row.disposition) as Disposition,
    position: typeof position === 'string' ? (JSON.parse(position) as SourcePosition) : null,
    rowsWritten: Number(row.rows_written),
    totalRows: Number(row.total_rows),
    committedAt: isoInstant(row.committed_at),
  };
}

/** `pg` returns a TIMESTAMPTZ as a Date, DuckDB as text like `2025-01-31 12:00:00.123+00`. */
function isoInstant(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return new Date(
    String(value)
      .replace(' ', 'T')
      .replace(/([+-]\d\d)$/, '$1:00'),
  ).toISOString();
}
