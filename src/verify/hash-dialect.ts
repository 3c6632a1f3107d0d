/**
 * The engines fingerprint SQL is written for, and the few spellings that differ between them;
 * everything else in `row-hash.ts` is SQL both accept.
 */

/** Where a fingerprint is computed: the source database, or DuckDB over the lake's views. */
export type HashDialect = 'postgres' | 'duckdb';

/** `expr` cast to the engine's text type. */
export function castText(dialect: HashDialect, expr: string): string {
  return `CAST(${expr} AS ${dialect === 'postgres' ? 'text' : 'VARCHAR'})`;
}

/** `expr` cast to the engine's float64 type. */
export function castDouble(dialect: HashDialect, expr: string): string {
  return `CAST(${expr} AS ${dialect === 'postgres' ? 'double precision' : 'DOUBLE'})`;
}

/**
 * Statements to run on the connection before fingerprinting. The canonical types do not depend
 * on them, but columns carried as text (intervals, arrays, timetz, … — see the PostgreSQL
 * connector's type mapping) print through session settings, so they are pinned to the ones the
 * PostgreSQL reader uses when it stages the same rows.
 */
export function sessionSql(dialect: HashDialect): string[] {
  if (dialect === 'duckdb') return [];
  return [
    `SET TimeZone = 'UTC'`,
    `SET DateStyle = 'ISO'`,
    `SET IntervalStyle = 'postgres'`,
    `SET extra_float_digits = 3`,
    `SET bytea_output = 'hex'`,
  ];
}
