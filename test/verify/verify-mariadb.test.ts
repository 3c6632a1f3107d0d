/**
 * `sluice verify` between MariaDB and the lake the real `sluice sync` wrote from it: a table
 * with a column of every MySQL type family is identical right after the sync; planted changes
 * (a microsecond, a decimal's last digit, '' for NULL, tinyint(1) and bit values, the top of
 * bigint unsigned, an inserted and a deleted row) are found exactly, in both directions and
 * through several bisection levels; a connection cut mid-verify is an error, never "identical".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEndpoints } from '../../src/verify/verify-tables.js';
import { createTestMariaDb, type TestMariaDb } from '../helpers/mariadb.js';
import { runCli, syncAllToLake } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { MARIADB_PLANTED, createEveryType } from './mariadb-fixture.js';
import { identicalById, verifyJson } from './verify-cli.js';

const up = await serviceAvailable('MariaDB', 3306);
const ROWS = 3000;

describe.skipIf(!up)('sluice verify: MariaDB ↔ lake', () => {
  let db: TestMariaDb;
  let dir: string;
  let lake: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-verify-mariadb-'));
    db = await createTestMariaDb('verify_mariadb');
    await createEveryType(db, ROWS);
    lake = `lake:${path.join(dir, 'lake')}`;
    await syncAllToLake(db.url, path.join(dir, 'lake'), `sqlite:${path.join(dir, 'control.db')}`);
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the synced table identical, every column compared (exit 0)', async () => {
    const { code, report } = await verifyJson(db.url, lake);
    expect(code).toBe(0);
    // No schema note: all 25 columns paired and hashed.
    expect(report).toEqual(identicalById(`${db.name}.every_type`, ROWS));
  });

  it('finds exactly the planted differences, in either direction', async () => {
    await db.sql(MARIADB_PLANTED.sql);
    const forward = await verifyJson(`mariadb://root@127.0.0.1:3306/${db.name}`, lake);
    expect(forward.code).toBe(1);
    expect(forward.report.tables).toEqual([
      expect.objectContaining({
        status: 'different',
        sourceRows: ROWS,
        destinationRows: ROWS,
        missing: MARIADB_PLANTED.missing,
        extra: MARIADB_PLANTED.extra,
        changed: MARIADB_PLANTED.changed,
      }),
    ]);
    // The lake as the source: it has no key, so MariaDB's primary key is used.
    const backward = await verifyJson(lake, db.url);
    expect(backward.code).toBe(1);
    expect(backward.report.tables[0]).toMatchObject({
      missing: MARIADB_PLANTED.extra,
      extra: MARIADB_PLANTED.missing,
      changed: MARIADB_PLANTED.changed,
    });
  });

  it('bisects over several levels and still names exactly those rows', async () => {
    const report = await verifyEndpoints({
      from: db.url,
      to: lake,
      bisect: { leafRows: 20, fanout: 4, maxTopRanges: 8 },
    });
    const [table] = report.tables;
    expect(table).toMatchObject({
      missing: MARIADB_PLANTED.missing,
      extra: MARIADB_PLANTED.extra,
      changed: MARIADB_PLANTED.changed,
    });
    expect(table?.stats?.passes).toBeGreaterThan(2);
    expect(table?.stats?.rowsFetched).toBeLessThanOrEqual(8 * 2 * 20 * 2);
  });

  it('fails with an error, never "identical", when the MariaDB connection is cut mid-verify', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
    try {
      // The table's rows are ~1 MB on the wire; catalog queries and the handshake stay far below the cut.
      proxy.cutAfterBytes({ minBytes: 100_000, maxBytes: 400_000, times: 1 });
      const result = await runCli([
        'verify',
        '--from',
        `mysql://root@127.0.0.1:${proxy.port}/${db.name}`,
        '--to',
        lake,
        '--json',
      ]);
      expect(proxy.cuts).toBe(1);
      expect([1, 2]).toContain(result.code);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^error: verify could not read .*every_type.*(ECONNRESET|Connection lost)/m,
      );
      expect(result.stderr).toMatch(/^hint: .*nothing was concluded/m);
      expect(result.stderr).not.toMatch(/identical/);
    } finally {
      await proxy.close();
    }
  });
});
