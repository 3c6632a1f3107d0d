/**
 * PostgreSQL full reads cut into key ranges (resumable loads): the ranges together read every
 * row exactly once for integer, text and composite keys and for a declared key holding NULLs;
 * ranges read side by side (`?parallelism=3`) all come from one snapshot, so a write committed
 * after the read began is seen by none of them, even by ranges whose reading starts later; and
 * reading only some ranges reads exactly their rows.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRangeEvent, KeyRangePlan } from '../../src/connectors/key-range-read.js';
import { canReadKeyRanges, rangeCount, rangeFractions } from '../../src/connectors/key-range-read.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { formatRangeSet, parseRangeSet } from '../../src/sync/range-set.js';
import { fullPlan } from '../conformance/source-conformance.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('PostgreSQL', 5432);
const ROWS = 30_000;

describe('completed-range sets', () => {
  it('round-trip as runs of consecutive ranges, and refuse text they did not write', () => {
    const done = new Set([0, 1, 2, 3, 7, 9, 10, 41]);
    expect(formatRangeSet(done)).toBe('0-3,7,9-10,41');
    expect(parseRangeSet('0-3,7,9-10,41')).toEqual(done);
    expect(parseRangeSet('')).toEqual(new Set());
    expect(() => parseRangeSet('3-1')).toThrow(/unreadable/);
    expect(() => parseRangeSet('a')).toThrow(/unreadable/);
  });
});

describe('range fractions', () => {
  it('makes the two ranges at each end a quarter and a half of the others, which are equal', () => {
    const fractions = rangeFractions(10);
    expect(fractions).toHaveLength(12);
    const sizes = [...fractions, 1].map((f, i) => f - (fractions[i - 1] ?? 0));
    const unit = 1 / 10.5;
    const expected = [0.25, 0.5, ...Array<number>(9).fill(1), 0.5, 0.25].map((size) => size * unit);
    sizes.forEach((size, i) => expect(size).toBeCloseTo(expected[i] as number, 12));
  });

  it('keeps up to 3 ranges equal, and equal ranges where the extra ones would pass the most allowed', () => {
    expect(rangeFractions(1)).toEqual([]);
    expect(rangeFractions(3)).toEqual([1 / 3, 2 / 3]);
    expect(rangeFractions(4, 6)).toEqual([0.25, 0.5, 0.75]);
    expect(rangeFractions(4, 7)).toHaveLength(6);
  });
});

describe.skipIf(!up)('PostgreSQL key-range reads', () => {
  let db: TestDatabase;
  let stageRoot: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres_key_ranges');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-pg-ranges-'));
    await db.sql(`
      CREATE TABLE ints AS SELECT g * 3 AS id, md5(g::text) AS v FROM generate_series(1, ${ROWS}) g;
      ALTER TABLE ints ADD PRIMARY KEY (id);
      CREATE TABLE words AS SELECT md5(g::text) || ' Ä' AS word, g AS n FROM generate_series(1, ${ROWS}) g;
      ALTER TABLE words ADD PRIMARY KEY (word);
      CREATE TABLE pairs AS SELECT g % 50 AS a, g AS b, 'x' AS v FROM generate_series(1, ${ROWS}) g;
      ALTER TABLE pairs ADD PRIMARY KEY (a, b);
      CREATE TABLE nokey AS SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g END AS k, g AS n FROM generate_series(1, ${ROWS}) g;
      ANALYZE;`);
  });
  afterAll(async () => {
    await db?.drop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  /** Plans and reads `table` (or only `ranges`); `during` runs once the first chunk arrived. */
  async function readRanges(
    table: string,
    options: {
      parallelism?: number;
      primaryKey?: string[];
      keys?: KeyRangePlan;
      ranges?: number[];
      during?: () => Promise<void>;
    } = {},
  ) {
    const connector = connectorForUrl(`${db.url}?parallelism=${options.parallelism ?? 1}`);
    if (!canReadKeyRanges(connector)) throw new Error('PostgreSQL should read key ranges');
    const dir = await mkdtemp(path.join(stageRoot, 'r-'));
    try {
      const schema = (await connector.discover()).find((s) => s.name === table) as StreamSchema;
      const plan = {
        ...fullPlan(schema, dir, 64 * 1024),
        ...(options.primaryKey && { primaryKey: options.primaryKey }),
      };
      const keys = options.keys ?? (await connector.planKeyRanges(plan, 3_000, 1000));
      const wanted = options.ranges ?? Array.from({ length: rangeCount(keys) }, (_, i) => i);
      const events: KeyRangeEvent[] = [];
      const lines = new Map<number, string[]>();
      for await (const event of connector.readKeyRanges(plan, keys, wanted)) {
        events.push(event);
        if ('chunk' in event) {
          const text = await readFile(event.chunk.path, 'utf8');
          lines.set(event.range, [
            ...(lines.get(event.range) ?? []),
            ...text.split('\n').filter((l) => l !== ''),
          ]);
          if (events.length === 1) await options.during?.();
        }
      }
      return { keys, events, lines, all: [...lines.values()].flat().sort() };
    } finally {
      await connector.close();
    }
  }

  /** The table's staged lines from one ordinary read (one COPY), sorted. */
  async function wholeRead(table: string): Promise<string[]> {
    const connector = connectorForUrl(db.url);
    const dir = await mkdtemp(path.join(stageRoot, 'w-'));
    try {
      const schema = (await connector.discover()).find((s) => s.name === table) as StreamSchema;
      const lines: string[] = [];
      for await (const chunk of connector.read(fullPlan(schema, dir, 1 << 20), null)) {
        lines.push(...(await readFile(chunk.path, 'utf8')).split('\n').filter((l) => l !== ''));
      }
      return lines.sort();
    } finally {
      await connector.close();
    }
  }

  it('reads every row of an integer key exactly once, each range within its bounds, each range ended once', async () => {
    const { keys, events, lines, all } = await readRanges('ints');
    expect(rangeCount(keys)).toBeGreaterThanOrEqual(5);
    expect(all).toEqual(await wholeRead('ints'));
    const ends = events.filter((e) => 'done' in e).map((e) => e.range);
    expect(ends).toEqual(Array.from({ length: rangeCount(keys) }, (_, i) => i));
    const chunks = events.flatMap((e) => ('chunk' in e ? [e.chunk.index] : []));
    expect(chunks).toEqual(chunks.map((_, i) => i));
    for (const [range, rows] of lines) {
      const from = keys.bounds[range - 1];
      const to = keys.bounds[range];
      for (const row of rows) {
        const id = Number(row.split(',')[0]);
        if (from !== undefined) expect(id).toBeGreaterThanOrEqual(Number(from));
        if (to !== undefined) expect(id).toBeLessThan(Number(to));
      }
    }
  });

  it('plans ranges of the sizes rangeFractions gives (a table this small is sampled whole)', async () => {
    const { keys, lines } = await readRanges('ints');
    const fractions = rangeFractions(ROWS / 3_000, 1000);
    expect(rangeCount(keys)).toBe(fractions.length + 1);
    const sizes = [...fractions, 1].map((f, i) => (f - (fractions[i - 1] ?? 0)) * ROWS);
    sizes.forEach((size, range) =>
      expect(Math.abs((lines.get(range)?.length ?? 0) - size)).toBeLessThanOrEqual(2),
    );
  });

  it('cuts text keys in the column collation order and composite keys by their first column', async () => {
    const words = await readRanges('words', { parallelism: 2 });
    expect(rangeCount(words.keys)).toBeGreaterThan(1);
    expect(words.all).toEqual(await wholeRead('words'));
    const pairs = await readRanges('pairs');
    expect(pairs.all).toEqual(await wholeRead('pairs'));
  });

  it('puts the NULLs of a declared key in the first range, so none is skipped', async () => {
    // Named k, like the sampling query's output column: bounds must still sort as integers.
    const { keys, all } = await readRanges('nokey', { primaryKey: ['k'] });
    expect(rangeCount(keys)).toBeGreaterThan(1);
    expect(keys.bounds.map(Number)).toEqual(keys.bounds.map(Number).sort((a, b) => a - b));
    expect(all).toEqual(await wholeRead('nokey'));
  });

  it('reads only the ranges asked for', async () => {
    const whole = await readRanges('ints');
    const some = [1, 3];
    const part = await readRanges('ints', { keys: whole.keys, ranges: some });
    expect([...part.lines.keys()].sort()).toEqual(some);
    expect(part.all).toEqual(some.flatMap((r) => whole.lines.get(r) ?? []).sort());
  });

  it('reads all ranges side by side from one snapshot: writes committed meanwhile are in none', async () => {
    await db.sql(`CREATE TABLE moving AS SELECT g AS id, 'before' AS v FROM generate_series(1, ${ROWS}) g;
      ALTER TABLE moving ADD PRIMARY KEY (id); ANALYZE moving;`);
    const before = await wholeRead('moving');
    expect(before).toHaveLength(ROWS);
    // Three connections, ~10 ranges: most ranges start reading after the change is committed.
    const { all } = await readRanges('moving', {
      parallelism: 3,
      during: async () => {
        await db.sql(`UPDATE moving SET v = 'after';
          DELETE FROM moving WHERE id > ${ROWS - 100};
          INSERT INTO moving SELECT g, 'new' FROM generate_series(${ROWS + 1}, ${ROWS + 100}) g`);
      },
    });
    expect(all).toEqual(before);
    // The change did happen: read now, the table is different.
    expect(await wholeRead('moving')).not.toEqual(before);
  });
});
