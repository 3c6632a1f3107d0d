import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageChunkWriter } from '../../src/connectors/stage-chunk-writer.js';
import { fileSha256 } from '../../src/sync/file-sha256.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-chunk-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('StageChunkWriter', () => {
  it('writes every byte in order across gathered writes, with exact counts and the file’s own sha256', async () => {
    const writer = new StageChunkWriter(dir);
    const rows: Buffer[] = [];
    // Enough small writes to cross the 1 MiB gather size several times, as a COPY stream does.
    for (let i = 0; i < 60_000; i++) rows.push(Buffer.from(`${i},"row ${i}, with ""quotes"""\n`));
    for (const row of rows) await writer.write(row, 1);
    const first = await writer.finish({ at: 1 });
    await writer.write(Buffer.from('last,"x"\n'), 1);
    const second = await writer.finish();

    const expected = Buffer.concat(rows);
    expect(first).toMatchObject({ index: 0, rows: 60_000, bytes: expected.length, position: { at: 1 } });
    // Buffer#equals: toEqual compares a 2 MB buffer element by element (seconds).
    expect((await readFile(first!.path)).equals(expected)).toBe(true);
    expect(first!.sha256).toBe(await fileSha256(first!.path));
    expect(second).toMatchObject({ index: 1, rows: 1, bytes: 9 });
    expect(second!.sha256).toBe(await fileSha256(second!.path));
    expect(second!.sha256).not.toBe(first!.sha256);
  });

  it('keeps what was written when the caller reuses its buffer after write(), small and large writes alike', async () => {
    const writer = new StageChunkWriter(dir, 'reused-');
    const reused = Buffer.alloc(3 * 1024 * 1024);
    const expected: Buffer[] = [];
    // Small writes (gathered), then one larger than the gather size (written as it is).
    for (const [size, byte] of [
      [1000, 0x61],
      [70_000, 0x62],
      [2 * 1024 * 1024, 0x63],
      [10, 0x64],
    ] as const) {
      reused.fill(byte, 0, size);
      reused[size - 1] = 0x0a;
      expected.push(Buffer.from(reused.subarray(0, size)));
      await writer.write(reused.subarray(0, size), 1);
      // What StageRowBuffer does with its buffer once the write returned.
      reused.fill(0x7a);
    }
    const chunk = await writer.finish();
    expect((await readFile(chunk!.path)).equals(Buffer.concat(expected))).toBe(true);
    expect(chunk!.sha256).toBe(await fileSha256(chunk!.path));
  });

  it('reports the longest row only when every write measured its rows', async () => {
    const writer = new StageChunkWriter(dir, 'longest-');
    await writer.write(Buffer.from('1,a\n22,'), 1, 4);
    await writer.write(Buffer.from('bbbb\n'), 1, 8);
    await writer.write(Buffer.from('3,c\n'), 1, 4);
    expect(await writer.finish()).toMatchObject({ rows: 3, maxRowBytes: 8 });
    await writer.write(Buffer.from('1,a\n'), 1, 4);
    await writer.write(Buffer.from('2,b\n'), 1);
    expect(await writer.finish()).not.toHaveProperty('maxRowBytes');
  });

  it('abort removes the unfinished chunk and the next chunk starts a fresh hash', async () => {
    const writer = new StageChunkWriter(dir, 'aborted-');
    await writer.write(Buffer.from('1,a\n'), 1);
    await writer.abort();
    await writer.write(Buffer.from('2,b\n'), 1);
    const chunk = await writer.finish();
    expect(await readFile(chunk!.path, 'utf8')).toBe('2,b\n');
    expect(chunk!.sha256).toBe(await fileSha256(chunk!.path));
  });
});
