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
