/**
 * Two writers based on the same table version. The catalog's compare-and-swap lets exactly one
 * commit first; an append that loses rebases onto the winner (both commits land, in order), a
 * replace that loses fails with COMMIT_CONFLICT and leaves the winner's rows, and a failed
 * attempt leaves none of its files behind once aborted. Every outcome stays readable by DuckDB
 * and by icebird through the version hint.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { DestinationStream, StreamWriter } from '../../src/destinations/destination.js';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { installFileUrlFetch } from './file-url-fetch.js';
import { stageChunk } from './lake-fixtures.js';

const COLUMNS: CanonicalColumn[] = [
  { name: 'n', type: { kind: 'int64' }, nullable: false, sourceType: 'bigint' },
];

let root: string;
let stageDir: string;
let destination: LakeDestination;
let removeFetchShim: () => void;

function stream(name: string, disposition: DestinationStream['disposition']): DestinationStream {
  return { namespace: 'race', name, columns: COLUMNS, primaryKey: [], disposition, runId: `run-${name}` };
}

async function openWithRows(
  name: string,
  disposition: DestinationStream['disposition'],
  values: number[],
): Promise<StreamWriter> {
  const writer = await destination.openStream(stream(name, disposition));
  await writer.write(
    await stageChunk(
      stageDir,
      0,
      values.map((value) => [String(value)]),
    ),
  );
  return writer;
}

async function files(name: string, folder: 'data' | 'metadata'): Promise<string[]> {
  return (await fs.readdir(path.join(root, 'race', name, folder)))
    .filter((file) => !file.startsWith('.'))
    .sort();
}

async function rows(name: string): Promise<bigint[]> {
  return (await queryLake(root, `SELECT n FROM race.${name} ORDER BY n`)).rows.map((row) => row[0] as bigint);
}

async function icebirdRows(name: string): Promise<bigint[]> {
  const read = await icebergRead({ tableUrl: new LocalStorage(root).url(`race/${name}`) });
  return read.map((row) => row.n as bigint).sort((a, b) => Number(a - b));
}

beforeAll(async () => {
  removeFetchShim = installFileUrlFetch();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-race-'));
  stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
  destination = new LakeDestination(root);
});

afterAll(async () => {
  removeFetchShim();
  await destination.close();
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(stageDir, { recursive: true, force: true });
});

describe('concurrent commits on the same version', () => {
  it('rebases an append that lost the race onto the winner', async () => {
    await (await openWithRows('t', 'append', [1, 2])).commit(null);
    const winner = await openWithRows('t', 'append', [10]);
    const loser = await openWithRows('t', 'append', [20]);
    const won = await winner.commit({ at: 'winner' });
    const rebased = await loser.commit({ at: 'loser' });

    expect(rebased.totalRows).toBe(4);
    expect(await rows('t')).toEqual([1n, 2n, 10n, 20n]);
    expect(await icebirdRows('t')).toEqual([1n, 2n, 10n, 20n]);
    const catalog = LakeCatalog.open(root);
    try {
      const history = await catalog.history({ namespace: 'race', name: 't' });
      expect(history.map((entry) => entry.snapshotId).slice(1)).toEqual([won.snapshotId, rebased.snapshotId]);
      expect(history[2]?.parentId).toBe(won.snapshotId);
      expect(history[2]?.sourcePosition).toEqual({ at: 'loser' });
    } finally {
      await catalog.close();
    }
    // The lost attempt's manifests and metadata file were removed; only committed versions remain.
    const metadata = await files('t', 'metadata');
    expect(metadata.filter((file) => /^\d{5}-.*\.metadata\.json$/.test(file))).toHaveLength(3);
    expect(metadata.filter((file) => file.startsWith('snap-'))).toHaveLength(3);
  });

  it('fails a replace that lost the race and keeps the winner rows', async () => {
    await (await openWithRows('r', 'append', [1])).commit(null);
    const replace = await openWithRows('r', 'replace', [100]);
    await (await openWithRows('r', 'append', [2])).commit(null);
    const metadataBefore = await files('r', 'metadata');
    await expect(replace.commit(null)).rejects.toMatchObject({
      code: 'COMMIT_CONFLICT',
      retryable: true,
      hint: expect.stringMatching(/run the sync again/),
    });
    await replace.abort();
    expect(await files('r', 'metadata')).toEqual(metadataBefore);
    expect(await files('r', 'data')).toHaveLength(2);
    expect(await rows('r')).toEqual([1n, 2n]);
    expect(await icebirdRows('r')).toEqual([1n, 2n]);
  });

  it('lets an append that lost the creation race land on the table the winner created', async () => {
    const writers = await Promise.all([
      openWithRows('fresh', 'append', [1]),
      openWithRows('fresh', 'append', [2]),
    ]);
    await Promise.all(writers.map((writer) => writer.commit(null)));
    expect(await rows('fresh')).toEqual([1n, 2n]);
    expect(await icebirdRows('fresh')).toEqual([1n, 2n]);
  });

  it('fails a replace that lost the creation race, whoever created the table', async () => {
    const replace = await openWithRows('created', 'replace', [7]);
    await (await openWithRows('created', 'append', [1])).commit(null);
    await expect(replace.commit(null)).rejects.toMatchObject({ code: 'COMMIT_CONFLICT' });
    await replace.abort();
    expect(await files('created', 'data')).toHaveLength(1);
    expect(await rows('created')).toEqual([1n]);
  });

  it('refuses to rebase an append when the winner changed the columns', async () => {
    await (await openWithRows('cols', 'append', [1])).commit(null);
    const append = await openWithRows('cols', 'append', [2]);
    const wider = await destination.openStream({
      ...stream('cols', 'replace'),
      columns: [...COLUMNS, { name: 'extra', type: { kind: 'string' }, nullable: true, sourceType: 'text' }],
    });
    await wider.write(await stageChunk(stageDir, 0, [['5', 'x']]));
    await wider.commit(null);
    await expect(append.commit(null)).rejects.toMatchObject({
      code: 'COMMIT_CONFLICT',
      message: expect.stringMatching(/changed the columns/),
    });
    await append.abort();
    expect((await queryLake(root, 'SELECT n, extra FROM race.cols')).rows).toEqual([[5n, 'x']]);
  });
});
