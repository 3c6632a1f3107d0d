/**
 * Two writers based on the same table version: exactly one commit wins, the other gets a
 * retryable COMMIT_CONFLICT, leaves no manifests behind once aborted, and the table stays
 * readable (by DuckDB and by icebird) with the winner's data.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { SluiceError } from '../../src/core/errors.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { DestinationStream, StreamWriter } from '../../src/destinations/destination.js';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
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

async function metadataFiles(name: string): Promise<string[]> {
  return (await fs.readdir(path.join(root, 'race', name, 'metadata'))).sort();
}

async function dataFiles(name: string): Promise<string[]> {
  return (await fs.readdir(path.join(root, 'race', name, 'data'))).filter((file) =>
    file.endsWith('.parquet'),
  );
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
  it('lets one append win and gives the other a retryable COMMIT_CONFLICT', async () => {
    await (await openWithRows('t', 'append', [1, 2])).commit(null);
    const winner = await openWithRows('t', 'append', [10]);
    const loser = await openWithRows('t', 'append', [20]);
    await winner.commit({ at: 'winner' });
    const before = await metadataFiles('t');

    const error = await loser.commit({ at: 'loser' }).catch((e: unknown) => e);
    expect(isSluiceError(error, 'COMMIT_CONFLICT')).toBe(true);
    expect((error as SluiceError).retryable).toBe(true);
    expect(await metadataFiles('t')).toEqual(before);

    await loser.abort();
    expect(await dataFiles('t')).toHaveLength(2);
    expect((await queryLake(root, 'SELECT n FROM race.t ORDER BY n')).rows).toEqual([[1n], [2n], [10n]]);
    const tableUrl = new LocalStorage(root).url('race/t');
    const rows = await icebergRead({ tableUrl });
    expect(rows.map((row) => row.n).sort()).toEqual([1n, 10n, 2n]);
  });

  it('lets exactly one of two simultaneous commits create a new table', async () => {
    const writers = await Promise.all([
      openWithRows('fresh', 'append', [1]),
      openWithRows('fresh', 'replace', [2]),
    ]);
    const results = await Promise.allSettled(writers.map((writer) => writer.commit(null)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected');
    expect(isSluiceError(rejected?.reason, 'COMMIT_CONFLICT')).toBe(true);
    await Promise.all(writers.map((writer) => writer.abort()));
    expect(await dataFiles('fresh')).toHaveLength(1);
    expect((await queryLake(root, 'SELECT count(*) FROM race.fresh')).rows).toEqual([[1n]]);
  });

  it('lets a replace lose against an append without touching the table', async () => {
    await (await openWithRows('r', 'append', [1])).commit(null);
    const replace = await openWithRows('r', 'replace', [100]);
    await (await openWithRows('r', 'append', [2])).commit(null);
    await expect(replace.commit(null)).rejects.toMatchObject({ code: 'COMMIT_CONFLICT' });
    await replace.abort();
    expect((await queryLake(root, 'SELECT n FROM race.r ORDER BY n')).rows).toEqual([[1n], [2n]]);
  });
});
