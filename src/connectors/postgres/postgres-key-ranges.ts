/**
 * PostgreSQL full reads cut into ranges of the first primary key column (see
 * connectors/key-range-read.ts for the plan's shape and guarantees).
 *
 * Planning samples the key with `TABLESAMPLE SYSTEM` (whole pages, so it costs a small fraction
 * of a scan) and has the server pick the bounds from the sample (`percentile_disc` at the
 * fractions `rangeFractions` gives: small ranges at both ends of the load, equal ones between).
 * A page holds a run of neighbouring keys in a table filled in key order, so the ranges are as
 * even as the number of pages sampled allows, not the number of rows: 160 pages of the 10M-row
 * benchmark table gave ranges of 0.8M to 1.9M rows for a planned 1M, which is why at least
 * `SAMPLE_PAGES` are read. Bounds travel as the key's text in the read session's settings (UTC,
 * ISO dates, exact floats, hex bytea) and come back as literals cast to the column's declared
 * type, so comparisons use the column's own type and collation.
 *
 * Reading runs one `COPY (SELECT … WHERE <range>)` per range. With `parallelism` n > 1, n
 * connections read ranges side by side from one snapshot: a coordinating transaction exports
 * its snapshot (`pg_export_snapshot()`), every reader imports it (`SET TRANSACTION SNAPSHOT`)
 * before its first query, and only then does the coordinator end. All ranges of one call thus
 * see the same committed data, exactly as one COPY of the table would. No ORDER BY: a range is
 * committed whole, so the order inside it carries no meaning and the server may pick any plan.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { StreamPlan } from '../../core/stream.js';
import { splitCsvIntoChunks } from '../csv-chunk-splitter.js';
import { CopyOutStream } from './copy-out-stream.js';
import { interleave } from '../interleave-chunks.js';
import type { KeyRangeEvent, KeyRangePlan } from '../key-range-read.js';
import { rangeBounds, rangeCount, rangeFractions } from '../key-range-read.js';
import { BEGIN_READ, copyStatement } from './postgres-copy-reader.js';
import { readError } from './postgres-errors.js';
import { qualifiedPgTable, quoteIdent } from './postgres-types.js';

/** Sample keys drawn per planned range (more: evener ranges, a bigger sample). */
const SAMPLES_PER_RANGE = 64;
/** Fewest sample keys worth drawing; below this many rows the whole key column is read. */
const MIN_SAMPLE = 20_000;
/**
 * Fewest table pages sampled (16 MB of 8 kB pages; the server sorts their keys): the spread of
 * the bounds shrinks with the square root of the pages drawn, ~1% of the table at 2,000.
 */
const SAMPLE_PAGES = 2_000;

/**
 * A range is a large slice of the table read whole, in no order: a bitmap heap scan reads its
 * pages in physical order, where a plain index scan visits the heap row by row. Measured on a
 * 10M-row table cut into 1M-row ranges: 6.1–6.3 s of server CPU with index scans, 5.6 s without
 * (one sequential COPY of the table: 4.2 s).
 */
const RANGE_SCAN = 'SET LOCAL enable_indexscan = off';

/** Connections and their release, as the connector manages them. */
export interface PgConnections {
  /** Opens a connection of its own. */
  open(): Promise<pg.Client>;
  /** Ends it (safe for a connection already ended). */
  release(client: pg.Client): Promise<void>;
}

/** Plans ranges of about `rowsPerRange` rows of `plan`'s table (see the file comment). */
export async function planPgKeyRanges(
  client: pg.Client,
  plan: StreamPlan,
  rowsPerRange: number,
  maxRanges: number,
): Promise<KeyRangePlan> {
  const column = plan.schema.columns.find((c) => c.name === plan.primaryKey[0]);
  if (!column) return { column: null, bounds: [] };
  const table = qualifiedPgTable(plan.schema);
  let sql = `SELECT count(*) FROM ${table}`;
  try {
    await client.query(BEGIN_READ);
    // The planner's estimate is enough to size the ranges; an unanalysed table is counted.
    const rows =
      plan.schema.rowEstimate ?? Number((await client.query<{ count: string }>(sql)).rows[0]?.count ?? 0);
    const parts = Math.min(maxRanges, Math.ceil(rows / Math.max(1, rowsPerRange)));
    if (parts <= 1) return { column: column.name, bounds: [] };
    sql = `SELECT relpages FROM pg_class WHERE oid = to_regclass($1)`;
    // A partitioned table's parent has no pages of its own (0 or -1): its sample is sized by rows.
    const pages = Number((await client.query<{ relpages: number }>(sql, [table])).rows[0]?.relpages ?? 0);
    const percent = Math.min(
      100,
      Math.max(
        (100 * Math.max(MIN_SAMPLE, parts * SAMPLES_PER_RANGE)) / rows,
        pages > 0 ? (100 * SAMPLE_PAGES) / pages : 0,
      ),
    );
    const key = quoteIdent(column.name);
    const sample = percent >= 100 ? '' : ` TABLESAMPLE SYSTEM (${percent.toFixed(6)})`;
    const fractions = rangeFractions(parts, maxRanges).map((fraction) => fraction.toFixed(6));
    // The key's own ordering (type and collation), as the range conditions compare; NULL for an
    // empty sample, which leaves the table one range.
    sql =
      `SELECT (percentile_disc(ARRAY[${fractions.join(', ')}]::float8[]) ` +
      `WITHIN GROUP (ORDER BY ${table}.${key}))::text[] AS bounds FROM ${table}${sample} WHERE ${key} IS NOT NULL`;
    const picked = (await client.query<{ bounds: string[] | null }>(sql)).rows[0]?.bounds ?? [];
    // Neighbouring fractions pick the same key where it repeats (a key column need not be unique).
    const bounds = picked.filter((bound, i) => i === 0 || bound !== picked[i - 1]);
    return { column: column.name, bounds };
  } catch (error) {
    throw readError(error, plan, sql);
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}

/**
 * The WHERE condition selecting range `index` of `keys` (null: every row). Rows whose key is
 * NULL (possible only for a declared key) belong to the first range, so none is ever skipped.
 */
export function pgRangeCondition(
  client: pg.Client,
  plan: StreamPlan,
  keys: KeyRangePlan,
  index: number,
): string | null {
  const { from, to } = rangeBounds(keys, index);
  const column = plan.schema.columns.find((c) => c.name === keys.column);
  if (!column || (from === null && to === null)) return null;
  const ref = quoteIdent(column.name);
  const literal = (text: string) => `${client.escapeLiteral(text)}::${column.sourceType}`;
  if (from === null) return `(${ref} < ${literal(to as string)} OR ${ref} IS NULL)`;
  if (to === null) return `${ref} >= ${literal(from)}`;
  return `${ref} >= ${literal(from)} AND ${ref} < ${literal(to)}`;
}

/**
 * Reads `ranges` of `keys` (see the file comment): each range's chunks, then its end. Chunks are
 * numbered 0, 1, … in the order they are yielded; each range stages into a folder of its own.
 */
export async function* readPgKeyRanges(
  connections: PgConnections,
  plan: StreamPlan,
  keys: KeyRangePlan,
  ranges: readonly number[],
  parallelism: number,
): AsyncGenerator<KeyRangeEvent> {
  for (const range of ranges) rangeBounds(keys, range);
  const queue = [...ranges];
  const workers = Math.max(1, Math.min(parallelism, queue.length, rangeCount(keys)));
  const clients = await openReaders(connections, workers, plan);
  let index = 0;
  const stop = () => clients.forEach((client) => void connections.release(client));
  const readers = clients.map((client) => readQueue(connections, client, plan, keys, queue));
  try {
    const events =
      readers.length === 1
        ? (readers[0] as AsyncGenerator<KeyRangeEvent>)
        : interleave(readers, stop, discard);
    for await (const event of events) {
      yield 'chunk' in event ? { ...event, chunk: { ...event.chunk, index: index++ } } : event;
    }
  } finally {
    await Promise.all(clients.map((client) => connections.release(client)));
  }
}

async function discard(event: KeyRangeEvent): Promise<void> {
  if ('chunk' in event) await rm(event.chunk.path, { force: true });
}

/** One reader: takes ranges off the shared queue until it is empty, in its own transaction. */
async function* readQueue(
  connections: PgConnections,
  client: pg.Client,
  plan: StreamPlan,
  keys: KeyRangePlan,
  queue: number[],
): AsyncGenerator<KeyRangeEvent> {
  let sql = '';
  try {
    for (let range = queue.shift(); range !== undefined; range = queue.shift()) {
      const where = pgRangeCondition(client, plan, keys, range);
      sql = copyStatement(plan, { where, operation: null });
      const stageDir = path.join(plan.stageDir, `range-${range}`);
      await mkdir(stageDir, { recursive: true });
      const copy = client.query(new CopyOutStream(sql));
      // A late driver error after the consumer stopped is handled by ending the client.
      copy.on('error', () => undefined);
      for await (const chunk of splitCsvIntoChunks(copy, stageDir, plan.chunkBytes)) yield { range, chunk };
      yield { range, done: true };
    }
    await client.query('COMMIT');
  } catch (error) {
    throw readError(error, plan, sql);
  } finally {
    await connections.release(client);
  }
}

/**
 * `count` connections, each inside a read-only REPEATABLE READ transaction; with more than one,
 * all on the snapshot one coordinating transaction exported (see the file comment).
 */
async function openReaders(
  connections: PgConnections,
  count: number,
  plan: StreamPlan,
): Promise<pg.Client[]> {
  const opened: pg.Client[] = [];
  let sql = BEGIN_READ;
  let coordinator: pg.Client | undefined;
  try {
    if (count === 1) {
      const client = await connections.open();
      opened.push(client);
      await client.query(`${BEGIN_READ}; ${RANGE_SCAN}`);
      return opened;
    }
    coordinator = await connections.open();
    await coordinator.query(BEGIN_READ);
    sql = 'SELECT pg_export_snapshot()';
    const { rows } = await coordinator.query<{ snapshot: string }>(`${sql} AS snapshot`);
    const snapshot = rows[0]?.snapshot as string;
    sql = `SET TRANSACTION SNAPSHOT ${coordinator.escapeLiteral(snapshot)}`;
    await Promise.all(
      Array.from({ length: count }, async () => {
        const client = await connections.open();
        opened.push(client);
        // SET LOCAL is not a query in SET TRANSACTION SNAPSHOT's sense: the import may follow it.
        await client.query(`${BEGIN_READ}; ${RANGE_SCAN}; ${sql}`);
      }),
    );
    return opened;
  } catch (error) {
    await Promise.all(opened.map((client) => connections.release(client)));
    throw readError(error, plan, sql);
  } finally {
    // Once imported, each reader's snapshot no longer needs the exporting transaction.
    if (coordinator) await connections.release(coordinator);
  }
}
