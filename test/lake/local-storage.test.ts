/**
 * The local object store: the ObjectStorage conformance cases (exclusive, atomic creation — the
 * lake's compare-and-swap on a plain disk — publishing, listing, errors with codes), plus what
 * is local: percent-encoded file URLs and hidden temporary files beside their targets.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { objectStorageConformance } from '../conformance/object-storage-conformance.js';

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice store #1 '));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('LocalStorage conformance', () => {
  objectStorageConformance({
    create: () => new LocalStorage(path.join(root, 'conformance')),
    foreignUrl: 'file:///etc/passwd',
    exclusiveCreate: true,
  });
});

describe('LocalStorage', () => {
  it('turns keys into percent-encoded file URLs and back', () => {
    const storage = new LocalStorage(path.join(root, 'urls'));
    const url = storage.url('ns/my table/v1.json');
    expect(url).toMatch(/^file:\/\/.*%23.*my%20table\/v1\.json$/);
    expect(storage.keyOf(url)).toBe('ns/my table/v1.json');
  });

  it('keeps a file written for publishing hidden beside its target, then links it in place', async () => {
    const storage = new LocalStorage(path.join(root, 'temp'));
    const temp = await storage.tempFileFor('a/x.parquet');
    expect(path.dirname(temp)).toBe(path.join(root, 'temp', 'a'));
    await fs.writeFile(temp, 'bytes');
    expect(await storage.list('a/')).toEqual([]);
    await storage.putFile('a/x.parquet', temp);
    expect(await fs.readdir(path.join(root, 'temp', 'a'))).toEqual(['x.parquet']);
  });
});
