/**
 * The Chinook sample database (11 tables, a few thousand rows), in its PostgreSQL, MySQL and
 * SQLite editions, as shared test data for sources.
 */
import { readFile } from 'node:fs/promises';
import type { TestMariaDb } from './mariadb.js';
import type { TestDatabase } from './postgres.js';

const DIR = '/work/shared/datasets/chinook';
/** The SQLite edition (open read-only: tests must not change it). */
export const CHINOOK_SQLITE = `${DIR}/Chinook_Sqlite.sqlite`;
const POSTGRES_SQL = `${DIR}/Chinook_PostgreSql.sql`;
const MYSQL_SQL = `${DIR}/Chinook_MySql.sql`;

/** Tables with their primary keys and row counts, keyed by the PostgreSQL edition's snake_case names. */
export const CHINOOK_TABLES: Readonly<Record<string, { primaryKey: string[]; rows: number }>> = {
  album: { primaryKey: ['album_id'], rows: 347 },
  artist: { primaryKey: ['artist_id'], rows: 275 },
  customer: { primaryKey: ['customer_id'], rows: 59 },
  employee: { primaryKey: ['employee_id'], rows: 8 },
  genre: { primaryKey: ['genre_id'], rows: 25 },
  invoice: { primaryKey: ['invoice_id'], rows: 412 },
  invoice_line: { primaryKey: ['invoice_line_id'], rows: 2240 },
  media_type: { primaryKey: ['media_type_id'], rows: 5 },
  playlist: { primaryKey: ['playlist_id'], rows: 18 },
  playlist_track: { primaryKey: ['playlist_id', 'track_id'], rows: 8715 },
  track: { primaryKey: ['track_id'], rows: 3503 },
};

/** The SQLite and MySQL editions' PascalCase name for a snake_case name (`invoice_line` → `InvoiceLine`). */
export function chinookSqliteName(snake: string): string {
  return snake.replace(/(^|_)([a-z])/g, (_, _sep: string, letter: string) => letter.toUpperCase());
}

/**
 * Loads the PostgreSQL edition into a test database. The script creates and switches to its own
 * database first (`DROP/CREATE DATABASE chinook`, `\c chinook`); those lines are dropped so the
 * tables land in the database given.
 */
export async function loadChinook(db: TestDatabase): Promise<void> {
  await db.sql(await scriptInto(POSTGRES_SQL, /^\s*(DROP DATABASE|CREATE DATABASE|\\c\s)/i));
}

/**
 * Loads the MySQL edition into a MariaDB test database, without its `DROP/CREATE DATABASE` and
 * `USE`. Its string literals are standard SQL (`'Rusticana \ Act'` means a backslash, as in the
 * other editions), so they are read with NO_BACKSLASH_ESCAPES: MySQL's default would drop it.
 */
export async function loadChinookMariaDb(db: TestMariaDb): Promise<void> {
  const script = await scriptInto(MYSQL_SQL, /^\s*(DROP DATABASE|CREATE DATABASE|USE\s)/i);
  await db.sql(`SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');\n${script}`);
}

/** A Chinook script without the lines that create and switch to its own database. */
async function scriptInto(file: string, ownDatabase: RegExp): Promise<string> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  return lines.filter((line) => !ownDatabase.test(line)).join('\n');
}
