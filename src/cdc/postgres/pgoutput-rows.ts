/**
 * Turns pgoutput tuples into full stage rows: values in the stream's column order, checked like
 * the COPY reader checks them (postgres-types.ts UNCARRIABLE), unchanged TOAST values filled
 * from the old tuple.
 *
 * Unchanged TOAST values: for an UPDATE that does not touch a large (TOASTed) value, pgoutput
 * sends a marker instead of the value. Sluice takes the value from the old tuple, which the
 * server sends with REPLICA IDENTITY FULL (de-TOASTed); without it the row cannot be made whole
 * from the log, and the change fails loudly with the ALTER TABLE to run. Why not fill it from
 * the lake's current row: an earlier change of the same row in the same batch may have set that
 * value and is not in the lake yet, so the merge would need per-column "keep" markers resolved
 * in log order across the batch and the table — one source's quirk spread into the lake's merge,
 * for a case REPLICA IDENTITY FULL solves exactly.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import { quoteIdent } from '../../connectors/postgres/postgres-types.js';
import { UNCHANGED_TOAST } from './pgoutput-decoder.js';
import type { RelationMessage, TupleValue } from './pgoutput-decoder.js';

/** How one stream column is read from the relation's tuples. */
export interface ColumnSource {
  /** The stream column. */
  column: CanonicalColumn;
  /** Its index in the relation's tuples, or -1 when the relation no longer has it (NULL). */
  index: number;
}

/** The stream columns mapped onto a relation's tuple positions. */
export function mapColumns(columns: readonly CanonicalColumn[], relation: RelationMessage): ColumnSource[] {
  return columns.map((column) => ({
    column,
    index: relation.columns.findIndex((c) => c.name === column.name),
  }));
}

/** Whether PostgreSQL text for a value of this kind can be carried (the COPY reader rejects the same). */
function uncarriable(kind: CanonicalColumn['type']['kind'], text: string): boolean {
  switch (kind) {
    case 'decimal':
      return text === 'NaN';
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return text === 'infinity' || text === '-infinity' || text.endsWith(' BC');
    case 'time':
      return text === '24:00:00';
    default:
      return false;
  }
}

/**
 * The values of one row in `sources` order. `old` fills unchanged TOAST values when it is a full
 * old tuple (REPLICA IDENTITY FULL); `oldIsKey` says it holds only the key.
 */
export function rowValues(
  sources: readonly ColumnSource[],
  tuple: readonly TupleValue[],
  relation: RelationMessage,
  old: readonly TupleValue[] | null = null,
  oldIsKey = true,
): (string | null)[] {
  return sources.map(({ column, index }) => {
    if (index < 0) return null;
    let value = tuple[index] ?? null;
    if (value === UNCHANGED_TOAST) {
      const previous = old && !oldIsKey ? old[index] : undefined;
      if (previous === undefined || previous === UNCHANGED_TOAST) throw unchangedToast(relation, column.name);
      value = previous;
    }
    if (value !== null && uncarriable(column.type.kind, value)) {
      throw new SluiceError(
        'TYPE_UNSUPPORTED',
        `${relation.namespace}.${relation.name}.${column.name}: value ${value} cannot be carried as ${column.type.kind}`,
        {
          hint: 'the lake type has no such value (infinity, BC dates, NaN, 24:00:00); change the value at the source or exclude the table',
        },
      );
    }
    return value;
  });
}

/** Whether two tuples (key-only or full) differ in a key value: an update that changed the key. */
export function keyChanged(
  sources: readonly ColumnSource[],
  keys: readonly string[],
  old: readonly TupleValue[],
  tuple: readonly TupleValue[],
): boolean {
  return keys.some((key) => {
    const source = sources.find((s) => s.column.name === key);
    if (!source || source.index < 0) return false;
    // An unchanged-TOAST marker equals only another marker (pgoutput text never holds NUL).
    return (old[source.index] ?? null) !== (tuple[source.index] ?? null);
  });
}

function unchangedToast(relation: RelationMessage, column: string): SluiceError {
  const table = `${quoteIdent(relation.namespace)}.${quoteIdent(relation.name)}`;
  return new SluiceError(
    'CDC_PREREQUISITE',
    `an update of ${table} left the large (TOASTed) value of column ${column} unchanged, and the log does not carry it without REPLICA IDENTITY FULL`,
    {
      hint: `run ALTER TABLE ${table} REPLICA IDENTITY FULL, then re-snapshot with \`sluice sync --mode cdc --resnapshot --tables ${relation.namespace}.${relation.name}\``,
    },
  );
}
