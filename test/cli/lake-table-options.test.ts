/**
 * `sluice sync` with the lake table options through the real CLI: a partitioned table merged by
 * key twice from a changing SQLite copy of Chinook (content compared row by row with the source
 * each time), `sluice query --where` over the pruned files, and usage errors for a partition
 * declaration that cannot be read or does not fit its column (exit 2, nothing written).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { CHINOOK_SQLITE } from '../helpers/chinook.js';
import { diffAgainstLake, expectIdentical } from '../helpers/lake-content.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let source: string;
let lake: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-cli-lake-'));
  source = path.join(dir, 'chinook.sqlite');
  lake = path.join(dir, 'lake');
  await copyFile(CHINOOK_SQLITE, source);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sync = (...extra: string[]) =>
  runCli([
    'sync',
    '--from',
    `sqlite:${source}`,
    '--to',
    `lake:${lake}`,
    '--tables',
    'Invoice',
    '--control',
    `sqlite:${dir}/control.db`,
    '--json',
    ...extra,
  ]);

async function expectLakeEqualsSource(): Promise<void> {
  const streams = (await discoverSource(`sqlite:${source}`)).filter((stream) => stream.name === 'Invoice');
  const { DatabaseSync } = nodeSqlite();
  const db = new DatabaseSync(source, { readOnly: true });
  try {
    expectIdentical(
      await diffAgainstLake(lake, streams, async (stream, columns) =>
        sqliteRowHashes(db, { namespace: 'main', name: stream.name }, columns, stream.primaryKey),
      ),
      1,
    );
  } finally {
    db.close();
  }
}

describe('sluice sync --disposition merge --partition-by', () => {
  const options = ['--disposition', 'merge', '--partition-by', 'year(InvoiceDate), bucket(4, CustomerId)'];

  it('creates a partitioned table on the first merge', async () => {
    const result = await sync(...options);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await expectLakeEqualsSource();
  });

  it('merges the source\u2019s changes as an overwrite snapshot', async () => {
    const { DatabaseSync } = nodeSqlite();
    const db = new DatabaseSync(source);
    db.exec('UPDATE Invoice SET Total = Total + 1 WHERE InvoiceId IN (5, 6)');
    db.exec(
      "INSERT INTO Invoice (InvoiceId, CustomerId, InvoiceDate, BillingCountry, Total) VALUES (1000, 1, '2014-01-01 00:00:00', 'Norway', 9.99)",
    );
    db.close();
    const result = await sync(...options);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { streams: { rowsRead: number; rowsWritten: number }[] };
    expect(report.streams[0]).toMatchObject({ rowsRead: 413, rowsWritten: 413 });
    await expectLakeEqualsSource();
    const history = JSON.parse(
      (await runCli(['history', 'main.Invoice', '--lake', lake, '--json'])).stdout,
    ) as {
      operation: string;
    }[];
    expect(history.map((entry) => entry.operation)).toContain('overwrite');
  });

  it('answers a filtered query from the pruned files with the same rows as a WHERE over the table', async () => {
    const filtered = await runCli([
      'query',
      '--lake',
      lake,
      '--json',
      '--where',
      "main.Invoice: InvoiceDate >= '2013-01-01' AND CustomerId = 1",
      'SELECT InvoiceId FROM main.Invoice ORDER BY InvoiceId',
    ]);
    expect(filtered.stderr).toBe('');
    const full = await runCli([
      'query',
      '--lake',
      lake,
      '--json',
      "SELECT InvoiceId FROM main.Invoice WHERE InvoiceDate >= '2013-01-01' AND CustomerId = 1 ORDER BY InvoiceId",
    ]);
    expect(JSON.parse(filtered.stdout)).toEqual(JSON.parse(full.stdout));
    expect((JSON.parse(filtered.stdout) as unknown[]).length).toBeGreaterThan(0);
  });

  it('refuses a partition declaration it cannot read, or that does not fit, with exit 2 and a hint', async () => {
    const unreadable = await sync('--partition-by', 'bucket(16');
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('hint: write fields as identity(col)');
    const misfit = await runCli([
      'sync',
      '--from',
      `sqlite:${source}`,
      '--to',
      `lake:${path.join(dir, 'other-lake')}`,
      '--tables',
      'Invoice',
      '--control',
      `sqlite:${dir}/control.db`,
      '--partition-by',
      'day(BillingCountry)',
    ]);
    expect(misfit.code).toBe(2);
    expect(misfit.stderr).toContain(
      'column "BillingCountry" is string, and day applies to date, timestamp and timestamptz',
    );
  });
});
