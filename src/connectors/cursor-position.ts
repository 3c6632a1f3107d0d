/**
 * What every cursor-based incremental read shares, whatever the engine: the position's shape,
 * which cursor columns qualify, the rules that make a read never miss a row, and how the
 * position travels on the chunks.
 *
 * The rules (each engine's reader adds how it finds its safety horizon):
 *
 * - The read selects `cursor >= position` (not `>`): rows that share the boundary value, or
 *   that arrive later with it, are read again rather than lost. Re-read rows are harmless
 *   because cursor reads load with `merge` (upsert by primary key; a key read twice in one batch
 *   is impossible, since one read is one snapshot); `append` is refused for them
 *   (`run-sync.ts`), as it would duplicate every re-read row.
 * - The read runs in one consistent snapshot, and the new position is computed in that same
 *   snapshot: `min(max cursor read, safety horizon)`, never more than the read saw. The horizon
 *   is the lowest cursor value a transaction still in flight at snapshot time could commit
 *   (PostgreSQL: its start time minus a margin); such rows become visible later, so the next
 *   run must read from below them. With nothing read, the position stays where it was.
 * - NULL cursor values: such a row has no place in the cursor order, so it is read on every run
 *   (`OR cursor IS NULL`) and merged again; never lost, costs one re-read per NULL row per run.
 *   Give the column a NOT NULL default to avoid that.
 * - A position written for another cursor column (the sync's cursor changed) is ignored: the
 *   read starts over with every row.
 */
import type { CanonicalColumn, CanonicalKind } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import { STAGE_OP_COLUMN } from '../core/stage-csv.js';
import type { SourcePosition, StagedChunk, StreamPlan } from '../core/stream.js';

/** The position a cursor read commits: which column, and the value the next read starts at (canonical text). */
export interface CursorPosition {
  /** The cursor column the value belongs to. */
  cursorColumn: string;
  /** Canonical text of the lowest cursor value the next read must include. */
  cursor: string;
}

/** What the read of a cursor window needs: its filter, its extra op column, and the position it reaches. */
export interface CursorWindow {
  /** SQL condition selecting the rows to read, or null for every row. */
  where: string | null;
  /** SELECT expression staging `d` for soft-deleted rows and `u` for the others; null without a soft-delete column. */
  operation: string | null;
  /** The position to commit once every chunk is loaded. */
  position: SourcePosition | null;
}

/** The rows of a window starting at `literal` (SQL, already quoted), NULL cursors included; null for every row. */
export function cursorWhere(column: string, literal: string | null): string | null {
  return literal === null ? null : `${column} >= ${literal} OR ${column} IS NULL`;
}

/** Canonical kinds a cursor may have: totally ordered, compared exactly by the source engine. */
export const CURSOR_KINDS: readonly CanonicalKind[] = [
  'int32',
  'int64',
  'decimal',
  'date',
  'timestamp',
  'timestamptz',
];

/** Canonical kinds whose values come from a clock, so a transaction's start time bounds them. */
export const CLOCK_KINDS: readonly CanonicalKind[] = ['date', 'timestamp', 'timestamptz'];

/**
 * The cursor column of an incremental plan, checked: it exists and has a cursor type; the
 * soft-delete column, when given, exists too. USAGE errors name the column and the choices.
 */
export function cursorColumnOf(plan: StreamPlan): CanonicalColumn {
  const { schema, cursor } = plan;
  const table = `${schema.namespace}.${schema.name}`;
  if (cursor === undefined) {
    throw new SluiceError('USAGE', `${table}: incremental mode needs a cursor column`, {
      hint: 'name it with --cursor <column> (or cursor: in sluice.yml)',
    });
  }
  const column = schema.columns.find((c) => c.name === cursor);
  if (!column) {
    throw new SluiceError('USAGE', `${table} has no column ${JSON.stringify(cursor)} to use as the cursor`, {
      hint: `pick one of: ${schema.columns.map((c) => c.name).join(', ')}`,
    });
  }
  if (!CURSOR_KINDS.includes(column.type.kind)) {
    throw new SluiceError(
      'USAGE',
      `${table}.${cursor} (${column.sourceType}) cannot be a cursor: its values have no exact order Sluice can resume from`,
      {
        hint: `use a column of a timestamp, date, integer or decimal type; candidates: ${
          schema.columns
            .filter((c) => CURSOR_KINDS.includes(c.type.kind))
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      },
    );
  }
  const softDelete = plan.softDeleteColumn;
  if (softDelete !== undefined && !schema.columns.some((c) => c.name === softDelete)) {
    throw new SluiceError('USAGE', `${table} has no soft-delete column ${JSON.stringify(softDelete)}`, {
      hint: `pick one of: ${schema.columns.map((c) => c.name).join(', ')}`,
    });
  }
  return column;
}

/** Where the read starts: the cursor value of `from` for this cursor column, or null for a read of every row. */
export function cursorStart(plan: StreamPlan, from: SourcePosition | null): string | null {
  if (from === null || from.cursorColumn !== plan.cursor || typeof from.cursor !== 'string') return null;
  return from.cursor;
}

/** The position to commit: the new cursor value, or `from` unchanged when the read advanced nothing. */
export function nextPosition(
  plan: StreamPlan,
  from: SourcePosition | null,
  cursor: string | null,
): SourcePosition | null {
  if (cursor === null) return cursorStart(plan, from) === null ? null : from;
  const position: CursorPosition = { cursorColumn: plan.cursor ?? '', cursor };
  return { ...position };
}

/**
 * Passes chunks through, each carrying `from` except the last, which carries `final`: the new
 * position holds only once every row of the read is staged (the read has no cursor order, so
 * an intermediate chunk reached no position of its own).
 */
export async function* withFinalPosition(
  chunks: AsyncIterable<StagedChunk>,
  from: SourcePosition | null,
  final: SourcePosition | null,
): AsyncGenerator<StagedChunk> {
  let held: StagedChunk | undefined;
  for await (const chunk of chunks) {
    if (held) yield { ...held, position: from };
    held = chunk;
  }
  if (held) yield { ...held, position: final };
}

/**
 * The plan reading only the key columns of the table, every row, into `reconcileKeysDir`; null
 * when the plan does not reconcile deletes. A connector reads it in its incremental read's
 * snapshot, after the rows, with its ordinary full-read path.
 */
export function keysPlan(plan: StreamPlan): StreamPlan | null {
  const dir = plan.reconcileKeysDir;
  if (dir === undefined) return null;
  const table = `${plan.schema.namespace}.${plan.schema.name}`;
  const columns = plan.primaryKey.map((key) => {
    const column = plan.schema.columns.find((c) => c.name === key);
    if (!column) {
      throw new SluiceError(
        'USAGE',
        `${table} has no key column ${JSON.stringify(key)} to reconcile deletes by`,
        {
          hint: `pick key columns among: ${plan.schema.columns.map((c) => c.name).join(', ')}`,
        },
      );
    }
    return column;
  });
  const { cursor: _cursor, softDeleteColumn: _soft, reconcileKeysDir: _dir, ...rest } = plan;
  return { ...rest, mode: 'full', schema: { ...plan.schema, columns }, stageDir: dir };
}

/** Reads a stream of chunks to its end, leaving the files where they were staged (key files). */
export async function drainChunks(chunks: AsyncIterable<StagedChunk>): Promise<void> {
  for await (const chunk of chunks) void chunk;
}

/**
 * The SELECT expression of the operation column: `d` for a row the soft-delete column marks
 * deleted (non-NULL; true for a boolean), else `u`; null without a soft-delete column. Standard
 * SQL, given the engine's identifier quoting.
 */
export function deleteMarkerSql(plan: StreamPlan, quote: (name: string) => string): string | null {
  const name = plan.softDeleteColumn;
  if (name === undefined) return null;
  const kind = plan.schema.columns.find((c) => c.name === name)?.type.kind;
  const deleted = `${quote(name)} ${kind === 'boolean' ? 'IS TRUE' : 'IS NOT NULL'}`;
  return `CASE WHEN ${deleted} THEN 'd' ELSE 'u' END AS ${quote(STAGE_OP_COLUMN)}`;
}

/** What one engine contributes to reading a cursor window: its quoting, literals and position query. */
export interface CursorWindowDialect {
  /** Quotes an identifier for the engine. */
  quote: (name: string) => string;
  /** The SQL literal of a position's canonical text, compared with the cursor column. */
  literal: (position: string, cursor: CanonicalColumn) => string;
  /**
   * Runs, in the read's snapshot, the query of the position the window reaches: its highest
   * cursor value capped by the engine's safety horizon, as canonical text; null for no rows.
   */
  reached: (column: string, where: string | null) => Promise<string | null>;
}

/**
 * The window of an incremental read, the same steps whatever the engine: the checked cursor
 * column, the filter from the committed position, the position the snapshot reaches and the
 * soft-delete marker. Call inside the read's snapshot, before the rows, so the position comes
 * from the same snapshot as the rows.
 */
export async function cursorWindow(
  plan: StreamPlan,
  from: SourcePosition | null,
  dialect: CursorWindowDialect,
): Promise<CursorWindow> {
  const cursor = cursorColumnOf(plan);
  const column = dialect.quote(cursor.name);
  const start = cursorStart(plan, from);
  const where = cursorWhere(column, start === null ? null : dialect.literal(start, cursor));
  const reached = await dialect.reached(column, where);
  return {
    where,
    operation: deleteMarkerSql(plan, dialect.quote),
    position: nextPosition(plan, from, reached),
  };
}
