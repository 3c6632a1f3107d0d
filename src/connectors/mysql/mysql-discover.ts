/**
 * Discovery from information_schema: the database's base tables (and MariaDB's system-versioned
 * tables; views and sequences are skipped), columns in ordinal order with their COLUMN_TYPE,
 * nullability, primary key columns in key order, and InnoDB's row estimate (TABLE_ROWS). On
 * MariaDB, JSON is a longtext with a json_valid() check, so the check constraints are read too.
 */
import type { Connection } from 'mysql2';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { StreamSchema } from '../../core/stream.js';
import { mysqlQuery } from './mysql-connection.js';
import { queryError } from './mysql-errors.js';
import { canonicalMysqlType, parseMysqlColumnType } from './mysql-types.js';

const COLUMNS_SQL = `
SELECT c.TABLE_NAME AS table_name, t.TABLE_ROWS AS table_rows, c.COLUMN_NAME AS column_name,
       c.COLUMN_TYPE AS column_type, c.IS_NULLABLE AS is_nullable, k.ORDINAL_POSITION AS key_position
  FROM information_schema.TABLES t
  JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
  LEFT JOIN information_schema.KEY_COLUMN_USAGE k
         ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
        AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
 WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
 ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`;

/** MariaDB only: MySQL's CHECK_CONSTRAINTS has neither TABLE_NAME nor LEVEL (and a real JSON type). */
const JSON_CHECKS_SQL = `
SELECT TABLE_NAME AS table_name, CHECK_CLAUSE AS check_clause
  FROM information_schema.CHECK_CONSTRAINTS
 WHERE CONSTRAINT_SCHEMA = ? AND LEVEL = 'Column' AND CHECK_CLAUSE LIKE 'json\\_valid(%'`;

interface ColumnRow {
  table_name: string;
  table_rows: string | null;
  column_name: string;
  column_type: string;
  is_nullable: string;
  key_position: string | null;
}

export async function discoverMysql(connection: Connection, database: string): Promise<StreamSchema[]> {
  const what = `discovering database "${database}"`;
  const rows = await mysqlQuery<ColumnRow>(connection, COLUMNS_SQL, [database]).catch((error: unknown) => {
    throw queryError(error, what, null, COLUMNS_SQL);
  });
  const jsonColumns = await mariadbJsonColumns(connection, database).catch((error: unknown) => {
    throw queryError(error, what, null, JSON_CHECKS_SQL);
  });
  const tables = new Map<string, { schema: StreamSchema; keys: [number, string][] }>();
  for (const row of rows) {
    let table = tables.get(row.table_name);
    if (!table) {
      const estimate = row.table_rows === null ? null : Number(row.table_rows);
      table = {
        schema: {
          namespace: database,
          name: row.table_name,
          columns: [],
          primaryKey: [],
          rowEstimate: estimate,
        },
        keys: [],
      };
      tables.set(row.table_name, table);
    }
    const jsonCheck = jsonColumns.has(`${row.table_name}\0${row.column_name}`);
    const mapping = canonicalMysqlType(parseMysqlColumnType(row.column_type, jsonCheck));
    const column: CanonicalColumn = {
      name: row.column_name,
      type: mapping.type,
      nullable: row.is_nullable !== 'NO',
      sourceType: row.column_type,
    };
    if (mapping.note) column.note = mapping.note;
    table.schema.columns.push(column);
    if (row.key_position !== null) table.keys.push([Number(row.key_position), row.column_name]);
  }
  return [...tables.values()].map(({ schema, keys }) => ({
    ...schema,
    primaryKey: keys.sort((a, b) => a[0] - b[0]).map(([, name]) => name),
  }));
}

/** `table\0column` of every MariaDB JSON column of the database; empty on MySQL. */
async function mariadbJsonColumns(connection: Connection, database: string): Promise<Set<string>> {
  const [server] = await mysqlQuery<{ version: string }>(connection, 'SELECT VERSION() AS version');
  if (!/mariadb/i.test(server?.version ?? '')) return new Set();
  const checks = await mysqlQuery<{ table_name: string; check_clause: string }>(connection, JSON_CHECKS_SQL, [
    database,
  ]);
  const columns = new Set<string>();
  for (const check of checks) {
    const column = /^json_valid\(`((?:[^`]|``)+)`\)$/.exec(check.check_clause)?.[1];
    if (column) columns.add(`${check.table_name}\0${column.replaceAll('``', '`')}`);
  }
  return columns;
}
