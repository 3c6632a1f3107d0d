/**
 * Incremental syncs of a file source into the lake: each new or changed file is loaded once,
 * tracked by the position committed with the data; quarantined rows land in the table's
 * `__quarantine` table; the lake's content is compared row by row with what the files hold.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamSchema } from '../../src/core/stream.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { expectedRowHashes } from '../helpers/expected-row-hashes.js';
import { diffAgainstLake } from '../helpers/lake-content.js';

let dir: string;
let lake: string;
let source: string;
const at = (name: string) => path.join(dir, 'in', name);

/** Writes a CSV file and sets its modification time (seconds since the epoch). */
async function csv(name: string, text: string, mtime: number): Promise<void> {
  await writeFile(at(name), text);
  await utimes(at(name), mtime, mtime);
}

const sync = (mode: 'incremental' | 'full' = 'incremental'): Promise<SyncReport> =>
  runSync({ from: source, to: `lake:${lake}`, tables: 'all', mode, retry: { attempts: 1 } });

/** Asserts the lake table holds exactly `rows` (canonical text of id, name), compared by row hash. */
async function expectLakeRows(rows: string[][]): Promise<void> {
  const [schema] = await discoverSource(source);
  const stream: StreamSchema = { ...schema!, primaryKey: ['id'] };
  const diffs = await diffAgainstLake(lake, [stream], async (s, columns) =>
    expectedRowHashes(columns, rows, s.primaryKey),
  );
  const diff = diffs.get('files.orders');
  expect(diff).toMatchObject({ missing: [], extra: [], changed: [], lakeRows: rows.length });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-incr-'));
  lake = path.join(dir, 'lake');
  await mkdir(path.join(dir, 'in'));
  source = `file:${dir}/in/*.csv?table=orders`;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('incremental file syncs into the lake', () => {
  const a = [
    ['1', 'apple'],
    ['2', 'pear'],
  ];
  const b1 = [['3', 'plum']];
  const b2 = [
    ['30', 'plum (corrected)'],
    ['31', 'fig'],
  ];
  const c = [['4', 'kiwi']];

  it('loads two files, then only the added and the changed one, then nothing', async () => {
    await csv('a.csv', 'id,name\n1,apple\n2,pear\n', 1_700_000_000);
    await csv('b.csv', 'id,name\n3,plum\n', 1_700_000_100);
    const first = await sync();
    expect(first.status).toBe('succeeded');
    expect(first.streams[0]).toMatchObject({ stream: 'files.orders', rowsWritten: 3, rowsQuarantined: 0 });
    await expectLakeRows([...a, ...b1]);

    await csv('b.csv', 'id,name\n30,plum (corrected)\n31,fig\n', 1_700_000_200);
    await csv('c.csv', 'id,name\n4,kiwi\n5,too,many\n', 1_700_000_300);
    const second = await sync();
    expect(second.streams[0]).toMatchObject({ status: 'succeeded', rowsWritten: 3, rowsQuarantined: 1 });
    // Append: the changed file's earlier rows stay, its new version is added once.
    await expectLakeRows([...a, ...b1, ...b2, ...c]);

    const third = await sync();
    expect(third.streams[0]).toMatchObject({ status: 'succeeded', rowsWritten: 0, rowsQuarantined: 0 });
    await expectLakeRows([...a, ...b1, ...b2, ...c]);

    const history = await LakeCatalog.open(lake).history({ namespace: 'files', name: 'orders' });
    expect(history.at(-1)?.sourcePosition).toMatchObject({ kind: 'files', since: 0, loaded: 4 });
  });

  it('keeps the quarantined row with its file, line and reason', async () => {
    const result = await queryLake(lake, 'SELECT file, line, reason, raw FROM files.orders__quarantine');
    expect(result.rows).toEqual([
      [at('c.csv'), 3n, 'TOO MANY COLUMNS: Expected Number of Columns: 2 Found: 3', '5,too,many'],
    ]);
  });

  it('a full sync replaces the table with every file as it is now', async () => {
    const report = await sync('full');
    expect(report.streams[0]).toMatchObject({ status: 'succeeded', rowsWritten: 5, rowsQuarantined: 1 });
    await expectLakeRows([...a, ...b2, ...c]);
    const quarantined = await queryLake(lake, 'SELECT count(*) FROM files.orders__quarantine');
    expect(quarantined.rows).toEqual([[2n]]);
  });
});
