/**
 * Discovery from pg_catalog (not information_schema, which hides tables the user cannot write
 * and is slow on big catalogs): the schema's tables and partitioned parents (not their
 * partitions), columns in ordinal order, primary key columns in key order, and the planner's
 * row estimate.
 */
import type pg from 'pg';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { StreamSchema } from '../../core/stream.js';
import { canonicalPostgresType } from './postgres-types.js';
import type { PgColumnType } from './postgres-types.js';

const COLUMNS_SQL = `
SELECT c.relname AS table_name,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS row_estimate,
       a.attname AS column_name,
       a.attnotnull AS not_null,
       format_type(a.atttypid, a.atttypmod) AS declared,
       a.atttypid::int8 AS type_oid,
       a.atttypmod AS typmod,
       coalesce(array_position(pk.conkey, a.attnum), 0) AS key_position
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
 ORDER BY c.relname, a.attnum`;

const TYPES_SQL = `
SELECT t.oid::int8 AS oid, t.typname, n.nspname, t.typtype, t.typcategory,
       t.typbasetype::int8 AS base_oid, t.typtypmod, t.typnotnull
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.oid = ANY($1::oid[])`;

interface ColumnRow {
  table_name: string;
  row_estimate: number | null;
  column_name: string;
  not_null: boolean;
  declared: string;
  type_oid: string;
  typmod: number;
  key_position: number;
}

interface TypeRow {
  oid: string;
  typname: string;
  nspname: string;
  typtype: string;
  typcategory: string;
  base_oid: string;
  typtypmod: number;
  typnotnull: boolean;
}

export async function discoverPostgresSchema(client: pg.Client, schema: string): Promise<StreamSchema[]> {
  const { rows } = await client.query<ColumnRow>(COLUMNS_SQL, [schema]);
  const types = await loadTypes(
    client,
    rows.map((r) => r.type_oid),
  );
  const tables = new Map<string, { schema: StreamSchema; keys: [number, string][] }>();
  for (const row of rows) {
    let table = tables.get(row.table_name);
    if (!table) {
      table = {
        schema: {
          namespace: schema,
          name: row.table_name,
          columns: [],
          primaryKey: [],
          rowEstimate: row.row_estimate === null ? null : Math.round(row.row_estimate),
        },
        keys: [],
      };
      tables.set(row.table_name, table);
    }
    const resolved = resolveType(types, row.type_oid, row.typmod, row.declared);
    const mapping = canonicalPostgresType(resolved.type);
    const column: CanonicalColumn = {
      name: row.column_name,
      type: mapping.type,
      nullable: !(row.not_null || resolved.notNull),
      sourceType: row.declared,
    };
    if (mapping.note) column.note = mapping.note;
    table.schema.columns.push(column);
    if (row.key_position > 0) table.keys.push([row.key_position, row.column_name]);
  }
  return [...tables.values()].map(({ schema: s, keys }) => ({
    ...s,
    primaryKey: keys.sort((a, b) => a[0] - b[0]).map(([, name]) => name),
  }));
}

/** Loads the types the columns use, following domains down to their base types. */
async function loadTypes(client: pg.Client, oids: string[]): Promise<Map<string, TypeRow>> {
  const types = new Map<string, TypeRow>();
  let wanted = [...new Set(oids)];
  while (wanted.length > 0) {
    const { rows } = await client.query<TypeRow>(TYPES_SQL, [wanted]);
    for (const row of rows) types.set(row.oid, row);
    wanted = [
      ...new Set(rows.filter((r) => r.typtype === 'd' && !types.has(r.base_oid)).map((r) => r.base_oid)),
    ];
  }
  return types;
}

function resolveType(
  types: Map<string, TypeRow>,
  oid: string,
  typmod: number,
  declared: string,
): { type: PgColumnType; notNull: boolean } {
  const domains: string[] = [];
  let notNull = false;
  let current = types.get(oid);
  while (current?.typtype === 'd') {
    domains.push(current.typname);
    notNull ||= current.typnotnull;
    // A domain's own typmod applies when the column has none (columns of domain type never do).
    if (typmod === -1) typmod = current.typtypmod;
    current = types.get(current.base_oid);
  }
  return {
    type: {
      declared,
      baseName: current?.typname ?? declared,
      baseSchema: current?.nspname ?? '',
      kind: current?.typtype ?? '',
      category: current?.typcategory ?? '',
      typmod,
      domains,
    },
    notNull,
  };
}
