/**
 * `sluice sync --mode cdc` from MariaDB into a lake through the real CLI: the initial snapshot
 * and the streamed changes of every type land in the lake equal to the source row by row
 * (\`sluice verify\`'s engine for every type, and mysql2-parsed row hashes where that helper knows the
 * types), a second run resumes from the position committed with
 * the data, a purged binlog stops the run with the re-snapshot hint, and `--resnapshot` recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEndpoints } from '../../src/verify/verify-tables.js';
import { IDENTICAL } from '../helpers/postgres-lake-diff.js';
import { runCli } from '../helpers/run-cli.js';
import { diffMariadbTable } from '../helpers/mariadb-lake-diff.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { mariadbServerInstalled, startPrivateMariaDb } from '../helpers/private-mariadb.js';
import type { PrivateMariaDbServer } from '../helpers/private-mariadb.js';
import { IN_CI } from '../helpers/services.js';
import { cdcSync, okReport, scratchLake } from './pg-cdc-helpers.js';

const installed = mariadbServerInstalled();
if (!installed && IN_CI) throw new Error('the MariaDB server binaries are not installed (CI=true)');
if (!installed)
  console.warn('\n!!! SKIPPING MySQL CDC CLI tests: the MariaDB server binaries are not installed\n');

/** Columns of every kind the lake carries from MariaDB (geometry is refused by CDC). */
const ALL_TYPES = `id int PRIMARY KEY, b tinyint(1), u int unsigned, big bigint unsigned, d decimal(38,10),
  wide decimal(65,30), f float, g double, bits bit(10), y year, day date, dt datetime(6),
  ts timestamp(3) NULL, t time(6), e enum('a','b,c',''), s set('x','y'), j json, c char(5),
  v varchar(40), tx text, bl blob, bin binary(3), uid uuid, ip inet6`;

function row(i: number): string {
  return `(${i}, ${(i % 3) - 1}, ${4294967295 - i}, ${18446744073709551615n - BigInt(i)}, ${i}.5,
    -${i}.000000000000000000000000000001, ${i / 10}, ${i / 3}, b'${(i % 1024).toString(2)}', ${1901 + (i % 200)},
    '2024-02-${String(1 + (i % 28)).padStart(2, '0')}', '2024-01-02 03:04:05.${i}', '2024-06-01 12:00:00.${i % 1000}',
    '-${i % 800}:00:00.5', '${['a', 'b,c', ''][i % 3]}', '${['x', 'y', 'x,y', ''][i % 4]}', '{"i": ${i}, "s": "a,\\\\"b"}',
    'c${i % 10}', 'line ${i}\\nnext "q", comma', REPEAT('t', ${i % 50}), x'00${(i % 256).toString(16).padStart(2, '0')}ff',
    'b${i % 10}', UUID(), '::${(i % 65535).toString(16)}')`;
}

/** Both tables equal in the lake, every column of every row. */
async function expectLakeEqualsSource(db: TestMariaDb, lake: string): Promise<void> {
  const report = await verifyEndpoints({ from: db.url, to: `lake:${lake}`, tables: ['everything', 'small'] });
  if (!report.identical) console.log(JSON.stringify(report.tables, null, 1).slice(0, 3000));
  expect(report.tables.map((t) => [t.table, t.status, t.sourceRows === t.destinationRows])).toEqual([
    [`${db.name}.everything`, 'identical', true],
    [`${db.name}.small`, 'identical', true],
  ]);
  const small = await diffMariadbTable(db, lake, 'small');
  expect(small).toMatchObject(IDENTICAL);
  expect(small.lakeRows).toBe(small.sourceRows);
}

describe.skipIf(!installed)('sluice sync --mode cdc from MariaDB', () => {
  let server: PrivateMariaDbServer;
  let db: TestMariaDb;

  beforeAll(async () => {
    server = await startPrivateMariaDb();
    db = await server.createDatabase('cdc_cli');
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('snapshots, then streams inserts, updates, deletes and a TRUNCATE of every type into the lake', async () => {
    const target = scratchLake('mysql-cdc-cli');
    await db.sql(`CREATE TABLE everything (${ALL_TYPES}); CREATE TABLE small (id int PRIMARY KEY, v text)`);
    await db.sql(
      `INSERT INTO everything VALUES ${Array.from({ length: 300 }, (_, i) => row(i + 1)).join(',')}`,
    );
    await db.sql("INSERT INTO small VALUES (1, 'one'), (2, 'two')");

    const first = okReport(await cdcSync(db.url, target));
    expect(first.cdc.snapshotted.sort()).toEqual([`${db.name}.everything`, `${db.name}.small`]);
    expect(first.cdc.snapshotRows).toBe(302);
    expect(first.cdc.caughtUp).toBe(true);
    await expectLakeEqualsSource(db, target.lake);

    await db.sql(
      `INSERT INTO everything VALUES ${Array.from({ length: 200 }, (_, i) => row(i + 1001)).join(',')};
       UPDATE everything SET v = CONCAT(v, ' updated'), f = f * 2, j = JSON_SET(j, '$.u', 1) WHERE id % 3 = 0;
       DELETE FROM everything WHERE id % 5 = 0;
       START TRANSACTION; DELETE FROM everything; ROLLBACK;
       INSERT INTO small VALUES (3, 'three'); TRUNCATE TABLE small; INSERT INTO small VALUES (4, 'four');
       ALTER TABLE small ADD COLUMN extra decimal(10,2); INSERT INTO small VALUES (5, 'five', 5.5);
       UPDATE small SET extra = 4.25 WHERE id = 4;`,
    );
    const second = okReport(await cdcSync(db.url, target, ['--batch-rows', '100']));
    expect(second.cdc.snapshotted).toEqual([]);
    expect(second.cdc.changes).toBeGreaterThan(300);
    expect(second.cdc.batches).toBeGreaterThan(1);
    expect(second.cdc.caughtUp).toBe(true);
    await expectLakeEqualsSource(db, target.lake);
    const [{ n }] = (await db.rows('SELECT COUNT(*) AS n FROM everything')) as [{ n: string }];
    expect(Number(n)).toBe(400);

    // Nothing new: the run applies nothing and stays caught up at the same position.
    const idle = okReport(await cdcSync(db.url, target));
    expect(idle.cdc.changes).toBe(0);
    expect(idle.cdc.caughtUp).toBe(true);

    // `sluice cdc status` shows the server's binlog position and settings.
    const status = okReport<{
      source: string;
      health: string;
      current: { file: string; pos: number };
      details: Record<string, unknown>;
    }>(await runCli(['cdc', 'status', '--from', db.url, '--json']));
    expect(status).toMatchObject({
      source: 'mysql',
      name: 'binlog',
      health: 'ok',
      details: { binlog_format: 'ROW' },
    });
    const [master] = (await server.adminSql('SHOW MASTER STATUS')) as [{ File: string; Position: string }[]];
    expect(status.current).toEqual({ file: master[0]?.File, pos: Number(master[0]?.Position) });
    // `sluice cdc drop` has nothing to remove on a MySQL server, and says so.
    const dropped = await runCli(['cdc', 'drop', '--from', db.url]);
    expect(dropped.code).toBe(0);
    expect(dropped.stderr + dropped.stdout).toContain('mysql change capture keeps nothing on the server');
  });

  it('stops with the re-snapshot hint when the binlog was purged, and --resnapshot recovers', async () => {
    const target = scratchLake('mysql-cdc-purged');
    await db.sql('CREATE TABLE kept (id int PRIMARY KEY, v int); INSERT INTO kept VALUES (1, 1)');
    okReport(await cdcSync(db.url, target, [], ['kept']));
    await db.sql('INSERT INTO kept VALUES (2, 2)');
    await server.adminSql('FLUSH BINARY LOGS');
    const [status] = (await server.adminSql('SHOW MASTER STATUS')) as [{ File: string }[]];
    const current = status[0]?.File ?? '';
    for (let attempt = 0; attempt < 100; attempt++) {
      await server.adminSql(`PURGE BINARY LOGS TO '${current}'`);
      const [logs] = (await server.adminSql('SHOW BINARY LOGS')) as [{ Log_name: string }[]];
      if (logs.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lost = await cdcSync(db.url, target, [], ['kept']);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain('--resnapshot');
    expect(lost.stderr).toMatch(/binlog from the committed position .* is gone/);

    okReport(await cdcSync(db.url, target, ['--resnapshot'], ['kept']));
    expect(await diffMariadbTable(db, target.lake, 'kept')).toMatchObject(IDENTICAL);
  });
});
