import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsvIntoChunks } from '../../src/connectors/csv-chunk-splitter.js';
import { CsvRowScanner } from '../../src/connectors/csv-row-scanner.js';
import { isSluiceError } from '../../src/core/errors.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import type { StagedChunk } from '../../src/core/stream.js';

/** Rows whose fields hold every character that matters to the scanner. */
const ROWS: (string | null)[][] = Array.from({ length: 60 }, (_, i) => [
  String(i),
  i % 3 === 0 ? `multi\nline "${i}",\n` : `plain${i}`,
  i % 4 === 0 ? '' : null,
  '"' + 'q'.repeat(i % 7) + '"',
]);
const CSV = Buffer.from(ROWS.map((row) => encodeStageRow(row)).join(''));

/** The same bytes delivered in pieces of `size`, so quotes, `""` and newlines straddle buffers. */
async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('CsvRowScanner', () => {
  it('counts only newlines outside quotes, whatever the buffer boundaries', () => {
    for (const size of [1, 2, 3, 7, 64, CSV.length]) {
      const scanner = new CsvRowScanner();
      let rows = 0;
      for (let i = 0; i < CSV.length; i += size)
        rows += scanner.scan(CSV.subarray(i, i + size), 0, Infinity).rows;
      expect(rows, `pieces of ${size}`).toBe(ROWS.length);
      expect(scanner.insideQuotes).toBe(false);
    }
  });

  it('measures the longest row that ended, whatever the buffer boundaries', () => {
    const rows = ['a\n', '"multi\nline ""quoted"""\n', 'bb\n'];
    for (const size of [1, 2, 5, 100]) {
      const scanner = new CsvRowScanner();
      const data = Buffer.from(rows.join(''));
      const longest: number[] = [];
      for (let i = 0; i < data.length; i += size) {
        scanner.scan(data.subarray(i, i + size), 0, Infinity);
        longest.push(scanner.takeLongestRow());
      }
      expect(Math.max(...longest), `pieces of ${size}`).toBe(Buffer.byteLength(rows[1]!));
      expect(scanner.takeLongestRow()).toBe(0);
    }
  });

  it('stops just past the first row end at or after stopAt', () => {
    const buf = Buffer.from('a,"x\ny"\nb\nc\n');
    const scanner = new CsvRowScanner();
    expect(scanner.scan(buf, 0, 3)).toEqual({ end: 8, rows: 1 });
    expect(scanner.scan(buf, 8, 8)).toEqual({ end: 10, rows: 1 });
    expect(scanner.scan(buf, 10, 100)).toEqual({ end: -1, rows: 1 });
  });
});

describe('splitCsvIntoChunks', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sluice-splitter-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  const split = async (source: AsyncIterable<Buffer>, chunkBytes: number) => {
    const dir = await mkdtemp(path.join(root, 'run-'));
    const chunks: StagedChunk[] = [];
    for await (const chunk of splitCsvIntoChunks(source, dir, chunkBytes)) chunks.push(chunk);
    return { dir, chunks };
  };

  it.each([1, 5, 100, 4096])(
    'cuts only at row ends with exact counts (buffers of %i bytes)',
    async (size) => {
      const { chunks } = await split(pieces(CSV, size), 200);
      expect(chunks.length).toBeGreaterThan(3);
      const files = await Promise.all(chunks.map((c) => readFile(c.path)));
      expect(Buffer.concat(files).equals(CSV)).toBe(true);
      expect(chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(ROWS.length);
      let row = 0;
      for (const [i, chunk] of chunks.entries()) {
        const encoded = ROWS.slice(row, row + chunk.rows).map((r) => encodeStageRow(r));
        const expected = encoded.join('');
        // Each file is whole rows, the chunk's rows exactly.
        expect(files[i]?.toString(), `chunk ${i}`).toBe(expected);
        // The longest row is measured across buffer boundaries, for the loader's read buffers.
        expect(chunk.maxRowBytes, `chunk ${i}`).toBe(Math.max(...encoded.map((r) => Buffer.byteLength(r))));
        expect(chunk.bytes).toBe(files[i]?.length);
        if (i < chunks.length - 1) {
          expect(chunk.bytes).toBeGreaterThanOrEqual(200);
          // It closed at the first row end past the threshold: without its last row it was short.
          const lastRow = encodeStageRow(ROWS[row + chunk.rows - 1] ?? []);
          expect(chunk.bytes - Buffer.byteLength(lastRow)).toBeLessThan(200);
        }
        row += chunk.rows;
      }
    },
  );

  it('yields nothing for an empty source', async () => {
    const { dir, chunks } = await split(pieces(Buffer.alloc(0), 1), 10);
    expect(chunks).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails on a stream cut inside a row and removes the unfinished chunk', async () => {
    for (const cut of [CSV.subarray(0, 5), Buffer.from('1,"open\n')]) {
      const dir = await mkdtemp(path.join(root, 'cut-'));
      const error = await (async () => {
        for await (const _ of splitCsvIntoChunks(pieces(cut, 3), dir, 1 << 20)) void _;
      })().catch((e: unknown) => e);
      expect(isSluiceError(error, 'SOURCE_READ'), String(error)).toBe(true);
      expect(await readdir(dir)).toEqual([]);
    }
  });
});
