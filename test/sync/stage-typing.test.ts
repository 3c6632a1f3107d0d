/**
 * Typed staging (src/sync/stage-typing.ts): a stage CSV chunk decoded once into a typed Parquet
 * chunk must hold exactly the rows the CSV holds, for every canonical type, and refuse what the
 * checked decode refuses.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/engine/content-fingerprint.js';
import { chunkQuery } from '../../src/engine/chunk-query.js';
import type { DuckDB } from '../../src/engine/duckdb.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { stagesParquet } from '../../src/core/stream.js';
import { StageTyping } from '../../src/sync/stage-typing.js';
import { ALL_TYPES, rowsBetween, stageChunk } from '../lake/lake-fixtures.js';

let dir: string;
let db: DuckDB;
const typing = new StageTyping();

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-typing-'));
  db = await openDuckDB({ threads: 1 });
});

afterAll(async () => {
  db.close();
  await typing.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The fingerprint of a chunk over ALL_TYPES, read as every consumer reads it. */
async function fingerprint(chunk: Parameters<typeof chunkQuery>[0]) {
  const fields = ALL_TYPES.map((column, index) => ({
    index,
    type: column.type,
    as: column.name,
    label: column.name,
  }));
  return fingerprintOf(db, `(${chunkQuery(chunk, ALL_TYPES.length, fields)})`, ALL_TYPES);
}

describe('typed staging', () => {
  it('converts a CSV chunk of every type into a Parquet chunk holding the same rows', async () => {
    const csv = await stageChunk(dir, 3, rowsBetween(1, 300));
    const expected = await fingerprint(csv);
    expect(expected.rows).toBe(300);
    const typed = await typing.convert({ ...csv, sha256: 'abc', maxRowBytes: 999 }, ALL_TYPES);
    expect(typed).toMatchObject({ index: 3, format: 'parquet', rows: 300, bytes: csv.bytes, sha256: 'abc' });
    expect(typed.maxRowBytes).toBeUndefined();
    expect(typed.path.endsWith('.parquet')).toBe(true);
    // The CSV is gone; the Parquet chunk reads to the same content.
    await expect(fs.stat(csv.path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fingerprint(typed)).toEqual(expected);
  });

  it('refuses a value the checked decode refuses, naming the column, and leaves no Parquet file', async () => {
    const rows = rowsBetween(1, 3).map((row) => [...row]);
    const decimal = ALL_TYPES.findIndex((column) => column.type.kind === 'decimal');
    const { scale } = ALL_TYPES[decimal]!.type as { scale: number };
    rows[1]![decimal] = `1.${'1'.repeat(scale + 1)}`;
    const csv = await stageChunk(dir, 0, rows);
    await expect(typing.convert(csv, ALL_TYPES)).rejects.toThrow(
      new RegExp(`column "${ALL_TYPES[decimal]!.name}": staged value is not a decimal`),
    );
    expect(
      (await fs.readdir(dir)).filter((name) => name.endsWith('.parquet') && name.includes('chunk-0-')),
    ).toEqual([]);
  });

  it('refuses a chunk whose rows are not the rows its manifest counts', async () => {
    const csv = await stageChunk(dir, 1, rowsBetween(1, 10));
    await expect(typing.convert({ ...csv, rows: 11 }, ALL_TYPES)).rejects.toMatchObject({
      code: 'VERIFY_MISMATCH',
      message: expect.stringMatching(/holds 10 rows where the source staged 11/),
    });
  });

  it('leaves chunks with operations, and Parquet chunks, as they are', async () => {
    const csv = await stageChunk(dir, 2, rowsBetween(1, 2));
    const withOperations = { ...csv, operations: true };
    expect(await typing.convert(withOperations, ALL_TYPES)).toBe(withOperations);
    const parquet = { ...csv, format: 'parquet' as const };
    expect(await typing.convert(parquet, ALL_TYPES)).toBe(parquet);
  });

  it('applies to plans whose destination reads Parquet, except merges (stagesParquet)', () => {
    expect(stagesParquet({ disposition: 'replace', stagedFormats: ['csv', 'parquet'] })).toBe(true);
    expect(stagesParquet({ disposition: 'append', stagedFormats: ['csv', 'parquet'] })).toBe(true);
    expect(stagesParquet({ disposition: 'merge', stagedFormats: ['csv', 'parquet'] })).toBe(false);
    expect(stagesParquet({ disposition: 'replace', stagedFormats: ['csv'] })).toBe(false);
    expect(stagesParquet({ disposition: 'replace' })).toBe(false);
  });
});
