/**
 * A PostgreSQL table with a column of every canonical type and rows full of edge cases (NULL vs
 * empty string, escapes, unicode, int64 extremes, 38-digit decimals, NaN and ±Infinity floats,
 * -0, timestamps before 1970 and with offsets, binary that is not UTF-8), synced with
 * the library into PostgreSQL and into a DuckDB file, then fingerprinted on both sides.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { runSync } from '../../src/sync/run-sync.js';
import { pgRows, tableFingerprint, tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { ALL_TYPES_COLUMNS, ALL_TYPES_DDL, ALL_TYPES_ROWS } from '../verify/all-types-fixture.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);
const TABLE = { namespace: 'public', name: 'all_types' };

describe.skipIf(!pgUp)('every canonical type into PostgreSQL and DuckDB', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-all-types-'));
    [source, target] = await Promise.all([
      createTestDatabase('all_types_src'),
      createTestDatabase('all_types_dest'),
    ]);
    await source.sql(ALL_TYPES_DDL + ALL_TYPES_ROWS);
    // Infinite dates and timestamps and the time 24:00 have no canonical form (the source refuses
    // them); NaN, ±Infinity and -0 floats stay.
    await source.sql(`
      UPDATE public.all_types SET day = NULL, local_ts = NULL, instant = NULL WHERE id >= 100;
      UPDATE public.all_types SET at_time = NULL WHERE at_time = '24:00:00';`);
  });
  afterAll(async () => {
    await Promise.all([source?.drop(), target?.drop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function withPg<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await action(client);
    } finally {
      await client.end();
    }
  }

  const sourceRows = () =>
    withPg(source.url, (client) =>
      tableRowHashes('postgres', pgRows(client), TABLE, ALL_TYPES_COLUMNS, ['id']),
    );

  it.each(['replace', 'merge'] as const)(
    '%s keeps every value (PostgreSQL and DuckDB)',
    async (disposition) => {
      const file = path.join(dir, 'all-types.duckdb');
      for (const to of [target.url, `duckdb:${file}`]) {
        const report = await runSync({
          from: `${source.url}?schema=public`,
          to,
          tables: ['all_types'],
          disposition,
          control: `sqlite:${dir}/control.db`,
        });
        expect(report.streams.map((stream) => [stream.status, stream.error])).toEqual([
          ['succeeded', undefined],
        ]);
      }
      const expected = await sourceRows();
      expect(expected).toHaveLength(12);
      const inPostgres = await withPg(target.url, async (client) => {
        const run = pgRows(client);
        const print = await tableFingerprint('postgres', run, TABLE, ALL_TYPES_COLUMNS);
        return { print, rows: await tableRowHashes('postgres', run, TABLE, ALL_TYPES_COLUMNS, ['id']) };
      });
      const db = await openDuckDB({ path: file });
      const inDuckdb = await (async () => {
        try {
          const run = (sql: string) => db.queryObjects(sql);
          const print = await tableFingerprint('duckdb', run, TABLE, ALL_TYPES_COLUMNS);
          return { print, rows: await tableRowHashes('duckdb', run, TABLE, ALL_TYPES_COLUMNS, ['id']) };
        } finally {
          db.close();
        }
      })();
      const empty = { missing: [], extra: [], changed: [] };
      expect(diffRowHashes(expected, inPostgres.rows)).toEqual(empty);
      expect(diffRowHashes(expected, inDuckdb.rows)).toEqual(empty);
      const sourcePrint = await withPg(source.url, (client) =>
        tableFingerprint('postgres', pgRows(client), TABLE, ALL_TYPES_COLUMNS),
      );
      expect(inPostgres.print).toEqual(sourcePrint);
      expect(inDuckdb.print).toEqual(sourcePrint);
    },
  );
});
