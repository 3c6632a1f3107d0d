/**
 * `sluice verify` against the lake, with the lake written by the real `sluice sync`:
 * PostgreSQL ↔ lake (a 200k-row table that forces bisection; a connection cut mid-COPY) and
 * Chinook SQLite ↔ lake (every table, composite keys, SQLite's text timestamps and decimals),
 * identical and with planted differences.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { verifyEndpoints } from '../../src/verify/verify-tables.js';
import { CHINOOK_SQLITE } from '../helpers/chinook.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { runCli, syncAllToLake } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { identicalById, verifyJson } from './verify-cli.js';
import { PLANTED, createItems } from './verify-fixture.js';

const up = await serviceAvailable('PostgreSQL', 5432);
const ROWS = 200_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-verify-lake-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sync(from: string, lake: string): Promise<void> {
  await syncAllToLake(from, lake, `sqlite:${dir}/control.db`);
}

describe.skipIf(!up)('sluice verify: PostgreSQL ↔ lake', () => {
  let db: TestDatabase;
  let lake: string;

  beforeAll(async () => {
    db = await createTestDatabase('verify_lake');
    await createItems(db, ROWS);
    lake = path.join(dir, 'pg-lake');
    await sync(db.url, lake);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reports the synced table as identical (exit 0)', async () => {
    const { code, report } = await verifyJson(db.url, `lake:${lake}`);
    expect(code).toBe(0);
    expect(report).toEqual(identicalById('public.items', ROWS));
  });

  it('finds exactly the rows changed at the source since the sync, in either direction', async () => {
    await db.sql(PLANTED.sql);
    // The changes were made at the source: its new row is missing from the lake, its deleted one extra there.
    const forward = await verifyEndpoints({ from: db.url, to: `lake:${lake}` });
    const [items] = forward.tables;
    expect(items).toMatchObject({
      status: 'different',
      missing: PLANTED.extra,
      extra: PLANTED.missing,
      changed: PLANTED.changed,
    });
    expect(items?.stats?.rowsFetched).toBeLessThanOrEqual(6 * 2 * 1000);
    // The lake as the source: the lake has no key, so PostgreSQL's primary key is used.
    const { code, report } = await verifyJson(`lake:${lake}`, db.url);
    expect(code).toBe(1);
    expect(report.tables[0]).toMatchObject({
      missing: PLANTED.missing,
      extra: PLANTED.extra,
      changed: PLANTED.changed,
    });
  });

  it('fails with an error, never "identical", when the connection is cut during the COPY of a hashing pass', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    try {
      // The table's COPY is ~20 MB; the catalog and sampling queries stay far below the cut.
      proxy.cutAfterBytes({ minBytes: 2 << 20, maxBytes: 10 << 20, times: 1 });
      const result = await runCli([
        'verify',
        '--from',
        `postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`,
        '--to',
        `lake:${lake}`,
        '--json',
      ]);
      expect(proxy.cuts).toBe(1);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: verify query on postgres:.* failed: /m);
      expect(result.stderr).toMatch(
        /^hint: the connection to .* was lost during verify; nothing was concluded/m,
      );
    } finally {
      await proxy.close();
    }
  });
});

describe('sluice verify: Chinook SQLite ↔ lake', () => {
  let lake: string;
  let copy: string;

  beforeAll(async () => {
    lake = path.join(dir, 'chinook-lake');
    await sync(`sqlite:${CHINOOK_SQLITE}`, lake);
    copy = path.join(dir, 'chinook-copy.sqlite');
    copyFileSync(CHINOOK_SQLITE, copy);
  });

  it('reports all 11 tables identical', async () => {
    const { code, report } = await verifyJson(`sqlite:${CHINOOK_SQLITE}`, `lake:${lake}`);
    expect(code).toBe(0);
    expect(report.identical).toBe(true);
    expect(report.tables).toHaveLength(11);
    for (const table of report.tables) {
      expect(table.status, table.table).toBe('identical');
      expect(table.destinationRows, table.table).toBe(table.sourceRows);
    }
  });

  it('finds planted differences, including a microsecond and a last decimal digit', async () => {
    const { DatabaseSync } = nodeSqlite();
    const sqlite = new DatabaseSync(copy);
    sqlite.exec(`
      DELETE FROM PlaylistTrack WHERE PlaylistId = 1 AND TrackId = 2;
      INSERT INTO Genre (GenreId, Name) VALUES (26, 'Verify');
      UPDATE Invoice SET InvoiceDate = '2021-01-01 00:00:00.000001' WHERE InvoiceId = 1;
      UPDATE Invoice SET Total = 3.97 WHERE InvoiceId = 2;
      UPDATE Track SET Composer = '' WHERE TrackId = 63 AND Composer IS NULL;
      UPDATE Track SET Composer = NULL WHERE TrackId = 1;`);
    sqlite.close();
    const { code, report } = await verifyJson(
      `sqlite:${copy}`,
      `lake:${lake}`,
      '--tables',
      'PlaylistTrack,Genre,Invoice,Track,Album',
    );
    expect(code).toBe(1);
    const byTable = Object.fromEntries(report.tables.map((t) => [t.table, t]));
    expect(byTable['main.PlaylistTrack']).toMatchObject({
      status: 'different',
      missing: [],
      extra: [['1', '2']],
      changed: [],
    });
    expect(byTable['main.Genre']).toMatchObject({ missing: ['26'], extra: [], changed: [] });
    expect(byTable['main.Invoice']).toMatchObject({
      changed: [
        { key: '1', columns: ['InvoiceDate'] },
        { key: '2', columns: ['Total'] },
      ],
    });
    expect(byTable['main.Track']).toMatchObject({
      changed: [
        { key: '1', columns: ['Composer'] },
        { key: '63', columns: ['Composer'] },
      ],
    });
    expect(byTable['main.Album']?.status).toBe('identical');
  });

  it('bisects a SQLite table in ranges and still names the rows', async () => {
    const report = await verifyEndpoints({
      from: `sqlite:${copy}`,
      to: `lake:${lake}`,
      tables: ['PlaylistTrack'],
      bisect: { leafRows: 100, fanout: 4, maxTopRanges: 8 },
    });
    const [table] = report.tables;
    expect(table).toMatchObject({ extra: [['1', '2']], missing: [], changed: [] });
    expect(table?.stats?.passes).toBeGreaterThan(2);
    expect(table?.stats?.rowsFetched).toBeLessThanOrEqual(2 * 100 * 2);
  });
});
