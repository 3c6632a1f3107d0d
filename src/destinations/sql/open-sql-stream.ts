/**
 * `openStream` for SQL destinations: check the stream, make sure the schema and the state table
 * exist, create the stream's staging table, and plan the target once so that a stream that
 * cannot be applied (other columns, another key) fails before its source is read.
 */
import { SluiceError } from '../../core/errors.js';
import type { DestinationCapabilities, DestinationStream } from '../destination.js';
import type { SqlSession, TableName, TableShape } from './sql-session.js';
import { STAGED_OP_COLUMN } from './sql-session.js';
import { ensureStateTable } from './sql-state.js';
import { columnDefinitions, quoteIdent, stagingTableName, tableSql } from './sql-statements.js';
import { SqlStreamWriter } from './sql-stream-writer.js';
import { planTable } from './table-plan.js';

/** SQL destinations apply every disposition. */
export const SQL_CAPABILITIES: DestinationCapabilities = { dispositions: ['append', 'replace', 'merge'] };

/** `DuckDB table "main"."Track"`, for messages. */
export function tableLabel(engine: string, table: TableName): string {
  return `${engine} table ${tableSql(table)}`;
}

function assertStream(session: SqlSession, stream: DestinationStream, target: TableName): void {
  const label = tableLabel(session.dialect.engine, target);
  if (stream.columns.length === 0) {
    throw new SluiceError('USAGE', `${label}: the stream has no columns`, {
      hint: 'a table needs at least one column',
    });
  }
  const names = stream.columns.map((column) => column.name);
  const unknown = stream.primaryKey.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new SluiceError('USAGE', `${label}: key column ${JSON.stringify(unknown[0])} is not a column`, {
      hint: 'name key columns exactly as the source spells them (--primary-key)',
    });
  }
  if (stream.softDelete) {
    throw new SluiceError('NOT_SUPPORTED', `${label}: soft delete is not supported by SQL destinations yet`, {
      hint: 'drop --soft-delete (softDelete:) to delete rows, or write to a lake:<dir> destination',
    });
  }
  if (names.includes(STAGED_OP_COLUMN)) {
    throw new SluiceError('USAGE', `${label}: the column name ${STAGED_OP_COLUMN} is reserved by Sluice`, {
      hint: 'rename the column at the source, or select the table without it',
    });
  }
  if (stream.disposition === 'merge' && stream.primaryKey.length === 0) {
    throw new SluiceError('USAGE', `cannot merge into ${label}: the stream has no primary key`, {
      hint: 'give the key columns with --primary-key, or use --disposition append or replace',
    });
  }
  const limit = session.dialect.maxIdentifierBytes;
  const tooLong = [target.schema, target.name, ...names].find((name) => Buffer.byteLength(name) > limit);
  if (tooLong !== undefined) {
    throw new SluiceError(
      'DESTINATION_WRITE',
      `${label}: the name ${JSON.stringify(tooLong)} is longer than ${session.dialect.engine} keeps (${limit} bytes)`,
      {
        hint: `${session.dialect.engine} would silently shorten it; rename it at the source or sync into another schema`,
      },
    );
  }
}

/** The staging table's shape, limited to the stream's columns (the dialect may add an ordering column). */
async function stagedShape(
  session: SqlSession,
  staging: TableName,
  stream: DestinationStream,
): Promise<TableShape> {
  const shape = await session.describeTable(staging);
  const names = new Set(stream.columns.map((column) => column.name));
  return { columns: (shape?.columns ?? []).filter((column) => names.has(column.name)), primaryKey: [] };
}

/**
 * Opens a writer for `stream` into `schema` on `session`, which the writer then owns (it closes
 * it at commit or abort; here, when opening fails).
 */
export async function openSqlStream(
  session: SqlSession,
  stream: DestinationStream,
  schema: string,
): Promise<SqlStreamWriter> {
  const { dialect } = session;
  const target: TableName = { schema, name: stream.name };
  const staging = dialect.stagingTable(
    schema,
    stagingTableName(stream.name, stream.runId, dialect.maxIdentifierBytes),
  );
  let created = false;
  try {
    assertStream(session, stream, target);
    await session.ensureSchema(schema);
    await ensureStateTable(session, schema);
    // Only an earlier attempt of this very stream and run (retried after a lost connection) can
    // have left a table of this name.
    await session.run(`DROP TABLE IF EXISTS ${tableSql(staging)}`);
    // The operation column is always there (NULL for plain rows); its CHECK refuses an unknown operation.
    const op = quoteIdent(STAGED_OP_COLUMN);
    const definitions = [
      ...columnDefinitions(dialect, stream.columns),
      `${op} VARCHAR CHECK (${op} IN ('i', 'u', 'd'))`,
    ];
    await session.run(dialect.createStagingSql(staging, definitions));
    created = true;
    const label = tableLabel(dialect.engine, target);
    const staged = await stagedShape(session, staging, stream);
    planTable(stream, label, await session.describeTable(target), staged);
    return new SqlStreamWriter(session, { stream, target, staging, staged, label });
  } catch (error) {
    if (created) await session.run(`DROP TABLE IF EXISTS ${tableSql(staging)}`).catch(() => undefined);
    await session.close();
    throw error;
  }
}
