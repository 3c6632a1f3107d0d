/**
 * Incremental reads that never miss a row while the source is being written: a transaction that
 * stays open across a sync commits rows whose cursor (`now()`, its START time) is older than what
 * the sync read; the safety horizon keeps the committed position below it, so the next sync picks
 * them up. First as one deterministic interleaving (fails without the horizon), then with several
 * writers running short, long and back-dated transactions while syncs run again and again; at the
 * end the lake equals the source row by row.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { IDENTICAL, diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { MACHINE_PG, createTestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!pgUp)('incremental syncs under concurrent writers', () => {
  let db: TestDatabase;
  let dir: string;
  let lake: string;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('pg_incr_concurrent');
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-incr-concurrent-'));
    lake = path.join(dir, 'lake');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.end()));
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ ...MACHINE_PG, database: db.name });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };

  const sync = async (table: string): Promise<SyncReport> => {
    const report = await runSync({
      from: `${db.url}?schema=public`,
      to: `lake:${lake}`,
      tables: [table],
      mode: 'incremental',
      cursor: 'updated_at',
      disposition: 'merge',
      retry: { attempts: 1 },
    });
    expect(report.status, JSON.stringify(report.streams)).toBe('succeeded');
    return report;
  };

  it('a transaction open across a sync with an older cursor value is picked up by the next sync', async () => {
    await db.sql(`CREATE TABLE tickets (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(), payload text);
      INSERT INTO tickets SELECT i, now() - interval '1 hour', 'seed' FROM generate_series(1, 3) i`);
    await sync('tickets');

    // A starts (its now() is T0) and writes, but does not commit.
    const a = await connect();
    await a.query('BEGIN');
    await a.query(`INSERT INTO tickets (id, payload) VALUES (100, 'long transaction')`);
    await sleep(20);
    // B starts later (T1 > T0) and commits at once.
    const b = await connect();
    await b.query(`INSERT INTO tickets (id, payload) VALUES (101, 'short transaction')`);

    const during = await sync('tickets');
    expect(during.rowsRead).toBeGreaterThanOrEqual(1); // 101; 100 is invisible to the snapshot
    const catalog = LakeCatalog.open(lake);
    const position = await catalog.lastPosition({ namespace: 'public', name: 'tickets' });
    await catalog.close();
    // The position stays below the open transaction's cursor value; the maximum read (T1) does not.
    const { rows } = await b.query<{ below: boolean }>(
      `SELECT $1::timestamptz < (SELECT updated_at FROM tickets WHERE id = 101) AS below`,
      [position?.cursor],
    );
    expect(rows[0]?.below).toBe(true);

    await a.query('COMMIT');
    const after = await sync('tickets');
    expect(after.rowsRead).toBeGreaterThanOrEqual(2);
    expect(await diffPostgresTable(db.url, lake, 'tickets')).toMatchObject({ ...IDENTICAL, lakeRows: 5 });
  });

  it('several writers with short, long and back-dated transactions: the lake ends equal to the source', async () => {
    const IDS = 2000;
    await db.sql(`CREATE TABLE events (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(), payload text, writer int);
      INSERT INTO events SELECT i, now() - interval '1 day', 'seed', 0 FROM generate_series(1, ${IDS}) i`);
    const first = await sync('events');
    expect(first.rowsRead).toBe(IDS);

    let stop = false;
    const counts = { short: 0, long: 0, backdated: 0, rolledBack: 0 };
    // A small deterministic generator per writer: runs differ only in timing, not in choices.
    const randoms = (seed: number) => () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const upsert = (ids: number[], writer: number, step: number, cursor: string) =>
      `INSERT INTO events (id, updated_at, payload, writer) SELECT id, ${cursor}, 'w${writer} s${step}', ${writer}
         FROM unnest(ARRAY[${[...new Set(ids)].sort((x, y) => x - y).join(',')}]::int[]) id
       ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at, payload = EXCLUDED.payload, writer = EXCLUDED.writer`;
    const writer = async (n: number) => {
      const client = await connect();
      const random = randoms(n + 1);
      const pick = () => 1 + Math.floor(random() * (IDS + 500)); // some ids are new rows
      for (let step = 0; !stop; step++) {
        const kind = random();
        try {
          await client.query('BEGIN');
          if (kind < 0.25) {
            // Long: writes, stays open across whatever syncs run meanwhile, writes again.
            await client.query(upsert([pick(), pick()], n, step, 'now()'));
            await sleep(150 + random() * 450);
            await client.query(upsert([pick()], n, step, 'now()'));
            counts.long++;
          } else if (kind < 0.4) {
            // Back-dated by the application, within the horizon's margin.
            await client.query(upsert([pick()], n, step, `now() - interval '700 milliseconds'`));
            counts.backdated++;
          } else {
            await client.query(upsert([pick(), pick(), pick()], n, step, 'now()'));
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
        reports.push(await sync('events'));
        await sleep(100);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    reports.push(await sync('events'));

    expect(counts.long).toBeGreaterThan(2);
    expect(counts.short).toBeGreaterThan(2);
    // The syncs were incremental: some read only part of the table.
    expect(reports.some((r) => r.rowsRead < IDS)).toBe(true);
    const diff = await diffPostgresTable(db.url, lake, 'events');
    expect({ ...diff, sourceRows: undefined }).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(diff.sourceRows);
  });
});
