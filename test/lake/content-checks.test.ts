/**
 * The run-time content checks, against real DuckDB and real files: the fingerprint the run takes
 * of a staged chunk (sync/chunk-fingerprints.ts) equals the one the lake writer reads back from
 * the files it wrote, for every type; `assertChunkContent` fails when the files differ from the
 * rows in a single microsecond, a decimal's last digit, a lost or a repeated row, swapped values
 * or an empty string for a NULL; `assertSnapshotHolds` (commit-check.ts) passes for the snapshot a commit published and
 * fails when a written file is missing, listed with another size, or (for a replace) when the
 * snapshot lists a file the load did not write.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalType } from '../../src/core/canonical-types.js';
import { fingerprintOf, sameContent } from '../../src/engine/content-fingerprint.js';
import type { DuckDB } from '../../src/engine/duckdb.js';
import { openDuckDB, quoteLiteral } from '../../src/engine/duckdb.js';
import { assertSnapshotHolds } from '../../src/lake/commit-check.js';
import type { DataFileColumn } from '../../src/lake/data-file-content.js';
import { fingerprintDataFiles } from '../../src/lake/data-file-content.js';
import { ChunkFingerprints, assertChunkContent } from '../../src/sync/chunk-fingerprints.js';
import { liveFiles } from '../../src/lake/manifest-io.js';
import { currentSnapshot } from '../../src/lake/table-metadata.js';
import { ALL_TYPES, rowsBetween, stageChunk } from './lake-fixtures.js';
import { useTestLake } from './test-lakes.js';

const types: Record<string, CanonicalType> = {
  id: { kind: 'int64' },
  price: { kind: 'decimal', precision: 12, scale: 2 },
  placed_at: { kind: 'timestamptz' },
  label: { kind: 'string' },
};
const COLUMNS: DataFileColumn[] = Object.entries(types).map(([name, type], i) => ({
  name,
  type,
  fieldId: i + 1,
  duckdbType: { id: 'BIGINT', price: 'DECIMAL(12,2)', placed_at: 'TIMESTAMPTZ', label: 'VARCHAR' }[name]!,
}));
const ROWS = `SELECT i AS id, CAST(i / 100 AS DECIMAL(12,2)) AS price,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 1000) AS placed_at, CASE WHEN i = 5 THEN NULL ELSE 'row ' || i END AS label
  FROM range(1, 1001) AS t(i)`;

let db: DuckDB;
let dir: string;
beforeAll(async () => {
  db = await openDuckDB();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-content-'));
  await db.run(`CREATE TABLE source AS ${ROWS}`);
});
afterAll(async () => {
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Writes `select` as a Parquet file with the columns' field ids, as the lake writer does. */
async function parquet(name: string, select: string): Promise<string> {
  const file = path.join(dir, `${name}.parquet`);
  const ids = COLUMNS.map((c) => `${quoteLiteral(c.name)}: ${c.fieldId}`).join(', ');
  await db.run(`COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet, FIELD_IDS {${ids}})`);
  return file;
}

describe('the chunk content check', () => {
  const lake = useTestLake('local disk', 'chunk-content');

  it('finds the staged and the written fingerprint of every type equal', async () => {
    const writer = await lake.destination.openStream({
      namespace: 'shop',
      name: 'typed',
      columns: ALL_TYPES,
      primaryKey: ['id'],
      disposition: 'append',
      runId: 'run-1',
    });
    const fingerprints = new ChunkFingerprints();
    try {
      expect(writer.contentColumns).toEqual(ALL_TYPES.map((_, i) => i));
      const chunk = await stageChunk(dir, 0, rowsBetween(1, 200));
      const staged = await fingerprints.start(chunk, ALL_TYPES, writer.contentColumns!);
      const written = await writer.write(chunk);
      const content = await staged.result;
      expect(content.rows).toBe(200);
      expect(written?.content).toEqual(content);
      expect(() => assertChunkContent('shop.typed chunk 0', content, written?.content)).not.toThrow();
      // The link that kept the staged file for the check is gone.
      expect(await fs.readdir(dir)).not.toContain(`${path.basename(chunk.path)}.fingerprint`);
    } finally {
      await writer.abort();
      await fingerprints.close();
    }
  });

  it('passes for files holding the rows, however they are split', async () => {
    const expected = await fingerprintOf(db, 'source', COLUMNS);
    expect(expected.rows).toBe(1000);
    const low = await parquet('low', 'SELECT * FROM source WHERE id <= 400');
    const high = await parquet('high', 'SELECT * FROM source WHERE id > 400');
    const written = await fingerprintDataFiles(db, [high, low], COLUMNS);
    expect(sameContent(written, expected)).toBe(true);
    expect(() => assertChunkContent('t chunk 0', expected, written)).not.toThrow();
  });

  it.each([
    [
      'a timestamp one microsecond off',
      `SELECT id, price, CASE WHEN id = 77 THEN placed_at + INTERVAL 1 MICROSECOND ELSE placed_at END AS placed_at, label FROM source`,
    ],
    [
      'a decimal off in its last digit',
      `SELECT id, CASE WHEN id = 500 THEN price + 0.01 ELSE price END AS price, placed_at, label FROM source`,
    ],
    ['a lost row', 'SELECT * FROM source WHERE id <> 999'],
    [
      'a repeated row in place of another',
      'SELECT * FROM source WHERE id <> 2 UNION ALL SELECT * FROM source WHERE id = 1',
    ],
    [
      'two values swapped between rows',
      `SELECT id, price, placed_at, CASE id WHEN 3 THEN 'row 4' WHEN 4 THEN 'row 3' ELSE label END AS label FROM source`,
    ],
    [
      'an empty string for a NULL',
      `SELECT id, price, placed_at, CASE WHEN id = 5 THEN '' ELSE label END AS label FROM source`,
    ],
  ])('fails with VERIFY_MISMATCH for %s', async (what, select) => {
    const expected = await fingerprintOf(db, 'source', COLUMNS);
    const file = await parquet(what.replaceAll(' ', '-'), select);
    const written = await fingerprintDataFiles(db, [file], COLUMNS);
    expect(() => assertChunkContent('t chunk 3', expected, written)).toThrow(
      expect.objectContaining({
        code: 'VERIFY_MISMATCH',
        message: expect.stringContaining('t chunk 3: the rows written differ from the rows staged'),
      }),
    );
  });

  it('fails when a writer that proves content returns no fingerprint', () => {
    expect(() => assertChunkContent('t chunk 1', { rows: 1, hashSum: 1n }, undefined)).toThrow(
      expect.objectContaining({ code: 'VERIFY_MISMATCH' }),
    );
  });
});

describe('assertSnapshotHolds', () => {
  const lake = useTestLake('local disk', 'commit-check');
  const TABLE = { namespace: 'shop', name: 'checked' };

  async function published() {
    const writer = await lake.destination.openStream({
      ...TABLE,
      columns: ALL_TYPES,
      primaryKey: ['id'],
      disposition: 'replace',
      runId: 'run-1',
    });
    await writer.write(await stageChunk(dir, 0, rowsBetween(1, 30)));
    await writer.write(await stageChunk(dir, 1, rowsBetween(31, 60)));
    const result = await writer.commit(null);
    expect(result.contentChecked).toBe(true);
    const table = await lake.catalog().loadTable(TABLE);
    const snapshot = currentSnapshot(table.metadata)!;
    const files = (await liveFiles(lake.storage, snapshot)).map((live) => live.dataFile);
    return { storage: lake.storage, snapshot, files };
  }

  it('passes for what the commit wrote and fails for anything else', async () => {
    const { storage, snapshot, files } = await published();
    expect(files).toHaveLength(2);
    await expect(
      assertSnapshotHolds(storage, snapshot, files, true, 'shop.checked'),
    ).resolves.toBeUndefined();
    // A replace whose snapshot lists a file it did not write.
    await expect(
      assertSnapshotHolds(storage, snapshot, files.slice(1), true, 'shop.checked'),
    ).rejects.toMatchObject({
      code: 'VERIFY_MISMATCH',
      message: expect.stringContaining('is listed but was not written by this load'),
    });
    // An append may share the snapshot with files of earlier commits.
    await expect(
      assertSnapshotHolds(storage, snapshot, files.slice(1), false, 'shop.checked'),
    ).resolves.toBeUndefined();
    const missing = { ...files[0]!, file_path: `${files[0]!.file_path}.lost` };
    await expect(
      assertSnapshotHolds(storage, snapshot, [...files, missing], false, 'shop.checked'),
    ).rejects.toMatchObject({
      code: 'VERIFY_MISMATCH',
      message: expect.stringContaining('.lost is listed 0 times'),
    });
    const resized = { ...files[0]!, file_size_in_bytes: files[0]!.file_size_in_bytes + 1 };
    await expect(
      assertSnapshotHolds(storage, snapshot, [resized, files[1]!], true, 'shop.checked'),
    ).rejects.toMatchObject({
      code: 'VERIFY_MISMATCH',
      message: expect.stringContaining('is listed with'),
    });
  });
});
