/**
 * The cases every ObjectStorage must pass, run against a fresh, empty store: objects are created
 * once and never overwritten, local files are published whole (a large one too, compared by
 * SHA-256), pointers are replaced, keys and URLs round-trip, listings see published objects
 * only, and missing objects are SOURCE_NOT_FOUND.
 *
 * Call it inside a describe block; `create` runs once, in a beforeAll.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import type { ObjectStorage } from '../../src/storage/storage.js';

export interface ObjectStorageConformanceOptions {
  /** An empty store (called once, after the caller's beforeAll). */
  create: () => ObjectStorage | Promise<ObjectStorage>;
  /** A URL of the same kind that lies outside the store (keyOf must refuse it). */
  foreignUrl: string;
  /** True when simultaneous `putNew` calls for one key have exactly one winner; else why not. */
  exclusiveCreate: true | string;
  /** Size of the large-file case (default 70 MiB: above the S3 multipart threshold). */
  largeFileBytes?: number;
  /** True when `listPrefixes` shows folders that hold only folders (as S3 does); else why not. */
  nestedPrefixes?: true | string;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function objectStorageConformance(options: ObjectStorageConformanceOptions): void {
  let storage: ObjectStorage;
  let scratch: string;

  beforeAll(async () => {
    storage = await options.create();
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-storage-conformance-'));
  });
  afterAll(async () => {
    await fs.rm(scratch, { recursive: true, force: true });
  });

  /** Writes a local file destined for `key` and returns its path. */
  async function localFileFor(key: string, body: string | Buffer): Promise<string> {
    const temp = await storage.tempFileFor(key);
    await fs.writeFile(temp, body);
    return temp;
  }

  it('creates a new object once; a second create of the same key loses without writing', async () => {
    expect(await storage.putNew('a/b/v1.json', 'first')).toBe(true);
    expect(await storage.putNew('a/b/v1.json', 'second')).toBe(false);
    expect((await storage.read('a/b/v1.json')).toString()).toBe('first');
  });

  it.skipIf(options.exclusiveCreate !== true)(
    `lets exactly one of many simultaneous creators win${options.exclusiveCreate === true ? '' : ` (skipped: ${options.exclusiveCreate})`}`,
    async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => storage.putNew('race/v2.json', `writer ${i}`)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await storage.read('race/v2.json')).toString()).toBe(`writer ${winner}`);
      expect(await storage.list('race/')).toEqual(['race/v2.json']);
    },
  );

  it('publishes a local file under a new key, consumes it, and refuses to overwrite', async () => {
    const temp = await localFileFor('data/x.parquet', 'bytes');
    expect(await storage.list('data/')).toEqual([]);
    await storage.putFile('data/x.parquet', temp);
    await expect(fs.stat(temp)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await storage.size('data/x.parquet')).toBe(5);
    const again = await localFileFor('data/x.parquet', 'other');
    await expect(storage.putFile('data/x.parquet', again)).rejects.toMatchObject({
      code: 'DESTINATION_WRITE',
    });
    expect((await storage.read('data/x.parquet')).toString()).toBe('bytes');
  });

  it('publishes a large file whole (byte-identical by SHA-256) and downloads it back', async () => {
    const bytes = options.largeFileBytes ?? 70 * 1024 * 1024;
    const temp = await storage.tempFileFor('data/large.bin');
    const handle = await fs.open(temp, 'w');
    try {
      // Pseudo-random blocks, so a part placed at the wrong offset changes the hash.
      const block = 1024 * 1024;
      for (let offset = 0; offset < bytes; offset += block) {
        const size = Math.min(block, bytes - offset);
        await handle.write(
          createHash('sha512')
            .update(String(offset))
            .digest()
            .toString('hex')
            .repeat(size / 128 + 1)
            .slice(0, size),
        );
      }
    } finally {
      await handle.close();
    }
    const expected = await sha256(temp);
    await storage.putFile('data/large.bin', temp);
    expect(await storage.size('data/large.bin')).toBe(bytes);
    const copy = path.join(scratch, 'large.bin');
    await storage.download('data/large.bin', copy);
    expect(await sha256(copy)).toBe(expected);
  });

  it('replaces pointer objects', async () => {
    await storage.overwrite('a/hint', '1');
    await storage.overwrite('a/hint', '2');
    expect((await storage.read('a/hint')).toString()).toBe('2');
  });

  it('turns keys into URLs and back, and refuses keys and URLs outside the store', () => {
    const url = storage.url('ns/my table/v1.json');
    expect(url.startsWith(storage.rootUrl)).toBe(true);
    expect(storage.keyOf(url)).toBe('ns/my table/v1.json');
    expect(() => storage.keyOf(options.foreignUrl)).toThrow(/outside the lake root/);
    expect(() => storage.url('../escape')).toThrow(/invalid object key/);
  });

  it('lists published keys and folders under a prefix, never unpublished files', async () => {
    await localFileFor('a/b/unpublished', 'x');
    expect(await storage.list('a/')).toEqual(['a/b/v1.json', 'a/hint']);
    expect(await storage.list('a/b/v')).toEqual(['a/b/v1.json']);
    expect(await storage.listPrefixes('')).toEqual(
      options.exclusiveCreate === true ? ['a/', 'data/', 'race/'] : ['a/', 'data/'],
    );
    expect(await storage.listPrefixes('a/')).toEqual(['a/b/']);
    expect(await storage.list('missing/')).toEqual([]);
    expect(await storage.listPrefixes('missing/')).toEqual([]);
  });

  const nested = options.nestedPrefixes ?? true;
  it.skipIf(nested !== true)(
    `lists folders that hold only folders (a lake's namespaces)${nested === true ? '' : ` (skipped: ${nested})`}`,
    async () => {
      expect(await storage.putNew('deep/ns/t/metadata/v1.json', '{}')).toBe(true);
      expect(await storage.listPrefixes('')).toContain('deep/');
      expect(await storage.listPrefixes('deep/')).toEqual(['deep/ns/']);
      expect(await storage.listPrefixes('deep/ns/')).toEqual(['deep/ns/t/']);
    },
  );

  it('reports a missing object as SOURCE_NOT_FOUND and deletes idempotently', async () => {
    const error = await storage.read('nope').catch((e: unknown) => e);
    expect(isSluiceError(error, 'SOURCE_NOT_FOUND')).toBe(true);
    const missingDownload = await storage
      .download('nope', path.join(scratch, 'nope'))
      .catch((e: unknown) => e);
    expect(isSluiceError(missingDownload, 'SOURCE_NOT_FOUND')).toBe(true);
    expect(await storage.exists('nope')).toBe(false);
    expect(await storage.exists('a/hint')).toBe(true);
    await storage.delete('a/hint');
    await storage.delete('a/hint');
    expect(await storage.exists('a/hint')).toBe(false);
  });
}
