/**
 * Staged full loads through the lake destination (lake-load-writer.ts, src/lake/load-branch.ts),
 * on local disk and on s3rver: pieces committed to the `sluice-load` branch are invisible to
 * readers (icebird and DuckDB still read the previous version, main and the current schema do
 * not move); a writer of the same load resumes with the plan, position and rows staged, and its
 * commit publishes exactly the staged and new rows as one snapshot, removing the branch; files
 * written but not staged are deleted by `abort`; a load of another identity discards the branch.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationStream } from '../../src/destinations/destination.js';
import { LOAD_BRANCH, LOAD_PROPERTY, stagedLoadOf } from '../../src/lake/load-branch.js';
import { TableCatalog } from '../../src/lake/table-catalog.js';
import { currentSnapshot } from '../../src/lake/table-metadata.js';
import { ALL_TYPES, rowsBetween, stageChunk } from './lake-fixtures.js';
import { LAKE_STORAGES, useTestLake } from './test-lakes.js';

const TABLE = { namespace: 'shop', name: 'staged' };
const PLAN = { column: 'id', bounds: ['100', '200'] };

let stageDir: string;
beforeAll(async () => {
  stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-staged-'));
});
afterAll(async () => {
  await fs.rm(stageDir, { recursive: true, force: true });
});

describe.each(LAKE_STORAGES)('on %s', (storage) => {
  const lake = useTestLake(storage, 'staged');
  const stream = (disposition: DestinationStream['disposition'], runId: string): DestinationStream => ({
    ...TABLE,
    columns: ALL_TYPES,
    primaryKey: ['id'],
    disposition,
    runId,
  });

  async function ids(): Promise<number[]> {
    const rows = await icebergRead({ tableUrl: lake.tableUrl(`${TABLE.namespace}/${TABLE.name}`) });
    const viaDuckdb = await lake.query(`SELECT id FROM shop.staged ORDER BY id`);
    const fromIcebird = rows.map((row) => Number(row.id as bigint)).sort((a, b) => a - b);
    expect(viaDuckdb.rows.map((row) => Number(row[0]))).toEqual(fromIcebird);
    return fromIcebird;
  }

  async function metadata() {
    return (await lake.catalog().loadTable(TABLE)).metadata;
  }

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('keeps the previous version readable while pieces are staged, then resumes and publishes', async () => {
    const first = await lake.destination.openStream(stream('append', 'run-0'));
    await first.write(await stageChunk(stageDir, 0, rowsBetween(1, 50)));
    await first.commit(null);
    const before = await metadata();

    // An interrupted load: two pieces on the branch, a third chunk written but never staged.
    const killed = await lake.destination.openStagedLoad(stream('replace', 'run-1'), 'load-a');
    expect(killed.resumed).toBeNull();
    await killed.write(await stageChunk(stageDir, 0, rowsBetween(101, 150)));
    await killed.write(await stageChunk(stageDir, 1, rowsBetween(151, 199)));
    await killed.checkpoint([0, 1], { done: '0', ranges: 3 }, PLAN);
    await killed.write(await stageChunk(stageDir, 2, rowsBetween(200, 230)));
    await killed.checkpoint([2], { done: '0-1', ranges: 3 }, PLAN);
    await killed.write(await stageChunk(stageDir, 3, rowsBetween(300, 310)));
    await killed.abort();

    expect(await ids()).toEqual(range(1, 50));
    const staged = await metadata();
    expect(staged['current-snapshot-id']).toBe(before['current-snapshot-id']);
    expect(staged['current-schema-id']).toBe(before['current-schema-id']);
    expect(staged['snapshot-log']).toEqual(before['snapshot-log']);
    expect(Object.keys(staged.refs).sort()).toEqual(['main', LOAD_BRANCH]);
    expect(staged.properties[LOAD_PROPERTY]).toBeDefined();
    expect(await lake.catalog().dataFiles(await lake.catalog().loadTable(TABLE))).toHaveLength(1);

    // The same load resumes with what was staged; the rest of it publishes the whole load.
    const resumed = await lake.destination.openStagedLoad(stream('replace', 'run-2'), 'load-a');
    expect(resumed.resumed).toEqual({ plan: PLAN, position: { done: '0-1', ranges: 3 }, rows: 130 });
    await resumed.write(await stageChunk(stageDir, 0, rowsBetween(231, 240)));
    const result = await resumed.commit(null);
    expect(result).toMatchObject({ rowsWritten: 140, filesWritten: 4, totalRows: 140 });
    expect(await ids()).toEqual(range(101, 240));
    const published = await metadata();
    expect(Object.keys(published.refs)).toEqual(['main']);
    expect(published.properties[LOAD_PROPERTY]).toBeUndefined();
    expect(currentSnapshot(published)?.summary.operation).toBe('overwrite');
    // History tells the staged pieces from main's versions.
    const history = await lake.catalog().history(TABLE);
    expect(history.map((h) => h.branch)).toEqual([null, LOAD_BRANCH, LOAD_BRANCH, null]);
    expect(history.at(-1)?.isCurrent).toBe(true);
    // The aborted chunk's file is gone; the published snapshot's files all exist.
    const files = await lake.catalog().dataFiles(await lake.catalog().loadTable(TABLE));
    expect(files).toHaveLength(4);
    for (const file of files) expect(await lake.storage.exists(lake.storage.keyOf(file.url))).toBe(true);
    const onDisk = (await lake.objects('shop/staged/data/')).filter((name) => name.endsWith('.parquet'));
    expect(onDisk).toHaveLength(5);
  });

  it('discards the branch of another load and appends a staged append load to the table', async () => {
    const other = await lake.destination.openStagedLoad(stream('append', 'run-3'), 'load-b');
    await other.write(await stageChunk(stageDir, 0, rowsBetween(500, 509)));
    await other.checkpoint([0], { done: '0', ranges: 2 }, PLAN);
    await other.abort();

    const fresh = await lake.destination.openStagedLoad(stream('append', 'run-4'), 'load-c');
    expect(fresh.resumed).toBeNull();
    await fresh.write(await stageChunk(stageDir, 0, rowsBetween(600, 604)));
    await fresh.checkpoint([0], { done: '0', ranges: 2 }, PLAN);
    const catalog = new TableCatalog(lake.storage, null);
    const branch = await stagedLoadOf(catalog, await lake.catalog().loadTable(TABLE));
    // load-b's piece is not on the restarted branch: only load-c's file.
    expect(branch).toMatchObject({ identity: expect.any(String), rows: 5 });
    expect(branch?.files).toHaveLength(1);
    await fresh.write(await stageChunk(stageDir, 1, rowsBetween(605, 606)));
    const result = await fresh.commit(null);
    expect(result).toMatchObject({ rowsWritten: 7, totalRows: 147 });
    expect(await ids()).toEqual([...range(101, 240), ...range(600, 606)]);
    expect(Object.keys((await metadata()).refs)).toEqual(['main']);
  });
});
