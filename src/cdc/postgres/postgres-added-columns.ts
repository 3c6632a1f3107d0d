/**
 * What a capture needs to know about columns that appear mid-stream (ADD COLUMN): their
 * canonical types, and whether existing rows got a value the log never shows. ADD COLUMN with a
 * DEFAULT fills every existing row (a "missing" value or a rewrite), and neither is decoded, so
 * applying only the logged changes would leave those rows NULL in the lake — such a column
 * needs a re-snapshot of its table.
 */
import type pg from 'pg';
import { discoverPostgresSchema } from '../../connectors/postgres/postgres-discover.js';
import type { CanonicalColumn } from '../../core/canonical-types.js';

/** A table's current columns and the names of those with a default. */
export interface TableColumns {
  /** Columns in order, as discovery maps them. */
  columns: CanonicalColumn[];
  /** Columns that have a default or a stored "missing" value for older rows. */
  defaulted: string[];
}

export async function readTableColumns(
  client: pg.Client,
  namespace: string,
  name: string,
): Promise<TableColumns> {
  const tables = await discoverPostgresSchema(client, namespace);
  const columns = tables.find((t) => t.name === name)?.columns ?? [];
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
        AND (a.atthasdef OR a.atthasmissing)`,
    [namespace, name],
  );
  return { columns, defaulted: rows.map((r) => r.name) };
}
