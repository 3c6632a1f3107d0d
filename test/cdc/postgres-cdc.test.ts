/**
 * PostgreSQL change data capture end to end, through the CLI, against an embedded PostgreSQL
 * with wal_level=logical: every check compares the lake with the source row by row.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import { IDENTICAL, diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import { runCli } from '../helpers/run-cli.js';
import { ITEM_CHANGES, cdcSync, okReport, scratchLake, sql, startSluice } from './pg-cdc-helpers.js';

let server: EmbeddedPostgresServer;
let url: string;

beforeAll(async () => {
  server = await startEmbeddedPostgres({
    logical: true,
    databases: ['cdc_basic', 'cdc_toast', 'cdc_ddl', 'cdc_slot', 'cdc_ident', 'cdc_idle', 'cdc_project'],
  });
  url = server.url('cdc_basic');
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('sluice sync --mode cdc (PostgreSQL)', () => {
  it('snapshots, then applies inserts, updates, deletes and truncates', async () => {
    const target = scratchLake('cdc-basic');
    // Session defaults that would change the text of values: the capture must not inherit them.
    await sql(
      url,
      "ALTER DATABASE cdc_basic SET timezone = 'America/New_York'",
      "ALTER DATABASE cdc_basic SET DateStyle = 'SQL, DMY'",
      'ALTER DATABASE cdc_basic SET extra_float_digits = 0',
      "ALTER DATABASE cdc_basic SET bytea_output = 'escape'",
    );
    await sql(
      url,
      'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz, ' +
        'price_cents bigint GENERATED ALWAYS AS ((price * 100)::bigint) STORED)',
      'CREATE TABLE readings (day date, sensor int, value float8, PRIMARY KEY (day, sensor)) PARTITION BY RANGE (day)',
      "CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
      "CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
      "INSERT INTO readings SELECT '2024-06-01'::date + g, 1, g / 3.0 FROM generate_series(1, 300) g",
      "INSERT INTO items SELECT g, 'item ' || g, g * 1.5, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g",
    );
    const first = okReport(await cdcSync(url, target));
    expect(first.cdc.snapshotted).toEqual(['public.items', 'public.readings']);
    expect(first.cdc.snapshotRows).toBe(800);
    expect(await diffPostgresTable(url, target.lake, 'items')).toMatchObject(IDENTICAL);

    await sql(
      url,
      ...ITEM_CHANGES,
      // Changes of a partitioned table arrive under its own name, across partitions.
      "UPDATE readings SET day = day + 400, value = -value WHERE sensor = 1 AND day < '2024-06-11'",
    );
    const second = okReport(await cdcSync(url, target));
    expect(second.cdc.snapshotted).toEqual([]);
    expect(second.cdc.caughtUp).toBe(true);
    expect(second.cdc.latencyP99Ms).toEqual(expect.any(Number));
    expect(second.cdc.sourceLagBytes).toEqual(expect.any(Number));
    // 9 readings (2024-06-02 … 06-10) move to the 2025 partition: each a delete and an insert.
    expect(second.cdc.changes).toBe(1 + 10 + 10 + 2 + 2 + 2 * 9);
    // Each batch's merge was checked at run time: row counts, chunk fingerprints, the merge's rows.
    expect(second.verification).toBe('passed');
    for (const stream of second.streams)
      expect(stream).toMatchObject({ verification: 'passed', verifiedBy: 'content' });
    expect(await diffPostgresTable(url, target.lake, 'items')).toMatchObject(IDENTICAL);
    expect(await diffPostgresTable(url, target.lake, 'readings')).toMatchObject(IDENTICAL);

    await sql(
      url,
      "BEGIN; INSERT INTO items VALUES (600, 'before truncate', 1, now()); TRUNCATE items; INSERT INTO items VALUES (601, 'after truncate', 1, now()); COMMIT",
      "INSERT INTO items VALUES (602, 'later', 3, now())",
    );
    // Batches end at the first transaction boundary past --batch-rows: one per transaction here.
    const third = okReport(await cdcSync(url, target, ['--batch-rows', '1']));
    expect(third.cdc.transactions).toBe(2);
    expect(third.cdc.batches).toBeGreaterThanOrEqual(2);
    const diff = await diffPostgresTable(url, target.lake, 'items');
    expect(diff).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(2);
  }, 120_000);

  it('fills unchanged TOAST values from REPLICA IDENTITY FULL, and fails loudly without it', async () => {
    const db = server.url('cdc_toast');
    const target = scratchLake('cdc-toast');
    // md5 text does not compress, so 40 kB of it is stored out of line (TOASTed).
    const big = "(SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 1250) g)";
    await sql(
      db,
      'CREATE TABLE docs (id int PRIMARY KEY, body text, n int)',
      `INSERT INTO docs SELECT i, ${big}, 0 FROM generate_series(1, 5) i`,
    );
    okReport(await cdcSync(db, target));
    await sql(db, 'UPDATE docs SET n = 1 WHERE id = 1');
    const failed = await cdcSync(db, target);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('unchanged');
    expect(failed.stderr).toContain('REPLICA IDENTITY FULL');
    // Nothing of the failed batch reached the lake: the row still has its old n.
    expect(await diffPostgresTable(db, target.lake, 'docs')).toMatchObject({ changed: [expect.anything()] });

    await sql(db, 'ALTER TABLE docs REPLICA IDENTITY FULL');
    okReport(await cdcSync(db, target, ['--resnapshot']));
    await sql(
      db,
      'UPDATE docs SET n = 2 WHERE id <= 3',
      'UPDATE docs SET n = 3 WHERE id = 2',
      'DELETE FROM docs WHERE id = 5',
    );
    const report = okReport(await cdcSync(db, target));
    expect(report.cdc.changes).toBe(5);
    expect(await diffPostgresTable(db, target.lake, 'docs')).toMatchObject(IDENTICAL);
  }, 120_000);

  it('picks up ADD COLUMN from relation messages', async () => {
    const db = server.url('cdc_ddl');
    const target = scratchLake('cdc-ddl');
    await sql(
      db,
      'CREATE TABLE people (id int PRIMARY KEY, name text)',
      "INSERT INTO people SELECT g, 'p' || g FROM generate_series(1, 50) g",
    );
    okReport(await cdcSync(db, target));
    await sql(
      db,
      "INSERT INTO people VALUES (51, 'before')",
      'ALTER TABLE people ADD COLUMN score numeric(8,3), ADD COLUMN born date',
      "INSERT INTO people VALUES (52, 'after', 1.5, '1990-05-06')",
      'UPDATE people SET score = id / 7.0 WHERE id <= 10',
      "BEGIN; UPDATE people SET name = 'same txn' WHERE id = 11; ALTER TABLE people ADD COLUMN tag text; UPDATE people SET tag = 'x' WHERE id = 12; COMMIT",
    );
    okReport(await cdcSync(db, target));
    const diff = await diffPostgresTable(db, target.lake, 'people');
    expect(diff).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(52);

    // A DEFAULT fills the existing rows without logging them: refused, never left NULL.
    await sql(
      db,
      'ALTER TABLE people ADD COLUMN active boolean DEFAULT true',
      "INSERT INTO people (id, name) VALUES (53, 'x')",
    );
    const refused = await cdcSync(db, target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('column active was added with a default');
    expect(refused.stderr).toContain('--resnapshot --tables public.people');
    okReport(await cdcSync(db, target, ['--resnapshot'], ['people']));
    await sql(db, 'UPDATE people SET active = false WHERE id < 5');
    okReport(await cdcSync(db, target));
    expect(await diffPostgresTable(db, target.lake, 'people')).toMatchObject(IDENTICAL);

    await sql(
      db,
      'ALTER TABLE people ALTER COLUMN score TYPE text',
      "UPDATE people SET score = 'n/a' WHERE id = 1",
    );
    const retyped = await cdcSync(db, target);
    expect(retyped.code).toBe(1);
    // The lake refuses the change of type (decimal → string) under every schema policy.
    expect(retyped.stderr).toMatch(/cannot write public\.people: .*score/);
  }, 120_000);

  it('shows slot status, drops it, and refuses to continue without a re-snapshot', async () => {
    const db = server.url('cdc_slot');
    const target = scratchLake('cdc-slot');
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY, v text)', "INSERT INTO t VALUES (1, 'a')");
    const synced = okReport(await cdcSync(db, target));
    const status = okReport<{
      health: string;
      name: string;
      confirmed: { lsn: string } | null;
      lagBytes: number;
    }>(await runCli(['cdc', 'status', '--from', db, '--json']));
    expect(status.health).toBe('ok');
    expect(status.name).toBe('sluice_cdc_slot_public');
    // The slot is confirmed exactly as far as the lake holds (only after the commit).
    expect(status.confirmed).toEqual(synced.cdc.position);
    expect(typeof status.lagBytes).toBe('number');

    const dropped = okReport<{ existed: boolean }>(await runCli(['cdc', 'drop', '--from', db, '--json']));
    expect(dropped.existed).toBe(true);
    const gone = await server.query(
      "SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = 'sluice_cdc_slot_public'",
    );
    expect(gone.rows[0]).toEqual({ n: 0 });
    await sql(db, "INSERT INTO t VALUES (2, 'b')");
    const refused = await cdcSync(db, target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gone (dropped?)');
    expect(refused.stderr).toContain('--resnapshot');
    okReport(await cdcSync(db, target, ['--resnapshot']));
    expect(await diffPostgresTable(db, target.lake, 't')).toMatchObject(IDENTICAL);
  }, 120_000);

  it('refuses a table without replica identity and a server without wal_level=logical', async () => {
    const db = server.url('cdc_ident');
    await sql(db, 'CREATE TABLE nokey (a int, b text)');
    const refused = await cdcSync(db, scratchLake('cdc-ident'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('"public"."nokey" has no replica identity');
    expect(refused.stderr).toContain('REPLICA IDENTITY FULL');

    // A server with wal_level=replica (the embedded one, restarted, would need minutes; this one is at hand).
    const replica = await startEmbeddedPostgres({ logical: false, databases: ['plain'] });
    try {
      await sql(replica.url('plain'), 'CREATE TABLE t (id int PRIMARY KEY)');
      const noLogical = await cdcSync(replica.url('plain'), scratchLake('cdc-wal'));
      expect(noLogical.code).toBe(1);
      expect(noLogical.stderr).toContain('wal_level = minimal');
      expect(noLogical.stderr).toContain('wal_level = logical');
    } finally {
      await replica.stop();
    }
  }, 120_000);

  it('keeps the slot moving with heartbeats while its tables are idle, and stops on SIGTERM', async () => {
    const db = server.url('cdc_idle');
    const target = scratchLake('cdc-idle');
    await sql(
      db,
      'CREATE TABLE quiet (id int PRIMARY KEY)',
      'CREATE TABLE noisy (id int, pad text)',
      'INSERT INTO quiet VALUES (1)',
    );
    okReport(await cdcSync(db, target, [], ['quiet']));
    const running = startSluice(db, target, ['--tables', 'quiet']);
    try {
      // WAL that the slot's tables have nothing to do with: without heartbeats the slot pins it.
      await sql(db, "INSERT INTO noisy SELECT g, repeat('x', 200) FROM generate_series(1, 50000) g");
      const written = await server.query('SELECT pg_current_wal_lsn()::text AS lsn', 'cdc_idle');
      const lsn = String(written.rows[0].lsn);
      let caughtUp = false;
      for (let i = 0; i < 60 && !caughtUp; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const slot = await server.query(
          `SELECT confirmed_flush_lsn >= '${lsn}'::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = 'sluice_cdc_idle_public'`,
        );
        caughtUp = slot.rows[0]?.ok === true;
      }
      expect(caughtUp).toBe(true);
    } finally {
      running.child.kill('SIGTERM');
    }
    expect(await running.exited).toBe(0);
  }, 120_000);

  it('runs a cdc sync from a project file, with per-table settings, and refuses mixed modes', async () => {
    const db = server.url('cdc_project');
    await sql(
      db,
      'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)',
      "INSERT INTO items SELECT g, 'item ' || g, g * 1.5, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g",
      'CREATE TABLE notes (id int PRIMARY KEY, body text)',
      "INSERT INTO notes VALUES (1, 'one'), (2, 'two')",
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdc-project-'));
    const write = (mode: string) =>
      writeFileSync(
        path.join(dir, 'sluice.yml'),
        [
          'version: 1',
          'connections:',
          `  shop: { url: "${db}?schema=public" }`,
          '  lake: { url: "lake:./lake" }',
          'syncs:',
          '  - from: shop',
          '    to: lake',
          '    tables: all',
          '    mode: cdc',
          '    streams:',
          '      items:',
          `        mode: ${mode}`,
          '        partitionBy: "bucket(4, id)"',
          '',
        ].join('\n'),
      );
    write('cdc');
    const first = okReport(await runCli(['sync', '--until-caught-up', '--json'], { cwd: dir }));
    expect(first.cdc.snapshotted).toEqual(['public.items', 'public.notes']);
    await sql(db, ...ITEM_CHANGES, "UPDATE notes SET body = 'TWO' WHERE id = 2");
    const second = okReport(await runCli(['sync', '--until-caught-up', '--json'], { cwd: dir }));
    expect(second.cdc.changes).toBe(25 + 1);
    for (const stream of second.streams)
      expect(stream).toMatchObject({ verification: 'passed', verifiedBy: 'content' });
    const lake = path.join(dir, 'lake');
    expect(await diffPostgresTable(db, lake, 'items')).toMatchObject(IDENTICAL);
    expect(await diffPostgresTable(db, lake, 'notes')).toMatchObject(IDENTICAL);
    // The table's own setting applied: items is bucketed, notes is not.
    const catalog = LakeCatalog.open(lake);
    const spec = async (name: string) => {
      const { metadata } = await catalog.loadTable({ namespace: 'public', name });
      return metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id'])?.fields;
    };
    expect(await spec('items')).toEqual([expect.objectContaining({ transform: 'bucket[4]' })]);
    expect(await spec('notes')).toEqual([]);

    // A table that asks for another mode inside a cdc sync is a configuration error.
    write('full');
    const mixed = await runCli(['sync', '--until-caught-up'], { cwd: dir });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('table items has mode full, the sync cdc');
  });
});
