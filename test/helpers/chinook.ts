/**
 * The Chinook sample database (11 tables, a few thousand rows), in its PostgreSQL and SQLite
 * editions, as shared test data for sources.
 */
import { readFile } from 'node:fs/promises';
import type { TestDatabase } from './postgres.js';

const DIR = '/work/shared/datasets/chinook';
/** The SQLite edition (open read-only: tests must not change it). */
export const CHINOOK_SQLITE = `${DIR}/Chinook_Sqlite.sqlite`;
const POSTGRES_SQL = `${DIR}/Chinook_PostgreSql.sql`;

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

/** The SQLite edition's PascalCase name for a snake_case name (`invoice_line` → `InvoiceLine`). */
export function chinookSqliteName(snake: string): string {
  return snake.replace(/(^|_)([a-z])/g, (_, _sep: string, letter: string) => letter.toUpperCase());
}

/**
 * Loads the PostgreSQL edition into a test database. The script creates and switches to its own
 * database first (`DROP/CREATE DATABASE chinook`, `\c chinook`); those lines are dropped so the
 * tables land in the database given.
 */
export async function loadChinook(db: TestDatabase): Promise<void> {
  const script = (await readFile(POSTGRES_SQL, 'utf8'))
    .split('\n')
    .filter((line) => !/^\s*(DROP DATABASE|CREATE DATABASE|\\c\s)/i.test(line))
    .join('\n');
  await db.sql(script);
}
