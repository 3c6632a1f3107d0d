/**
 * The concurrent-writers proof of cursor-based incremental reads, for any source engine: a
 * transaction that stays open across a sync commits rows whose cursor value is older than what the
 * sync read; the safety horizon keeps the committed position below it, so the next sync picks them
 * up. First as one deterministic interleaving (fails without the horizon), then with several
 * writers running short, long and back-dated transactions while syncs run again and again; at the
 * end the lake equals the source row by row. Each engine's test file supplies the SQL dialect.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { SourcePosition } from '../../src/core/stream.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { lakePosition, syncIncrementally } from '../helpers/incremental-sync.js';
import type { TableDiff } from '../helpers/postgres-lake-diff.js';
import { IDENTICAL } from '../helpers/postgres-lake-diff.js';

/** One writer's connection. */
export interface WriterSession {
  /** Runs one statement. */
  query(sql: string): Promise<unknown>;
}

/** What the scenario needs from a source engine. */
export interface ConcurrentSource {
  /** Source URL for `--from`. */
  from: string;
  /** The lake namespace the source's tables land in. */
  namespace: string;
  /** The lake directory. */
  lake: string;
  /** Runs SQL on a connection of its own (several statements allowed). */
  sql(text: string): Promise<unknown>;
  /** A new writer connection (the test file closes them afterwards). */
  connect(): Promise<WriterSession>;
  /**
   * SQL creating `table (id int primary key, updated_at <clock cursor> NOT NULL, payload text,
   * writer int)` with rows 1…`rows` whose cursor lies `hoursAgo` hours in the past.
   */
  createTable(table: string, rows: number, hoursAgo: number): string;
  /** SQL inserting or updating rows `ids` (sorted, distinct) with the transaction's clock minus `backdateMs` as the cursor. */
  upsert(table: string, ids: readonly number[], payload: string, writer: number, backdateMs: number): string;
  /** True when the committed position's cursor lies below the cursor of row `id`. */
  positionBelowRow(table: string, position: SourcePosition | null, id: number): Promise<boolean>;
  /** The lake table against the source table, row by row. */
  diff(table: string): Promise<TableDiff>;
}

/** One incremental sync of `table` (merge), which must succeed. */
async function syncTable(source: ConcurrentSource, table: string): Promise<SyncReport> {
  const report = await syncIncrementally(source.from, source.lake, table, { disposition: 'merge' });
  expect(report.status, JSON.stringify(report.streams)).toBe('succeeded');
  return report;
}

/** Registers the scenario's two tests; `source` is called inside them (after the file's beforeAll). */
export function concurrentIncrementalCases(source: () => ConcurrentSource): void {
  it('a transaction open across a sync with an older cursor value is picked up by the next sync', async () => {
    const s = source();
    await s.sql(s.createTable('tickets', 3, 1));
    await syncTable(s, 'tickets');

    // A starts and writes (its cursor value is T0), but does not commit.
    const a = await s.connect();
    await a.query('BEGIN');
    await a.query(s.upsert('tickets', [100], 'long transaction', 1, 0));
    await sleep(20);
    // B writes later (T1 > T0) and commits at once.
    const b = await s.connect();
    await b.query(s.upsert('tickets', [101], 'short transaction', 2, 0));

    const during = await syncTable(s, 'tickets');
    expect(during.rowsRead).toBeGreaterThanOrEqual(1); // 101; 100 is invisible to the snapshot
    const position = await lakePosition(s.lake, s.namespace, 'tickets');
    // The position stays below the open transaction's cursor value; the maximum read (T1) does not.
    expect(await s.positionBelowRow('tickets', position, 101)).toBe(true);

    await a.query('COMMIT');
    const after = await syncTable(s, 'tickets');
    expect(after.rowsRead).toBeGreaterThanOrEqual(2);
    expect(await s.diff('tickets')).toMatchObject({ ...IDENTICAL, lakeRows: 5 });
  });

  it('several writers with short, long and back-dated transactions: the lake ends equal to the source', async () => {
    const s = source();
    const IDS = 2000;
    await s.sql(s.createTable('events', IDS, 24));
    const first = await syncTable(s, 'events');
    expect(first.rowsRead).toBe(IDS);

    let stop = false;
    const counts = { short: 0, long: 0, backdated: 0, rolledBack: 0 };
    // A small deterministic generator per writer: runs differ only in timing, not in choices.
    const randoms = (seed: number) => () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const upsert = (ids: number[], writer: number, step: number, backdateMs: number) =>
      s.upsert(
        'events',
        [...new Set(ids)].sort((x, y) => x - y),
        `w${writer} s${step}`,
        writer,
        backdateMs,
      );
    const writer = async (n: number) => {
      const client = await s.connect();
      const random = randoms(n + 1);
      const pick = () => 1 + Math.floor(random() * (IDS + 500)); // some ids are new rows
      for (let step = 0; !stop; step++) {
        const kind = random();
        try {
          await client.query('BEGIN');
          if (kind < 0.25) {
            // Long: writes, stays open across whatever syncs run meanwhile, writes again.
            await client.query(upsert([pick(), pick()], n, step, 0));
            await sleep(150 + random() * 450);
            await client.query(upsert([pick()], n, step, 0));
            counts.long++;
          } else if (kind < 0.4) {
            // Back-dated by the application, within the horizon's margin.
            await client.query(upsert([pick()], n, step, 700));
            counts.backdated++;
          } else {
            await client.query(upsert([pick(), pick(), pick()], n, step, 0));
            counts.short++;
          }
          await client.query('COMMIT');
        } catch {
          // Two writers taking the same keys in another order may deadlock: that one rolls back.
          await client.query('ROLLBACK').catch(() => undefined);
          counts.rolledBack++;
        }
      }
    };
    const writers = [0, 1, 2].map((n) => writer(n));

    const reports: SyncReport[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        reports.push(await syncTable(s, 'events'));
        await sleep(100);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    reports.push(await syncTable(s, 'events'));

    expect(counts.long).toBeGreaterThan(2);
    expect(counts.short).toBeGreaterThan(2);
    // The syncs were incremental: some read only part of the table.
    expect(reports.some((r) => r.rowsRead < IDS)).toBe(true);
    const diff = await s.diff('events');
    expect({ ...diff, sourceRows: undefined }).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(diff.sourceRows);
  });
}
