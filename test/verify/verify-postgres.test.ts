/**
 * `sluice verify` between two PostgreSQL databases: identical tables, planted differences found
 * exactly (with bisection touching only the differing ranges), a table without a key, a schema
 * difference, the --json shape, and a backend terminated mid-verify.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEndpoints } from '../../src/verify/verify-tables.js';
import { MACHINE_PG, createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { PLANTED, createItems } from './verify-fixture.js';

const up = await serviceAvailable('PostgreSQL', 5432);
const ROWS = 200_000;

describe.skipIf(!up)('sluice verify: PostgreSQL ↔ PostgreSQL', () => {
  let left: TestDatabase;
  let right: TestDatabase;

  beforeAll(async () => {
    [left, right] = await Promise.all([createTestDatabase('verify_pg_a'), createTestDatabase('verify_pg_b')]);
    await Promise.all([createItems(left, ROWS), createItems(right, ROWS)]);
    const extras = `
      CREATE TABLE public.events (kind text, payload text);
      INSERT INTO public.events VALUES ('a', 'x'), ('a', 'x'), ('b', NULL), ('c', '');
      CREATE TABLE public.shapes (id int PRIMARY KEY, name text, size int);
      INSERT INTO public.shapes SELECT g, 's' || g, g FROM generate_series(1, 10) g;`;
    await Promise.all([left.sql(extras), right.sql(extras)]);
  });
  afterAll(async () => {
    await Promise.all([left?.drop(), right?.drop()]);
  });

  it('reports identical tables as identical in one hashing pass', async () => {
    const report = await verifyEndpoints({ from: left.url, to: right.url });
    expect(report.identical).toBe(true);
    expect(report.tables.map((t) => [t.table, t.status, t.sourceRows, t.destinationRows])).toEqual([
      ['public.events', 'identical', 4, 4],
      ['public.items', 'identical', ROWS, ROWS],
      ['public.shapes', 'identical', 10, 10],
    ]);
    const items = report.tables.find((t) => t.table === 'public.items');
    expect(items?.stats?.passes).toBe(1);
    expect(items?.stats?.rangesCompared).toBeGreaterThan(100);
    expect(items?.stats?.rowsFetched).toBe(0);
  });

  it('finds exactly the planted differences, fetching rows only for the differing ranges', async () => {
    await right.sql(PLANTED.sql);
    const report = await verifyEndpoints({ from: left.url, to: right.url, tables: ['items'] });
    expect(report.identical).toBe(false);
    const [items] = report.tables;
    expect(items).toMatchObject({
      table: 'public.items',
      status: 'different',
      sourceRows: ROWS,
      destinationRows: ROWS,
      missing: PLANTED.missing,
      extra: PLANTED.extra,
      changed: PLANTED.changed,
    });
    const stats = items?.stats;
    // Six planted rows touch at most six ranges; each listed range holds ≤ 1000 rows a side.
    expect(stats?.leafRanges).toBeLessThanOrEqual(6);
    expect(stats?.rowsFetched).toBeLessThanOrEqual(6 * 2 * 1000);
    expect(stats?.rowsFetched).toBeGreaterThan(0);
  });

  it('bisects over several levels when the leaves are small', async () => {
    const report = await verifyEndpoints({
      from: left.url,
      to: right.url,
      tables: ['public.items'],
      bisect: { leafRows: 50, fanout: 8, maxTopRanges: 16 },
    });
    const [items] = report.tables;
    expect(items).toMatchObject({ missing: PLANTED.missing, extra: PLANTED.extra, changed: PLANTED.changed });
    expect(items?.stats?.passes).toBeGreaterThan(3);
    expect(items?.stats?.rowsFetched).toBeLessThanOrEqual(6 * 2 * 50 * 2);
  });

  it('compares a table without a key by whole rows, and says so', async () => {
    await right.sql(`DELETE FROM public.events WHERE ctid IN (SELECT ctid FROM public.events WHERE kind = 'a' LIMIT 1);
                     UPDATE public.events SET payload = NULL WHERE kind = 'c';`);
    const [events] = (await verifyEndpoints({ from: left.url, to: right.url, tables: ['events'] })).tables;
    expect(events).toMatchObject({
      status: 'different',
      sourceRows: 4,
      destinationRows: 3,
      missing: ['a\tx', 'c\t'],
      extra: ['c\t\\N'],
      changed: [],
    });
    expect(events?.notes.join('\n')).toMatch(/whole-row/);
    // A declared key turns the same difference into keys.
    const [keyed] = (
      await verifyEndpoints({ from: left.url, to: right.url, tables: ['events'], primaryKey: ['kind'] })
    ).tables;
    expect(keyed?.notes.join('\n')).toMatch(/declared key \(kind\)/);
    expect(keyed?.changed).toEqual([
      { key: 'a', columns: [] },
      { key: 'c', columns: ['payload'] },
    ]);
  });

  it('reports schema differences first and still compares the common columns', async () => {
    await right.sql(`ALTER TABLE public.shapes DROP COLUMN size; ALTER TABLE public.shapes ADD COLUMN colour text;
                     ALTER TABLE public.shapes ALTER COLUMN name TYPE int USING length(name);
                     UPDATE public.shapes SET colour = 'red';`);
    const [shapes] = (await verifyEndpoints({ from: left.url, to: right.url, tables: ['shapes'] })).tables;
    expect(shapes?.status).toBe('different');
    expect(shapes?.notes.slice(0, 3)).toEqual([
      'column name: string in the source, int32 in the destination (not compared)',
      'column size: only in the source',
      'column colour: only in the destination',
    ]);
    expect(shapes).toMatchObject({
      missing: [],
      extra: [],
      changed: [],
      sourceRows: 10,
      destinationRows: 10,
    });
  });

  it('prints --json in the issue shape and exits 1 on a difference, 0 when identical', async () => {
    const different = await runCli([
      'verify',
      '--from',
      left.url,
      '--to',
      right.url,
      '--tables',
      'items',
      '--json',
    ]);
    expect(different.code).toBe(1);
    const report = JSON.parse(different.stdout) as Record<string, unknown>;
    expect(report).toEqual({
      identical: false,
      tables: [
        {
          table: 'public.items',
          status: 'different',
          sourceRows: ROWS,
          destinationRows: ROWS,
          missing: PLANTED.missing,
          extra: PLANTED.extra,
          changed: PLANTED.changed,
          notes: ['compared by the primary key (id)'],
        },
      ],
    });
    const same = await runCli(['verify', '--from', left.url, '--to', left.url, '--tables', 'items']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/public\.items\s+identical/);
    const usage = await runCli(['verify', '--from', left.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--to is missing/);
  });

  it('fails with an error, never "identical", when an endpoint goes away mid-verify', async () => {
    // A lock parks verify's first query; the test then terminates that backend. The watcher
    // polls outside the locking transaction, whose view of pg_stat_activity would stay frozen.
    const locker = new pg.Client({ ...MACHINE_PG, database: right.name });
    const watcher = new pg.Client({ ...MACHINE_PG, database: 'postgres' });
    locker.on('error', () => undefined);
    await Promise.all([locker.connect(), watcher.connect()]);
    try {
      await locker.query('BEGIN; LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE');
      const run = runCli(['verify', '--from', left.url, '--to', right.url, '--tables', 'items', '--json']);
      let finished = false;
      void run.then(() => (finished = true));
      let terminated = 0;
      while (terminated === 0 && !finished) {
        const { rows } = await watcher.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sluice verify' AND wait_event_type = 'Lock'`,
          [right.name],
        );
        for (const row of rows) {
          await watcher.query('SELECT pg_terminate_backend($1)', [row.pid]);
          terminated++;
        }
      }
      const result = await run;
      expect(terminated).toBeGreaterThan(0);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: verify query on postgres:.* failed: .*terminat/m);
      expect(result.stderr).toMatch(/hint: the connection to .* was lost during verify/);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await Promise.all([locker.end(), watcher.end()]);
    }
  });
});
