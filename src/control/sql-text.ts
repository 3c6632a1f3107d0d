/**
 * The two pieces of SQL text handling the control database needs. Both skip quoted strings,
 * quoted identifiers and `--` comments, so a `$1` or `;` inside them is left alone.
 */
const TOKENS = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\$(\d+)|(;)/g;

/** Rewrites PostgreSQL placeholders (`$1`) to SQLite's numbered parameters (`?1`), same numbers. */
export function toSqlitePlaceholders(sql: string): string {
  return sql.replace(TOKENS, (token, index: string | undefined) =>
    index === undefined ? token : `?${index}`,
  );
}

/** Splits a migration script into its statements (without the `;`), dropping empty ones. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  for (const match of script.matchAll(TOKENS)) {
    if (match[2] === undefined) continue;
    statements.push(script.slice(start, match.index));
    start = match.index + 1;
  }
  statements.push(script.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.replace(/--[^\n]*/g, '').trim() !== '');
}
