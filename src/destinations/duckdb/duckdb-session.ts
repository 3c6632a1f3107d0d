/**
 * One connection to a DuckDB database file as a SqlSession. Staged chunks are decoded by the
 * engine's stage reader (`engine/stage-decode.ts`, the same decoding the lake's Parquet writer
 * uses) straight into a temporary staging table.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { duckdbType } from '../../core/canonical-types.js';
import { STAGE_OP_COLUMN } from '../../core/stage-csv.js';
import { SluiceError, isSluiceError } from '../../core/errors.js';
import type { ContentFingerprint } from '../../engine/content-fingerprint.js';
import { fingerprintOf } from '../../engine/content-fingerprint.js';
import type { DuckDB } from '../../engine/duckdb.js';
import type { HashedColumn } from '../../engine/typed-row-hash.js';
import type { ChunkSource } from '../../engine/chunk-query.js';
import { chunkQuery } from '../../engine/chunk-query.js';
import type { StagedFieldRead } from '../../engine/stage-decode.js';
import { stageFieldName } from '../../engine/stage-decode.js';
import type { SqlDialect, SqlParam, SqlSession, TableName, TableShape } from '../sql/sql-session.js';
import { DUPLICATE_KEY_HINT, NULL_KEY_HINT } from '../sql/sql-errors.js';
import { quoteIdent, stagedColumnList, tableSql } from '../sql/sql-statements.js';

export const DUCKDB_DIALECT: SqlDialect = {
  engine: 'DuckDB',
  maxIdentifierBytes: Number.POSITIVE_INFINITY,
  // duckdbType keeps json and uuid as VARCHAR, so their exact source text survives.
  columnType: duckdbType,
  // Temporary: staged rows never reach the database file, and a crashed run leaves nothing in it.
  stagingTable: (_schema, name) => ({ catalog: 'temp', schema: 'main', name }),
  createStagingSql: (table, columns) => `CREATE TEMP TABLE ${quoteIdent(table.name)} (${columns.join(', ')})`,
  // With preserve_insertion_order (DuckDB's default, kept on for this reason) an INSERT from a
  // CSV file stores rows in file order, so rowid grows in load order.
  stagedRowOrder: 'rowid',
  emptyTableSql: (table) => `DELETE FROM ${table}`,
};

const COLUMNS_SQL = `
SELECT column_name AS name, data_type AS type FROM duckdb_columns()
WHERE database_name = coalesce($1, current_database()) AND schema_name = $2 AND table_name = $3
ORDER BY column_index`;

const PRIMARY_KEY_SQL = `
SELECT constraint_column_names AS names FROM duckdb_constraints()
WHERE database_name = coalesce($1, current_database()) AND schema_name = $2 AND table_name = $3
  AND constraint_type = 'PRIMARY KEY'`;

/** DuckDB's constraint and conflict errors, made actionable. */
function writeError(error: unknown): unknown {
  if (!isSluiceError(error, 'QUERY')) return error;
  if (/Constraint Error/i.test(error.message)) {
    return new SluiceError('DESTINATION_WRITE', error.message, {
      cause: error,
      ...(error.sql === undefined ? {} : { sql: error.sql }),
      hint: /NOT NULL/i.test(error.message) ? NULL_KEY_HINT : DUPLICATE_KEY_HINT,
    });
  }
  if (/Transaction conflict|Conflict on/i.test(error.message)) {
    return new SluiceError('COMMIT_CONFLICT', error.message, {
      cause: error,
      retryable: true,
      hint: 'another writer in this process changed the table at the same time; run the sync again',
    });
  }
  return error;
}

export class DuckDBSession implements SqlSession {
  readonly dialect = DUCKDB_DIALECT;

  constructor(private readonly db: DuckDB) {}

  async run(sql: string, params?: readonly SqlParam[]): Promise<void> {
    try {
      await this.db.run(sql, params);
    } catch (error) {
      throw writeError(error);
    }
  }

  async query(sql: string, params?: readonly SqlParam[]): Promise<Record<string, unknown>[]> {
    try {
      return await this.db.queryObjects(sql, params);
    } catch (error) {
      throw writeError(error);
    }
  }

  fingerprint(from: string, columns: readonly HashedColumn[]): Promise<ContentFingerprint> {
    return fingerprintOf(this.db, from, columns);
  }

  async ensureSchema(schema: string): Promise<void> {
    await this.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  }

  async describeTable(table: TableName): Promise<TableShape | null> {
    const params = [table.catalog ?? null, table.schema, table.name];
    const columns = await this.query(COLUMNS_SQL, params);
    if (columns.length === 0) return null;
    const [key] = await this.db.queryJson(PRIMARY_KEY_SQL, params);
    const names = key?.[0];
    return {
      columns: columns.map((row) => ({ name: String(row.name), type: String(row.type) })),
      primaryKey: Array.isArray(names) ? names.map(String) : [],
    };
  }

  async loadChunk(
    staging: TableName,
    columns: readonly CanonicalColumn[],
    chunk: ChunkSource,
    operations: boolean,
  ): Promise<number> {
    const fields: StagedFieldRead[] = columns.map((column, index) => ({
      index,
      type: column.type,
      as: stageFieldName(index),
      label: column.name,
    }));
    if (operations) {
      const index = columns.length;
      fields.push({ index, type: { kind: 'string' }, as: stageFieldName(index), label: STAGE_OP_COLUMN });
    }
    const [row] = await this.query(
      `INSERT INTO ${tableSql(staging)} (${stagedColumnList(columns, operations)}) ` +
        chunkQuery(chunk, fields.length, fields),
    );
    return Number(Object.values(row ?? {})[0] ?? 0);
  }

  async lockForCommit(): Promise<void> {
    // Nothing to do: the file belongs to this process (DuckDB's file lock), and DuckDB aborts the
    // later of two conflicting transactions inside it (reported as COMMIT_CONFLICT).
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
