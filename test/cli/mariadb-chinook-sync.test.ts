/**
 * Chinook's MySQL edition, loaded into the machine's MariaDB, synced with the real CLI into a
 * lake: `sluice tables` shows all 11 tables with the source's row counts, and every row of every
 * table is compared by content hash with the MariaDB source (read without Sluice's reader) and
 * with the SQLite edition, whose data is the same.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { CHINOOK_SQLITE, CHINOOK_TABLES, chinookSqliteName, loadChinookMariaDb } from '../helpers/chinook.js';
import { diffAgainstLake } from '../helpers/lake-content.js';
import { createTestMariaDb } from '../helpers/mariadb.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { mariadbRowHashes } from '../helpers/mariadb-row-hashes.js';
import { runCli, syncAllToLake } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('MariaDB', 3306);

function expectIdentical(diffs: Awaited<ReturnType<typeof diffAgainstLake>>): void {
  expect(diffs.size).toBe(11);
  for (const [table, diff] of diffs) {
    expect({ table, missing: diff.missing, extra: diff.extra, changed: diff.changed }).toEqual({
      table,
      missing: [],
      extra: [],
      changed: [],
    });
    expect(diff.lakeRows, table).toBe(diff.sourceRows);
    expect(diff.sourceRows, table).toBeGreaterThan(0);
  }
}

describe.skipIf(!up)('Chinook from MariaDB into the lake', () => {
  let db: TestMariaDb;
  let dir: string;
  let lake: string;
  let streams: StreamSchema[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-mariadb-chinook-'));
    lake = path.join(dir, 'lake');
    db = await createTestMariaDb('chinook_cli');
    await loadChinookMariaDb(db);
    const connector = connectorForUrl(db.url);
    streams = await connector.discover();
    await connector.close();
  });

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('syncs all 11 tables through the CLI with the source counts', async () => {
    const report = await syncAllToLake(
      `mariadb://root@127.0.0.1:3306/${db.name}`,
      lake,
      `sqlite:${dir}/control.db`,
    );
    expect(report.status).toBe('succeeded');
    expect(report.streams).toHaveLength(11);

    const tables = await runCli(['tables', '--lake', lake, '--json']);
    expect(tables.code).toBe(0);
    const listed = JSON.parse(tables.stdout) as { table: string; totalRecords: number }[];
    const expected = Object.fromEntries(
      Object.entries(CHINOOK_TABLES).map(([snake, t]) => [`${db.name}.${chinookSqliteName(snake)}`, t.rows]),
    );
    expect(Object.fromEntries(listed.map((t) => [t.table, t.totalRecords]))).toEqual(expected);
  });

  it('the lake holds exactly the MariaDB source rows, row by row', async () => {
    expectIdentical(
      await diffAgainstLake(lake, streams, (stream, columns) =>
        mariadbRowHashes(db, stream.name, columns, stream.primaryKey),
      ),
    );
  });

  it('the lake holds exactly the rows of the SQLite edition too (the editions agree on every table)', async () => {
    const source = new (nodeSqlite().DatabaseSync)(CHINOOK_SQLITE, { readOnly: true });
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
});
