/**
 * Table operations through the library, on the cases the CLI test does not reach: expiry after
 * a replace (files only expired snapshots used go, the rest stay), time travel into expired
 * history, rollback undoing a column change and appends landing on the rolled-back state,
 * compaction keeping the resume position, leaving large files alone and surviving a concurrent
 * append, read back by icebird as well as DuckDB.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { compactTable } from '../../src/lake/compact-table.js';
import { expireSnapshots } from '../../src/lake/expire-snapshots.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { liveFiles, readManifestList } from '../../src/lake/manifest-io.js';
import { commitRewrite } from '../../src/lake/rewrite-snapshot.js';
import { rollbackTable } from '../../src/lake/rollback-table.js';
import { currentSnapshot } from '../../src/lake/table-metadata.js';
import type { AsOf } from '../../src/lake/time-travel.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { installFileUrlFetch } from './file-url-fetch.js';
import { BATCH_COLUMNS, batchRows, commitRows, countBatches } from './lake-writes.js';

let dir: string;
let count = 0;
let removeFetchShim: () => void;

beforeAll(async () => {
  removeFetchShim = installFileUrlFetch();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-table-ops-'));
});
afterAll(async () => {
  removeFetchShim();
  await fs.rm(dir, { recursive: true, force: true });
});

const TABLE = { namespace: 'ops', name: 't' };

/** A fresh lake with a destination and a catalog on it, closed after `fn`. */
async function withLake<T>(
  fn: (lake: { root: string; destination: LakeDestination; catalog: LakeCatalog }) => Promise<T>,
) {
  const root = path.join(dir, `lake-${++count}`);
  const destination = new LakeDestination(root);
  const catalog = LakeCatalog.open(root);
  try {
    return await fn({ root, destination, catalog });
  } finally {
    await destination.close();
    await catalog.close();
  }
}

async function batches(root: string, asOf: readonly AsOf[] = []) {
  return countBatches((await queryLake(root, 'SELECT batch, n FROM ops.t', { asOf })).rows);
}

async function icebirdBatches(root: string) {
  const rows = await icebergRead({ tableUrl: new LocalStorage(root).url('ops/t') });
  return countBatches(rows.map((row) => [row.batch, row.n]));
}

async function dataFiles(root: string): Promise<string[]> {
  return (await fs.readdir(path.join(root, 'ops', 't', 'data'))).sort();
}

describe('expiry', () => {
  it('deletes the files only expired snapshots used, after a replace', async () => {
    await withLake(async ({ root, destination, catalog }) => {
      await commitRows(destination, TABLE, batchRows('a', 2));
      const [first] = await dataFiles(root);
      await commitRows(destination, TABLE, batchRows('b', 3), { disposition: 'replace' });
      await commitRows(destination, TABLE, batchRows('c', 1));
      expect(await dataFiles(root)).toHaveLength(3);
      const result = await expireSnapshots(catalog, TABLE, { keep: 1 });
      expect(result).toMatchObject({ retained: 1, deleted: { dataFiles: 1, manifestLists: 2 } });
      expect(result.expired).toHaveLength(2);
      expect(await dataFiles(root)).toHaveLength(2);
      expect(await dataFiles(root)).not.toContain(first);
      const expected = new Map([
        ['b', 3],
        ['c', 1],
      ]);
      expect(await batches(root)).toEqual(expected);
      expect(await icebirdBatches(root)).toEqual(expected);
    });
  });

  it('expires by age but never the current snapshot, and refuses time travel into expired history', async () => {
    await withLake(async ({ root, destination, catalog }) => {
      await commitRows(destination, TABLE, batchRows('a', 1));
      await commitRows(destination, TABLE, batchRows('b', 1));
      const [a, b] = await catalog.history(TABLE);
      const future = b!.timestampMs + 3_600_000;
      const all = await expireSnapshots(catalog, TABLE, { olderThanMs: 60_000, now: future });
      expect(all.expired).toEqual([a!.snapshotId]);
      expect((await catalog.history(TABLE)).map((h) => h.snapshotId)).toEqual([b!.snapshotId]);
      await expect(batches(root, [{ point: { timestampMs: a!.timestampMs } }])).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringMatching(/has been expired/),
      });
      expect(await batches(root, [{ point: { timestampMs: b!.timestampMs } }])).toEqual(
        new Map([
          ['a', 1],
          ['b', 1],
        ]),
      );
      const none = await expireSnapshots(catalog, TABLE, { olderThanMs: 0, now: future });
      expect(none.expired).toEqual([]);
    });
  });
});

describe('rollback', () => {
  it('restores the columns a replace changed, and later appends land on the rolled-back state', async () => {
    await withLake(async ({ root, destination, catalog }) => {
      await commitRows(destination, TABLE, batchRows('a', 2));
      const [before] = await catalog.history(TABLE);
      await commitRows(destination, TABLE, [['x', '1', 'wide']], {
        disposition: 'replace',
        columns: [
          ...BATCH_COLUMNS,
          { name: 'extra', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
        ],
      });
      expect(await rollbackTable(catalog, TABLE, before!.snapshotId)).toMatchObject({ changed: true });
      expect((await queryLake(root, 'SELECT * FROM ops.t ORDER BY n')).columns).toEqual(['batch', 'n']);
      await commitRows(destination, TABLE, batchRows('b', 1));
      const expected = new Map([
        ['a', 2],
        ['b', 1],
      ]);
      expect(await batches(root)).toEqual(expected);
      expect(await icebirdBatches(root)).toEqual(expected);
      const history = await catalog.history(TABLE);
      expect(history).toHaveLength(3);
      expect(history[2]?.parentId).toBe(before!.snapshotId);
      expect(await rollbackTable(catalog, TABLE, history[2]!.snapshotId)).toMatchObject({ changed: false });
    });
  });
});

describe('compaction', () => {
  it('keeps the resume position and leaves files at or above the target alone', async () => {
    await withLake(async ({ root, destination, catalog }) => {
      const big = batchRows('big', 5000);
      await commitRows(destination, TABLE, big);
      for (const batch of ['s1', 's2', 's3'])
        await commitRows(destination, TABLE, batchRows(batch, 2), { position: { cursor: batch } });
      expect(await catalog.lastPosition(TABLE)).toEqual({ cursor: 's3' });
      const table = await catalog.loadTable(TABLE);
      const sizes = (await liveFiles(catalog.storage, currentSnapshot(table.metadata)!)).map(
        (file) => file.dataFile.file_size_in_bytes,
      );
      const target = Math.max(...sizes);
      const result = await compactTable(catalog, TABLE, { targetSizeBytes: target });
      expect(result).toMatchObject({ rewrittenFiles: 3, writtenFiles: 1, filesAfter: 2, rows: 6 });
      expect(await catalog.lastPosition(TABLE)).toEqual({ cursor: 's3' });
      const expected = new Map([
        ['big', 5000],
        ['s1', 2],
        ['s2', 2],
        ['s3', 2],
      ]);
      expect(await batches(root)).toEqual(expected);
      expect(await icebirdBatches(root)).toEqual(expected);
      // Time travel still sees the files as they were before compaction.
      const [, , , beforeCompaction] = await catalog.history(TABLE);
      expect(await batches(root, [{ point: { snapshotId: beforeCompaction!.snapshotId } }])).toEqual(
        expected,
      );
    });
  });

  it('commits a rewrite on top of a concurrent append, and refuses one whose files were replaced', async () => {
    await withLake(async ({ root, destination, catalog }) => {
      await commitRows(destination, TABLE, batchRows('a', 1));
      await commitRows(destination, TABLE, batchRows('b', 1));
      const tables = await catalog.writableTables();
      const stale = await tables.require(TABLE);
      const live = await liveFiles(catalog.storage, currentSnapshot(stale.metadata)!);
      // The "new" file is one of the old ones here; what matters is which base the commit sees.
      const removed = new Set([live[0]!.dataFile.file_path]);
      await commitRows(destination, TABLE, batchRows('c', 1));
      await expect(commitRewrite(tables, TABLE, stale, { removed, added: [] })).rejects.toMatchObject({
        code: 'COMMIT_CONFLICT',
        retryable: true,
      });
      await commitRows(destination, TABLE, batchRows('d', 1), { disposition: 'replace' });
      await expect(
        commitRewrite(tables, TABLE, await tables.require(TABLE), { removed, added: [] }),
      ).rejects.toMatchObject({ code: 'COMMIT_CONFLICT', retryable: false });
      expect(await batches(root)).toEqual(new Map([['d', 1]]));
    });
  });
});

describe('manifest merging', () => {
  /** Sets table properties through a metadata-only commit, as another engine's ALTER TABLE would. */
  async function setProperties(catalog: LakeCatalog, properties: Record<string, string>) {
    const tables = await catalog.writableTables();
    const base = await catalog.loadTable(TABLE);
    const metadata = { ...base.metadata, properties: { ...base.metadata.properties, ...properties } };
    await tables.commit(TABLE, base, metadata);
  }

  async function manifestCount(catalog: LakeCatalog): Promise<number> {
    const table = await catalog.loadTable(TABLE);
    return (
      await readManifestList(
        new LocalStorage(path.dirname(path.dirname(table.metadata.location))),
        currentSnapshot(table.metadata)!,
      )
    ).length;
  }

  it('merges small manifests once a commit would carry the table’s min-count-to-merge, keeping every file’s numbers', async () => {
    await withLake(async ({ root, destination, catalog }) => {
      await commitRows(destination, TABLE, batchRows('b0', 3));
      await setProperties(catalog, { 'commit.manifest.min-count-to-merge': '4' });
      const counts: number[] = [];
      const snapshotOfBatch = new Map<string, string>();
      for (let batch = 1; batch < 10; batch++) {
        const result = await commitRows(destination, TABLE, batchRows(`b${batch}`, 3));
        snapshotOfBatch.set(`b${batch}`, result.snapshotId);
        counts.push(await manifestCount(catalog));
      }
      // Carried manifests 1, 2, 3 stay; the fourth commit carries 4 and merges them into 1 (+ its
      // own = 2); merged manifests are small too, so the count climbs back to 4 and merges again.
      expect(counts).toEqual([2, 3, 4, 2, 3, 4, 2, 3, 4]);

      const table = await catalog.loadTable(TABLE);
      const live = await liveFiles(new LocalStorage(root), currentSnapshot(table.metadata)!);
      expect(new Set(live.map((file) => file.dataFile.file_path)).size).toBe(10);
      expect(live).toHaveLength(10);
      // Every file keeps the snapshot that added it and that snapshot's sequence number.
      const sequenceOf = new Map(
        table.metadata.snapshots.map((s) => [s['snapshot-id'], s['sequence-number']]),
      );
      for (const file of live) {
        expect(file.sequenceNumber).toBe(sequenceOf.get(file.snapshotId));
        expect(file.fileSequenceNumber).toBe(sequenceOf.get(file.snapshotId));
      }
      const added = new Set(live.map((file) => String(file.snapshotId)));
      for (const snapshotId of snapshotOfBatch.values()) expect(added.has(snapshotId)).toBe(true);

      const expected = new Map(Array.from({ length: 10 }, (_, i) => [`b${i}`, 3]));
      expect(await batches(root)).toEqual(expected);
      expect(await icebirdBatches(root)).toEqual(expected);
      // An older snapshot still reads through the manifests it listed.
      const before = [{ table: TABLE, point: { snapshotId: snapshotOfBatch.get('b5')! } }];
      expect(await batches(root, before)).toEqual(new Map(Array.from({ length: 6 }, (_, i) => [`b${i}`, 3])));
    });
  });

  it('leaves manifests alone below the default count of 100, and when merging is turned off', async () => {
    await withLake(async ({ destination, catalog }) => {
      for (let batch = 0; batch < 6; batch++) await commitRows(destination, TABLE, batchRows(`b${batch}`, 1));
      expect(await manifestCount(catalog)).toBe(6);
      await setProperties(catalog, {
        'commit.manifest.min-count-to-merge': '2',
        'commit.manifest-merge.enabled': 'false',
      });
      await commitRows(destination, TABLE, batchRows('b6', 1));
      expect(await manifestCount(catalog)).toBe(7);
    });
  });
});
