/**
 * The local object store: exclusive, atomic creation (the lake's compare-and-swap), publishing
 * files written elsewhere, percent-encoded URLs, listing, and errors with codes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import { LocalStorage } from '../../src/storage/local-storage.js';

let root: string;
let storage: LocalStorage;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice store #1 '));
  storage = new LocalStorage(root);
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('LocalStorage', () => {
  it('creates a new object once; a second create of the same key loses without writing', async () => {
    expect(await storage.putNew('a/b/v1.json', 'first')).toBe(true);
    expect(await storage.putNew('a/b/v1.json', 'second')).toBe(false);
    expect((await storage.read('a/b/v1.json')).toString()).toBe('first');
  });

  it('lets exactly one of many simultaneous creators win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => storage.putNew('race/v2.json', `writer ${i}`)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await fs.readdir(path.join(root, 'race'))).toEqual(['v2.json']);
  });

  it('publishes a local file under a new key and refuses to overwrite', async () => {
    const temp = await storage.tempFileFor('data/x.parquet');
    await fs.writeFile(temp, 'bytes');
    expect(await storage.list('data/')).toEqual([]);
    await storage.putFile('data/x.parquet', temp);
    expect(await storage.size('data/x.parquet')).toBe(5);
    const again = await storage.tempFileFor('data/x.parquet');
    await fs.writeFile(again, 'other');
    await expect(storage.putFile('data/x.parquet', again)).rejects.toMatchObject({
      code: 'DESTINATION_WRITE',
    });
    expect((await storage.read('data/x.parquet')).toString()).toBe('bytes');
  });

  it('replaces pointer objects atomically', async () => {
    await storage.overwrite('a/hint', '1');
    await storage.overwrite('a/hint', '2');
    expect((await storage.read('a/hint')).toString()).toBe('2');
  });

  it('turns keys into percent-encoded file URLs and back', () => {
    const url = storage.url('ns/my table/v1.json');
    expect(url).toMatch(/^file:\/\/.*%23.*my%20table\/v1\.json$/);
    expect(storage.keyOf(url)).toBe('ns/my table/v1.json');
    expect(() => storage.keyOf('file:///etc/passwd')).toThrow(/outside the lake root/);
    expect(() => storage.url('../escape')).toThrow(/invalid object key/);
  });

  it('lists keys and folders under a prefix, skipping temporary files', async () => {
    await storage.tempFileFor('a/b/ignored').then((temp) => fs.writeFile(temp, 'x'));
    expect(await storage.list('a/')).toEqual(['a/b/v1.json', 'a/hint']);
    expect(await storage.listPrefixes('')).toEqual(['a/', 'data/', 'race/']);
    expect(await storage.list('missing/')).toEqual([]);
  });

  it('reports a missing object as SOURCE_NOT_FOUND and deletes idempotently', async () => {
    const error = await storage.read('nope').catch((e: unknown) => e);
    expect(isSluiceError(error, 'SOURCE_NOT_FOUND')).toBe(true);
    expect(await storage.exists('a/hint')).toBe(true);
    await storage.delete('a/hint');
    await storage.delete('a/hint');
    expect(await storage.exists('a/hint')).toBe(false);
  });
});
