/**
 * SQLite full reads cut into key ranges (resumable loads): exact bounds that keep each key's
 * storage class, every row read exactly once — an integer key, a NOCASE text key, and a key
 * column without affinity mixing NULL, integers, reals and text — and only the ranges
 * asked for; and a sync into the lake loads such a table in ranges with the same content.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canReadKeyRanges, rangeCount } from '../../src/connectors/key-range-read.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import type { StagedChunk, StreamSchema } from '../../src/core/stream.js';
import { runSync } from '../../src/sync/run-sync.js';
import { fullPlan } from '../conformance/source-conformance.js';
import { withLakeViews } from '../helpers/lake-content.js';

const ROWS = 5_000;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sqlite-ranges-'));
  file = path.join(dir, 'source.db');
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE ints (id INTEGER PRIMARY KEY, v TEXT);
    CREATE TABLE words (word TEXT COLLATE NOCASE PRIMARY KEY, n INTEGER);
    CREATE TABLE mixed (k PRIMARY KEY, n INTEGER);`);
  const ints = db.prepare('INSERT INTO ints VALUES (?, ?)');
  const words = db.prepare('INSERT INTO words VALUES (?, ?)');
  const mixed = db.prepare('INSERT INTO mixed VALUES (?, ?)');
  db.exec('BEGIN');
  for (let i = 1; i <= ROWS; i++) {
    ints.run(i * 7, `row ${i}`);
    words.run(`${i % 2 ? 'W' : 'w'}ord-${String(i).padStart(5, '0')}`, i);
    const kinds = [i, i + 0.5, `t${i}`];
    // A NULL key is possible in a SQLite PRIMARY KEY that is not INTEGER; keep a few.
    mixed.run(i % 500 === 0 ? null : (kinds[i % 3] ?? null), i);
  }
  db.exec('COMMIT');
  db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(chunks: readonly StagedChunk[]): Promise<string[]> {
  const text = (await Promise.all(chunks.map((chunk) => readFile(chunk.path, 'utf8')))).join('');
  return text.split('\n').filter((line) => line !== '');
}

async function readBoth(table: string, ranges?: number[]) {
  const connector = connectorForUrl(`sqlite:${file}`);
  if (!canReadKeyRanges(connector)) throw new Error('SQLite should read key ranges');
  const stage = await mkdtemp(path.join(dir, 's-'));
  try {
    const schema = (await connector.discover()).find((s) => s.name === table) as StreamSchema;
    const plan = fullPlan(schema, stage, 64 * 1024);
    const whole: StagedChunk[] = [];
    for await (const chunk of connector.read(
      { ...plan, stageDir: await mkdtemp(path.join(stage, 'w-')) },
      null,
    )) {
      whole.push(chunk);
    }
    const keys = await connector.planKeyRanges(plan, 400, 1000);
    const wanted = ranges ?? Array.from({ length: rangeCount(keys) }, (_, i) => i);
    const byRange = new Map<number, StagedChunk[]>();
    for await (const event of connector.readKeyRanges(plan, keys, wanted)) {
      if ('chunk' in event) byRange.set(event.range, [...(byRange.get(event.range) ?? []), event.chunk]);
    }
    const rangeLines = new Map<number, string[]>();
    for (const [range, chunks] of byRange) rangeLines.set(range, await lines(chunks));
    return {
      keys,
      whole: (await lines(whole)).sort(),
      rangeLines,
      all: [...rangeLines.values()].flat().sort(),
    };
  } finally {
    await connector.close();
  }
}

describe('SQLite key-range reads', () => {
  it.each(['ints', 'words', 'mixed'])('reads every row of %s exactly once', async (table) => {
    const { keys, whole, all } = await readBoth(table);
    expect(rangeCount(keys)).toBeGreaterThanOrEqual(10);
    expect(whole).toHaveLength(ROWS);
    expect(all).toEqual(whole);
  });

  it('reads only the ranges asked for', async () => {
    const { rangeLines } = await readBoth('ints', [2, 5]);
    expect([...rangeLines.keys()].sort()).toEqual([2, 5]);
    // 13 parts make 16 ranges (rangeFractions): a quarter, a half, 12 whole and a half and a quarter
    // of 5000 / 13.5 keys. Range 2, the first whole one, holds rows floor(0.75 / 13.5 × 5000) + 1 =
    // 278 to floor(1.75 / 13.5 × 5000) = 648 in key order: 371 keys.
    expect(rangeLines.get(2)?.length).toBe(371);
  });

  it('syncs into the lake range by range with the same rows', async () => {
    const lake = path.join(dir, 'lake');
    const report = await runSync({
      from: `sqlite:${file}`,
      to: `lake:${lake}`,
      tables: ['ints'],
      chunkRows: 400,
    });
    expect(report.streams[0]).toMatchObject({ status: 'succeeded', rowsWritten: ROWS, ranges: 16 });
    const [row] = await withLakeViews(lake, {}, (db) =>
      db.queryObjects(
        `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, sum(id)::BIGINT AS total FROM main.ints`,
      ),
    );
    expect(row).toEqual({ n: ROWS, ids: ROWS, total: BigInt((7 * ROWS * (ROWS + 1)) / 2) });
  });
});
