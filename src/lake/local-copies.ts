/**
 * Local files for the data files a query reads. DuckDB here cannot open `s3://` (no httpfs), so
 * objects of a remote store are downloaded once into a cache, `<cacheDir>/<scheme>/<bucket>/<key>`.
 * A cached copy never goes stale: data files are written once under fresh names and never
 * replaced, and a copy is used only when its size equals the size the manifest records.
 * Downloads go to a temporary name and are renamed into place, so concurrent queries never read
 * a half-written copy.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SluiceError } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';
import { mapLimited } from '../core/map-limited.js';

/** Where and how fast copies are made. */
export interface LocalCopyOptions {
  /** Cache root (default: `sluice-cache-<uid>` in the OS temp dir); the CLI passes ~/.cache/sluice. */
  cacheDir?: string;
  /** Downloads at once (default 8). */
  concurrency?: number;
}

/** A file to make local: its location and exact size as the manifest records them. */
export interface RemoteFile {
  /** URL as recorded in the manifest. */
  url: string;
  /** Exact size in bytes. */
  bytes: number;
}

/** The default cache root, per user so that users never share (or fight over) copies. */
export function defaultCacheDir(): string {
  return path.join(os.tmpdir(), `sluice-cache-${process.getuid?.() ?? 'user'}`);
}

/** A local path for each file, in order: the file itself on local disk, else a cached copy. */
export async function localCopies(
  storage: ObjectStorage,
  files: readonly RemoteFile[],
  options: LocalCopyOptions = {},
): Promise<string[]> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  return mapLimited(files, options.concurrency ?? 8, async (file) => {
    const key = storage.keyOf(file.url);
    return storage.localPath(key) ?? (await cachedCopy(storage, key, file, cacheDir));
  });
}

async function cachedCopy(
  storage: ObjectStorage,
  key: string,
  file: RemoteFile,
  cacheDir: string,
): Promise<string> {
  const target = path.join(cacheDir, ...cachePath(file.url));
  if ((await sizeOf(target)) === file.bytes) return target;
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomUUID()}.part`;
  try {
    await storage.download(key, temp);
    const bytes = await sizeOf(temp);
    if (bytes !== file.bytes) {
      throw new SluiceError(
        'LAKE_CORRUPT',
        `${file.url} has ${bytes} bytes, its manifest says ${file.bytes}`,
        {
          hint: 'the object was replaced or truncated after it was committed; restore it or roll the table back',
        },
      );
    }
    await fs.rename(temp, target);
    return target;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/** `s3://bucket/a/b.parquet` → `['s3', 'bucket', 'a', 'b.parquet']`, refusing parts that would leave the cache. */
function cachePath(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(url);
  const parts = match ? [match[1]!.toLowerCase(), ...match[2]!.split('/')] : [];
  if (parts.length < 3 || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new SluiceError('LAKE_CORRUPT', `cannot cache ${url}: not a plain object URL`, {
      hint: 'the table metadata names a location Sluice cannot map to a local file',
    });
  }
  return parts;
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return null;
  }
}
