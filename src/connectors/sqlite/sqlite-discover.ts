/**
 * Discovery from sqlite_schema and pragma table_xinfo: ordinary tables (virtual tables are
 * skipped, their module may not be loadable here), columns in order including generated ones,
 * primary key columns in key order, and sqlite_stat1's row count when ANALYZE has run.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { StreamSchema } from '../../core/stream.js';
import { canonicalSqliteType } from './sqlite-types.js';

/** The namespace of a SQLite source: the main database of the file. */
export const SQLITE_NAMESPACE = 'main';

interface TableRow {
  name: string;
  sql: string | null;
}

interface ColumnRow {
  name: string;
  type: string;
  notnull: bigint | number;
  pk: bigint | number;
  hidden: bigint | number;
}

export function discoverSqlite(db: DatabaseSync): StreamSchema[] {
  const tables = db
    .prepare(
      `SELECT name, sql FROM main.sqlite_schema
        WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
    )
    .all() as unknown as TableRow[];
  const columnsOf = db.prepare(`SELECT name, type, "notnull", pk, hidden FROM pragma_table_xinfo(?, 'main')`);
  const estimate = rowEstimates(db);
  return tables
    .filter((t) => !/^\s*CREATE\s+VIRTUAL\s/i.test(t.sql ?? ''))
    .map((table) => {
      // hidden = 1 marks a virtual table's hidden column; 2 and 3 are generated columns, which hold data.
      const rows = (columnsOf.all(table.name) as unknown as ColumnRow[]).filter(
        (c) => Number(c.hidden) !== 1,
      );
      const keyRows = rows.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk));
      const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(table.sql ?? '');
      // An INTEGER PRIMARY KEY is the rowid, never NULL; so are the keys of WITHOUT ROWID tables.
      const keyNeverNull =
        withoutRowid || (keyRows.length === 1 && keyRows[0]?.type.toUpperCase() === 'INTEGER');
      const columns = rows.map((row): CanonicalColumn => {
        const mapping = canonicalSqliteType(row.type);
        const column: CanonicalColumn = {
          name: row.name,
          type: mapping.type,
          nullable: !(Number(row.notnull) === 1 || (keyNeverNull && Number(row.pk) > 0)),
          sourceType: row.type,
        };
        if (mapping.note) column.note = mapping.note;
        return column;
      });
      return {
        namespace: SQLITE_NAMESPACE,
        name: table.name,
        columns,
        primaryKey: keyRows.map((c) => c.name),
        rowEstimate: estimate.get(table.name) ?? null,
      };
    });
}

/** Row counts from sqlite_stat1 (the first number of a `stat` is the table's row count). */
function rowEstimates(db: DatabaseSync): Map<string, number> {
  const estimates = new Map<string, number>();
  const hasStats = db
    .prepare(`SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'`)
    .get();
  if (!hasStats) return estimates;
  for (const row of db.prepare('SELECT tbl, stat FROM main.sqlite_stat1').all()) {
    const rows = Number.parseInt(String(row.stat), 10);
    if (Number.isFinite(rows) && !estimates.has(String(row.tbl))) estimates.set(String(row.tbl), rows);
  }
  return estimates;
}
