/**
 * The SQL both engines run to apply a disposition. PostgreSQL and DuckDB accept the same
 * spelling for all of it (double-quoted identifiers, `INSERT … SELECT`, `DISTINCT ON`,
 * `INSERT … ON CONFLICT … DO UPDATE`); what differs comes from the `SqlDialect`.
 */
import { createHash } from 'node:crypto';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { DestinationStream } from '../destination.js';
import type { SqlDialect, TableName } from './sql-session.js';
import { STAGED_OP_COLUMN } from './sql-session.js';
import type { TablePlan } from './table-plan.js';

/** Quotes an identifier (the same rule in PostgreSQL and DuckDB). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"catalog"."schema"."name"` (catalog only when given). */
export function tableSql(table: TableName): string {
  const parts =
    table.catalog === undefined ? [table.schema, table.name] : [table.catalog, table.schema, table.name];
  return parts.map(quoteIdent).join('.');
}

function columnList(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}

/**
 * The staging columns a chunk's fields fill, in field order and quoted: the stream's columns,
 * then `STAGED_OP_COLUMN` when the chunk carries operations (its trailing field).
 */
export function stagedColumnList(columns: readonly CanonicalColumn[], operations: boolean): string {
  const names = columns.map((column) => column.name);
  return columnList(operations ? [...names, STAGED_OP_COLUMN] : names);
}

/** Column definitions (`"name" type`) of a stream's columns. */
export function columnDefinitions(dialect: SqlDialect, columns: readonly CanonicalColumn[]): string[] {
  return columns.map((column) => `${quoteIdent(column.name)} ${dialect.columnType(column.type)}`);
}

/** `CREATE TABLE` for the target, with a primary key when `primaryKey` is not empty. */
export function createTableSql(
  dialect: SqlDialect,
  table: TableName,
  columns: readonly CanonicalColumn[],
  primaryKey: readonly string[],
): string {
  const parts = columnDefinitions(dialect, columns);
  if (primaryKey.length > 0) parts.push(`PRIMARY KEY (${columnList(primaryKey)})`);
  return `CREATE TABLE ${tableSql(table)} (${parts.join(', ')})`;
}

/** Adds the merge key as primary key to a table created without one (by `append`). */
export function addPrimaryKeySql(table: TableName, primaryKey: readonly string[]): string {
  return `ALTER TABLE ${tableSql(table)} ADD PRIMARY KEY (${columnList(primaryKey)})`;
}

/** Appends every staged row. Columns are named, so the target's column order does not matter. */
export function insertSelectSql(target: TableName, staging: TableName, columns: readonly string[]): string {
  const list = columnList(columns);
  return `INSERT INTO ${tableSql(target)} (${list}) SELECT ${list} FROM ${tableSql(staging)}`;
}

/**
 * The staged rows deduplicated by `key`, with their operation. A batch may hold a key more than
 * once (a row changed twice while it was read, or a change stream's insert, update and delete of
 * one key); the last one loaded wins, and deduplicating first is also what keeps
 * `ON CONFLICT DO UPDATE` from touching one row twice in a statement, which both engines refuse.
 */
function latestStagedSql(
  dialect: SqlDialect,
  staging: TableName,
  columns: readonly string[],
  key: readonly string[],
): string {
  const keys = columnList(key);
  return (
    `SELECT DISTINCT ON (${keys}) ${columnList([...columns, STAGED_OP_COLUMN])} FROM ${tableSql(staging)} ` +
    `ORDER BY ${keys}, ${dialect.stagedRowOrder} DESC`
  );
}

/** Upserts the staged rows by `key` whose last operation is not a delete. */
export function mergeSql(
  dialect: SqlDialect,
  target: TableName,
  staging: TableName,
  columns: readonly string[],
  key: readonly string[],
): string {
  const list = columnList(columns);
  const keys = columnList(key);
  const updates = columns.filter((name) => !key.includes(name));
  const action =
    updates.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${updates.map((name) => `${quoteIdent(name)} = EXCLUDED.${quoteIdent(name)}`).join(', ')}`;
  return (
    `INSERT INTO ${tableSql(target)} (${list}) SELECT ${list} ` +
    `FROM (${latestStagedSql(dialect, staging, columns, key)}) AS batch ` +
    `WHERE ${quoteIdent(STAGED_OP_COLUMN)} IS DISTINCT FROM 'd' ON CONFLICT (${keys}) ${action}`
  );
}

/**
 * Deletes the rows whose key's last staged operation is `d` (a change stream's delete). Runs
 * before the upsert in the same transaction; a key deleted and inserted again in one batch ends
 * with the insert, which the upsert then applies.
 */
export function mergeDeleteSql(
  dialect: SqlDialect,
  target: TableName,
  staging: TableName,
  columns: readonly string[],
  key: readonly string[],
): string {
  const keys = columnList(key);
  return (
    `DELETE FROM ${tableSql(target)} WHERE (${keys}) IN (SELECT ${keys} ` +
    `FROM (${latestStagedSql(dialect, staging, columns, key)}) AS batch ` +
    `WHERE ${quoteIdent(STAGED_OP_COLUMN)} = 'd')`
  );
}

/** Rows in a table. */
export function countSql(table: TableName): string {
  return `SELECT count(*) AS n FROM ${tableSql(table)}`;
}

/** Bytes of `text` in UTF-8 (identifier limits count bytes). */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` within `maxBytes` bytes, never splitting a character. */
function truncateBytes(text: string, maxBytes: number): string {
  let result = '';
  for (const char of text) {
    if (utf8Bytes(result + char) > maxBytes) break;
    result += char;
  }
  return result;
}

/**
 * The staging table of one stream in one run: `_sluice_stage_<table>_<run>`. When that is longer
 * than the engine keeps, the table part is shortened and a hash of the full name keeps two
 * streams of one run apart.
 */
export function stagingTableName(table: string, runId: string, maxBytes: number): string {
  const full = `_sluice_stage_${table}_${runId}`;
  if (utf8Bytes(full) <= maxBytes) return full;
  const hash = createHash('sha256').update(`${table}\0${runId}`).digest('hex').slice(0, 16);
  const prefix = '_sluice_stage_';
  return `${prefix}${truncateBytes(table, maxBytes - prefix.length - hash.length - 1)}_${hash}`;
}

/**
 * The statements of one commit, in order, after the table was planned: shape the table, then
 * apply the staged rows as the disposition says. Replace empties the table it keeps in the same
 * transaction, so readers see the old rows until the commit and the new ones after it.
 * `deletes`: some staged row carries an operation, so merge must apply deletes too.
 */
export function commitStatements(
  dialect: SqlDialect,
  plan: TablePlan,
  stream: DestinationStream,
  target: TableName,
  staging: TableName,
  deletes: boolean,
): string[] {
  const names = stream.columns.map((column) => column.name);
  const statements: string[] = [];
  if (plan.action === 'recreate') statements.push(`DROP TABLE ${tableSql(target)}`);
  if (plan.action !== 'keep')
    statements.push(createTableSql(dialect, target, stream.columns, plan.createKey));
  if (plan.addPrimaryKey) statements.push(addPrimaryKeySql(target, stream.primaryKey));
  switch (stream.disposition) {
    case 'append':
      statements.push(insertSelectSql(target, staging, names));
      break;
    case 'replace':
      if (plan.action === 'keep') statements.push(dialect.emptyTableSql(tableSql(target)));
      statements.push(insertSelectSql(target, staging, names));
      break;
    case 'merge':
      if (deletes) statements.push(mergeDeleteSql(dialect, target, staging, names, stream.primaryKey));
      statements.push(mergeSql(dialect, target, staging, names, stream.primaryKey));
      break;
  }
  return statements;
}
