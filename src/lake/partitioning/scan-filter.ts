/**
 * A row filter simple enough to prune data files with: predicates `column op literal` (and
 * `IS [NOT] NULL`) joined by AND. `parseScanFilter` reads the text form people write
 * (`placed_at >= '2024-03-01' AND buyer_id = 7`); `scanFilterSql` renders a filter as a DuckDB
 * condition, the literal cast to the column's type, so a view applies exactly what pruning
 * assumed.
 */
import { SluiceError } from '../../core/errors.js';
import { quoteIdent, quoteLiteral } from '../../engine/duckdb.js';

/** Comparison operators a predicate may use. */
export const FILTER_OPS = ['=', '!=', '<', '<=', '>', '>=', 'is null', 'is not null'] as const;

export type FilterOp = (typeof FILTER_OPS)[number];

/** One predicate on one column. */
export interface Predicate {
  /** The column, by its name in the table. */
  column: string;
  /** The comparison. */
  op: FilterOp;
  /**
   * The literal, as DuckDB prints a value of the column's type (`2024-03-01 00:00:00+00`,
   * `12.50`, `t`, `\x0a`); absent for `is null` and `is not null`.
   */
  value?: string;
}

/** Predicates that must all hold. */
export type ScanFilter = readonly Predicate[];

const HINT =
  "write predicates as column op literal joined by AND, e.g. placed_at >= '2024-03-01' AND buyer_id = 7 (ops: = != < <= > >=, IS NULL, IS NOT NULL)";

/** Parses `a = 1 AND "b c" >= 'x'`; throws USAGE naming the part it cannot read. */
export function parseScanFilter(text: string): ScanFilter {
  const predicates: Predicate[] = [];
  let rest = text.trim();
  while (rest !== '') {
    const column = /^(?:"((?:[^"]|"")+)"|([\p{L}_][\p{L}\p{Nd}_]*))\s*/u.exec(rest);
    if (!column) throw unreadable(rest);
    const name = column[1] !== undefined ? column[1].replaceAll('""', '"') : column[2]!;
    rest = rest.slice(column[0].length);
    const nullTest = /^is\s+(not\s+)?null\b\s*/i.exec(rest);
    if (nullTest) {
      predicates.push({ column: name, op: nullTest[1] ? 'is not null' : 'is null' });
      rest = rest.slice(nullTest[0].length);
    } else {
      const op = /^(<=|>=|<>|!=|=|<|>)\s*/.exec(rest);
      if (!op) throw unreadable(rest);
      rest = rest.slice(op[0].length);
      const literal = /^(?:'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false))\s*/i.exec(rest);
      if (!literal) throw unreadable(rest);
      const value = literal[1] !== undefined ? literal[1].replaceAll("''", "'") : literal[2]!;
      predicates.push({ column: name, op: op[1] === '<>' ? '!=' : (op[1] as FilterOp), value });
      rest = rest.slice(literal[0].length);
    }
    if (rest === '') break;
    const and = /^and\b\s*/i.exec(rest);
    if (!and) throw unreadable(rest);
    rest = rest.slice(and[0].length);
    if (rest === '') throw unreadable('AND at the end');
  }
  if (predicates.length === 0) throw unreadable(text);
  return predicates;
}

/** The filter as a DuckDB condition over columns named as in the table (types: DuckDB type per column). */
export function scanFilterSql(filter: ScanFilter, duckdbTypes: ReadonlyMap<string, string>): string {
  return filter
    .map((predicate) => {
      const column = quoteIdent(predicate.column);
      if (predicate.op === 'is null') return `${column} IS NULL`;
      if (predicate.op === 'is not null') return `${column} IS NOT NULL`;
      const type = duckdbTypes.get(predicate.column) ?? 'VARCHAR';
      const value =
        type === 'BLOB'
          ? `unhex(${quoteLiteral((predicate.value ?? '').replace(/^\\x/, ''))})`
          : `CAST(${quoteLiteral(predicate.value ?? '')} AS ${type})`;
      return `${column} ${predicate.op} ${value}`;
    })
    .join(' AND ');
}

function unreadable(part: string): SluiceError {
  return new SluiceError('USAGE', `cannot read the filter at ${JSON.stringify(part.slice(0, 40))}`, {
    hint: HINT,
  });
}
