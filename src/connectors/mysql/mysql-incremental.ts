/**
 * Cursor-based incremental reads from MySQL/MariaDB, under the rules of `../cursor-position.ts`:
 * the rows window (`cursor >= from`, NULL cursors on every run), the `_sluice_op` column from a
 * soft-delete column, and the safety horizon. The position query and the SELECT run in the
 * read's one consistent InnoDB snapshot (`START TRANSACTION WITH CONSISTENT SNAPSHOT`), so the
 * position never lies above what the read saw.
 *
 * The safety horizon. A transaction still open when the snapshot is taken commits its rows later,
 * with cursor values it computed earlier (`NOW()` is the time its statement started; an
 * application may compute the value before BEGIN). Just before the snapshot, on the read's own
 * connection, `information_schema.innodb_trx` gives the earliest `trx_started` of the other
 * transactions that can write and have written or are running a statement (an idle transaction
 * that has not written yet will stamp its rows with a later `NOW()`; read-only ones — other
 * Sluice reads, autocommit SELECTs, reports — never write and do not hold it back); the horizon
 * is `least(now, that start) - 1 s`, floored to the second (`trx_started` has whole seconds, in
 * the server's system time zone). The position committed is
 * `min(max cursor read, horizon)`: rows between the two are read again next run and merged by key.
 * The margin covers values back-dated a little below the transaction's start. Integer and decimal
 * cursors have no relation to time, so their position is the maximum read (as on PostgreSQL).
 * Only InnoDB is covered: MyISAM/Aria tables have no transactions to wait for.
 *
 * A `timestamp` column (canonical timestamptz) is compared in the read's `+00:00` session; a
 * `datetime` column holds the writer's local time, taken as the server's default `time_zone`
 * (what `NOW()` writes in a session that did not change it).
 *
 * Privilege: `innodb_trx` needs PROCESS. Without it the read cannot know how old the open
 * transactions are, and fails (SOURCE_READ, not retried) with a GRANT hint rather than risk a gap.
 */
import mysql from 'mysql2';
import type { Connection } from 'mysql2';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import { STAGE_OP_COLUMN } from '../../core/stage-csv.js';
import type { SourcePosition, StreamPlan } from '../../core/stream.js';
import { driverErrorCode } from '../driver-errors.js';
import { CLOCK_KINDS, cursorColumnOf, cursorWindow } from '../cursor-position.js';
import type { CursorWindow } from '../cursor-position.js';
import { mysqlQuery } from './mysql-connection.js';
import { queryError } from './mysql-errors.js';
import { qualifiedMysqlTable } from './mysql-reader.js';
import { mappingOfColumn, mysqlSelectExpression, quoteMysqlIdent } from './mysql-types.js';

/** How far (seconds) below a transaction's start time its cursor values may lie and still be read. */
export const MYSQL_HORIZON_MARGIN_SECONDS = 1;

/**
 * Epoch seconds of the horizon. Run in a session whose time zone is SYSTEM: `trx_started` is
 * printed in the server's system time zone whatever the session's, and `NOW()` and
 * `UNIX_TIMESTAMP()` must read it the same way.
 */
const HORIZON_SQL = `
SELECT FLOOR(UNIX_TIMESTAMP(LEAST(NOW(), COALESCE(MIN(trx_started), NOW())))) - ${MYSQL_HORIZON_MARGIN_SECONDS} AS epoch
  FROM information_schema.innodb_trx
 WHERE trx_mysql_thread_id <> CONNECTION_ID()
   AND trx_is_read_only = 0 AND trx_autocommit_non_locking = 0
   AND (trx_rows_modified > 0 OR trx_query IS NOT NULL OR trx_state <> 'RUNNING')`;

/** The horizon of a clock-derived cursor as a SQL literal in the cursor's own terms. */
export interface MysqlHorizon {
  /** Literal to compare with the cursor column in the read's `+00:00` session. */
  literal: string;
}

/**
 * The safety horizon, or null for cursors no clock bounds. Call before the snapshot; it leaves the
 * session's time zone changed (`beginSnapshot` sets it to `+00:00` next).
 */
export async function readMysqlHorizon(
  connection: Connection,
  plan: StreamPlan,
  cursor: CanonicalColumn,
): Promise<MysqlHorizon | null> {
  if (!CLOCK_KINDS.includes(cursor.type.kind)) return null;
  let epoch: number;
  try {
    await mysqlQuery(connection, "SET SESSION time_zone = 'SYSTEM'");
    const [row] = await mysqlQuery<{ epoch: string | number }>(connection, HORIZON_SQL);
    epoch = Number(row?.epoch);
  } catch (error) {
    throw horizonError(error, plan);
  }
  if (cursor.type.kind === 'timestamptz') return { literal: mysql.escape(utcText(epoch)) };
  // datetime and date columns hold the writers' local time: the server's default time zone.
  await mysqlQuery(connection, 'SET SESSION time_zone = @@GLOBAL.time_zone');
  const [local] = await mysqlQuery<{ h: string }>(
    connection,
    `SELECT DATE_FORMAT(FROM_UNIXTIME(?), '${cursor.type.kind === 'date' ? '%Y-%m-%d' : '%Y-%m-%d %H:%i:%s'}') AS h`,
    [epoch],
  );
  return { literal: mysql.escape(local?.h ?? '') };
}

/**
 * The window of an incremental read. Runs inside the read's snapshot, before the SELECT, so the
 * position comes from the same snapshot as the rows.
 */
export function mysqlIncrementalWindow(
  connection: Connection,
  plan: StreamPlan,
  from: SourcePosition | null,
  horizon: MysqlHorizon | null,
): Promise<CursorWindow> {
  const cursor = cursorColumnOf(plan);
  return cursorWindow(plan, from, {
    quote: quoteMysqlIdent,
    literal: (start) => mysql.escape(cursorLiteral(start)),
    reached: async (column, where) => {
      const reached =
        horizon === null
          ? `MAX(${column})`
          : `CASE WHEN MAX(${column}) > ${horizon.literal} THEN ${horizon.literal} ELSE MAX(${column}) END`;
      const sql = `SELECT CAST(${reached} AS CHAR) AS reached FROM ${qualifiedMysqlTable(plan)}${where ? ` WHERE ${where}` : ''}`;
      let rows: { reached: string | null }[];
      try {
        rows = await mysqlQuery<{ reached: string | null }>(connection, sql);
      } catch (error) {
        const table = `${plan.schema.namespace}.${plan.schema.name}`;
        throw queryError(error, `finding the cursor position of ${table}`, table, sql);
      }
      const value = rows[0]?.reached ?? null;
      return value === null ? null : canonicalCursor(cursor, value);
    },
  });
}

/**
 * The plan and SELECT that read the window: the plan's columns, then the op column when the
 * window has one (read as text, so the reader stages it as the row's last field).
 */
export function incrementalSelect(
  plan: StreamPlan,
  window: CursorWindow,
): { readPlan: StreamPlan; sql: string } {
  const select = plan.schema.columns.map((c) => mysqlSelectExpression(c.name, mappingOfColumn(c)));
  let readPlan = plan;
  if (window.operation) {
    select.push(window.operation);
    const op: CanonicalColumn = {
      name: STAGE_OP_COLUMN,
      type: { kind: 'string' },
      nullable: false,
      sourceType: 'varchar(1)',
    };
    readPlan = { ...plan, schema: { ...plan.schema, columns: [...plan.schema.columns, op] } };
  }
  const where = window.where ? ` WHERE ${window.where}` : '';
  return { readPlan, sql: `SELECT ${select.join(', ')} FROM ${qualifiedMysqlTable(plan)}${where}` };
}

/** The position's canonical text as a MySQL literal's text: timestamptz positions drop their `+00`. */
function cursorLiteral(position: string): string {
  return position.replace(/\+00$/, '');
}

/** MySQL's text of a cursor value in canonical form: no trailing fraction zeros, `+00` on timestamptz. */
function canonicalCursor(cursor: CanonicalColumn, value: string): string {
  const kind = cursor.type.kind;
  if (kind !== 'timestamp' && kind !== 'timestamptz') return value;
  const trimmed = value.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return kind === 'timestamptz' ? `${trimmed}+00` : trimmed;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC for epoch seconds. */
function utcText(epoch: number): string {
  return new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function horizonError(error: unknown, plan: StreamPlan): SluiceError {
  const table = `${plan.schema.namespace}.${plan.schema.name}`;
  const code = driverErrorCode(error);
  if (code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_ERROR') {
    return new SluiceError(
      'SOURCE_READ',
      `cannot read ${table} incrementally: the user may not see how long other transactions have been open (information_schema.innodb_trx needs the PROCESS privilege)`,
      {
        hint: "GRANT PROCESS ON *.* TO the user Sluice connects as (e.g. GRANT PROCESS ON *.* TO 'sluice'@'%'): an open transaction may later commit rows with older cursor values, and the read must stay below them",
        cause: error,
        sql: HORIZON_SQL.trim(),
      },
    );
  }
  return queryError(error, `reading the safety horizon for ${table}`, table, HORIZON_SQL.trim());
}
