/**
 * The table verify tests plant differences in: `items`, keyed by id, with the values that tempt
 * phantom differences across engines (timestamps with microseconds, decimals, floats, NULL and
 * empty text), and the exact changes a verify must find.
 */
import type { TestDatabase } from '../helpers/postgres.js';

export const ITEMS_DDL = `
  CREATE TABLE public.items (
    id bigint PRIMARY KEY, label text NOT NULL, amount numeric(12,2), at timestamptz,
    note text, score double precision, code varchar(20));`;

/** Fills `items` with ids 1…rows; every value derives from the id. */
export function itemsInsertSql(rows: number): string {
  return `INSERT INTO public.items
    SELECT g, 'item ' || g, (g * 7919 % 1000000) / 100.0,
           timestamptz '2021-03-04 05:06:07.123456+00' + g * interval '1.000001 seconds',
           CASE WHEN g % 5 = 0 THEN NULL WHEN g % 5 = 1 THEN '' ELSE 'n' || g END,
           g / 7.0, 'c-' || (g % 97)
    FROM generate_series(1, ${rows}) g;`;
}

/** The planted differences, as SQL run on one side, and what verify must report. */
export const PLANTED = {
  sql: `
    DELETE FROM public.items WHERE id = 1000;
    INSERT INTO public.items (id, label) VALUES (9000001, 'new');
    UPDATE public.items SET label = 'changed' WHERE id = 50000;
    UPDATE public.items SET at = at + interval '1 microsecond' WHERE id = 120000;
    UPDATE public.items SET amount = amount + 0.01 WHERE id = 150000;
    UPDATE public.items SET note = '' WHERE id = 180000;`,
  missing: ['1000'],
  extra: ['9000001'],
  changed: [
    { key: '120000', columns: ['at'] },
    { key: '150000', columns: ['amount'] },
    { key: '180000', columns: ['note'] },
    { key: '50000', columns: ['label'] },
  ],
};

/** Creates and fills `items` in a database. */
export async function createItems(db: TestDatabase, rows: number): Promise<void> {
  await db.sql(ITEMS_DDL + itemsInsertSql(rows) + 'ANALYZE public.items;');
}
