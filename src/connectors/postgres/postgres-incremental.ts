/**
 * Cursor-based incremental reads from PostgreSQL: the rows window (`cursor >= from`, NULL cursors
 * always), the delete marker from a soft-delete column, and the safety horizon. The rules shared
 * with other engines are in `../cursor-position.ts`.
 *
 * The safety horizon. Under MVCC a row written by a transaction still in flight when the read's
 * snapshot is taken is invisible to the read, and becomes visible at its commit carrying
 * whatever cursor value it was given, typically `now()`: the transaction's START time, possibly
 * long before the commit and below the highest value this read sees (Airbyte #9668, #21500 and
 * PostHog's lookback window describe exactly this loss). So, on the read's own connection and
 * just before its snapshot, `pg_stat_activity` gives the earliest `xact_start` of the other
 * transactions open in this database (autovacuum aside: it writes no user rows); the horizon is
 * `least(clock_timestamp(), that start) - HORIZON_MARGIN`. Every transaction in flight at the
 * snapshot either was open then (its start is counted) or began later (its start is after the
 * clock reading), so none can commit a clock-derived cursor value below the horizon. The position
 * committed is `min(max cursor read, horizon)`, and the next run reads `>=` it: rows between the
 * two are read twice and merged, never lost. The margin covers cursor values an application
 * back-dates a little below its transaction's start (a clock that runs behind, a value computed
 * before BEGIN).
 *
 * The horizon bounds clock-derived cursors (date, timestamp, timestamptz; a `timestamp` column is
 * taken in the server's default TimeZone, as `now()` writes it). Integer and decimal cursors have
 * no relation to time, so for them the position is the maximum read; a sequence value taken by a
 * transaction that commits after a higher one was read is only caught by a timestamp cursor or a
 * full sync. Two-phase transactions (PREPARE TRANSACTION) are not in `pg_stat_activity`: do not
 * prepare writes to an incrementally read table and leave them open across syncs.
 *
 * Privilege: `pg_stat_activity` shows `xact_start` of other roles' sessions only to superusers and
 * members of `pg_read_all_stats`. When a session of this database is hidden, the read cannot
 * know how old its transaction is, and fails (SOURCE_READ, not retried) with a GRANT hint rather
 * than risk a silent gap.
 */
import type pg from 'pg';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import type { SourcePosition, StreamPlan } from '../../core/stream.js';
import { CLOCK_KINDS, cursorWindow } from '../cursor-position.js';
import type { CursorWindow } from '../cursor-position.js';
import { qualifiedPgTable, quoteIdent } from './postgres-types.js';

/** How far below a transaction's start time its cursor values may lie and still be read. */
export const HORIZON_MARGIN = '1 second';

/**
 * Run before the read's snapshot, in the session's own TimeZone (a `timestamp` cursor written by
 * `now()` holds the local time of that zone). `hidden` counts sessions whose details this role
 * may not see (their `backend_type` is then NULL).
 */
const HORIZON_SQL = `
SELECT to_char(h AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS timestamptz,
       to_char(h, 'YYYY-MM-DD HH24:MI:SS.US') AS timestamp,
       to_char(h, 'YYYY-MM-DD') AS date,
       hidden
  FROM (SELECT least(clock_timestamp(), min(xact_start) FILTER (WHERE backend_type <> 'autovacuum worker'))
                 - interval '${HORIZON_MARGIN}' AS h,
               count(*) FILTER (WHERE backend_type IS NULL)::int AS hidden
          FROM pg_catalog.pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()) s`;

interface HorizonRow {
  timestamptz: string;
  timestamp: string;
  date: string;
  hidden: number;
}

/** What the COPY of an incremental read needs: its filter, its extra op column, and the position it reaches. */
export type IncrementalWindow = CursorWindow;

/** The horizon in the cursor's own type, as a SQL literal; null for cursors not bound by a clock. Call before BEGIN. */
export async function readHorizon(
  client: pg.Client,
  plan: StreamPlan,
  cursor: CanonicalColumn,
): Promise<string | null> {
  if (!CLOCK_KINDS.includes(cursor.type.kind)) return null;
  const { rows } = await client.query<HorizonRow>(HORIZON_SQL);
  const row = rows[0]!;
  if (row.hidden > 0) {
    const { namespace, name } = plan.schema;
    throw new SluiceError(
      'SOURCE_READ',
      `cannot read ${namespace}.${name} incrementally: ${row.hidden} session(s) of other roles hide how long their transactions have been open`,
      {
        hint: 'GRANT pg_read_all_stats TO the user Sluice connects as: an open transaction may later commit rows with older cursor values, and the read must stay below them',
      },
    );
  }
  const kind = cursor.type.kind as 'date' | 'timestamp' | 'timestamptz';
  return `${client.escapeLiteral(row[kind])}::${cursor.sourceType}`;
}

/**
 * The window of an incremental read. Runs inside the read's transaction, before the COPY, so the
 * position comes from the same snapshot as the rows.
 */
export function incrementalWindow(
  client: pg.Client,
  plan: StreamPlan,
  from: SourcePosition | null,
  horizon: string | null,
): Promise<IncrementalWindow> {
  const table = qualifiedPgTable(plan.schema);
  return cursorWindow(plan, from, {
    quote: quoteIdent,
    literal: (start, cursor) => `${client.escapeLiteral(start)}::${cursor.sourceType}`,
    reached: async (column, where) => {
      const reached = horizon === null ? `max(${column})` : `least(max(${column}), ${horizon})`;
      const { rows } = await client.query<{ reached: string | null }>(
        `SELECT CASE WHEN max(${column}) IS NULL THEN NULL ELSE ${reached} END::text AS reached FROM ${table}` +
          (where === null ? '' : ` WHERE ${where}`),
      );
      return rows[0]?.reached ?? null;
    },
  });
}
