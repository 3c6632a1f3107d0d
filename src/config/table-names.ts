/**
 * How a table is named in the project file: `orders` (in the source's default namespace) or
 * `public.orders`. An unqualified name matches that table in any namespace.
 */

/** Splits `namespace.table` at its last dot; `namespace` is undefined for a bare table name. */
export function splitTableName(entry: string): { namespace: string | undefined; name: string } {
  const dot = entry.lastIndexOf('.');
  return dot < 0
    ? { namespace: undefined, name: entry }
    : { namespace: entry.slice(0, dot), name: entry.slice(dot + 1) };
}

/** True when `entry` names the table `namespace.name`. */
export function namesTable(entry: string, namespace: string, name: string): boolean {
  const parsed = splitTableName(entry);
  return parsed.name === name && (parsed.namespace === undefined || parsed.namespace === namespace);
}

/** True when two entries may name the same table (equal, or one is the other without namespace). */
export function mayNameSameTable(a: string, b: string): boolean {
  const [x, y] = [splitTableName(a), splitTableName(b)];
  return (
    x.name === y.name &&
    (x.namespace === undefined || y.namespace === undefined || x.namespace === y.namespace)
  );
}
