/**
 * The foundation's "done when": Chinook from SQLite and from PostgreSQL synced with the real CLI
 * into a lake; `sluice tables` shows all 11 tables with the source's row counts; every row of
 * every table is compared by content hash, computed independently on each side.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { pgRows, tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { CHINOOK_SQLITE, CHINOOK_TABLES, chinookSqliteName, loadChinook } from '../helpers/chinook.js';
import { diffAgainstLake, expectIdentical } from '../helpers/lake-content.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { runCli, syncAllToLake } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-chinook-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Syncs with the CLI and checks `sluice tables --json` against the expected counts. */
async function syncAndList(from: string, lake: string, expected: Record<string, number>): Promise<void> {
  const report = await syncAllToLake(from, lake, `sqlite:${dir}/control.db`);
  expect(report.status).toBe('succeeded');
  expect(report.streams).toHaveLength(11);
  // Every table's content was proved at run time (chunk fingerprints, and the commit read back).
  for (const stream of report.streams)
    expect(stream).toMatchObject({ verification: 'passed', verifiedBy: 'content' });

  const tables = await runCli(['tables', '--lake', lake, '--json']);
  expect(tables.code).toBe(0);
  const listed = JSON.parse(tables.stdout) as { table: string; totalRecords: number; snapshotId: string }[];
  expect(Object.fromEntries(listed.map((t) => [t.table, t.totalRecords]))).toEqual(expected);
  for (const t of listed) expect(t.snapshotId).toMatch(/^\d+$/);
}

describe('Chinook from SQLite into the lake', () => {
  it('syncs all 11 tables with the source counts and identical content', async () => {
    const lake = path.join(dir, 'sqlite-lake');
    const expected = Object.fromEntries(
      Object.entries(CHINOOK_TABLES).map(([snake, t]) => [`main.${chinookSqliteName(snake)}`, t.rows]),
    );
    await syncAndList(`sqlite:${CHINOOK_SQLITE}`, lake, expected);

    const streams = await discoverSource(`sqlite:${CHINOOK_SQLITE}`);
    const { DatabaseSync } = nodeSqlite();
    const source = new DatabaseSync(CHINOOK_SQLITE, { readOnly: true });
    try {
      expectIdentical(
        await diffAgainstLake(lake, streams, async (stream, columns) =>
          sqliteRowHashes(source, { namespace: 'main', name: stream.name }, columns, stream.primaryKey),
        ),
      );
    } finally {
      source.close();
    }
  });

  it('a planted difference is found by the same comparison (the check can fail)', async () => {
    const lake = path.join(dir, 'sqlite-lake');
    const streams = (await discoverSource(`sqlite:${CHINOOK_SQLITE}`)).filter((s) => s.name === 'Genre');
    const { DatabaseSync } = nodeSqlite();
    const copy = new DatabaseSync(':memory:');
    try {
      copy.exec(`ATTACH '${CHINOOK_SQLITE}' AS src; CREATE TABLE main.Genre AS SELECT * FROM src.Genre;`);
      copy.exec(
        `UPDATE Genre SET Name = Name || '!' WHERE GenreId = 3; DELETE FROM Genre WHERE GenreId = 5;`,
      );
      const diffs = await diffAgainstLake(lake, streams, async (stream, columns) =>
        sqliteRowHashes(copy, { namespace: 'main', name: stream.name }, columns, stream.primaryKey),
      );
      expect(diffs.get('main.Genre')).toMatchObject({ missing: [], extra: ['5'], changed: ['3'] });
    } finally {
      copy.close();
    }
  });
});

const pgUp = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!pgUp)('Chinook from PostgreSQL into the lake', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('chinook_cli');
    await loadChinook(db);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('syncs all 11 tables with the source counts and identical content', async () => {
    const lake = path.join(dir, 'pg-lake');
    const url = `${db.url}?schema=public`;
    const expected = Object.fromEntries(
      Object.entries(CHINOOK_TABLES).map(([name, t]) => [`public.${name}`, t.rows]),
    );
    await syncAndList(url, lake, expected);

    const streams = await discoverSource(url);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expectIdentical(
        await diffAgainstLake(lake, streams, (stream, columns) =>
          tableRowHashes(
            'postgres',
            pgRows(client),
            { namespace: 'public', name: stream.name },
            columns,
            stream.primaryKey,
          ),
        ),
      );
    } finally {
      await client.end();
    }
  });
});
