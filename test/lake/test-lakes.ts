/**
 * The same lake test on every storage a lake can live on: a local directory (locations are
 * percent-encoded `file://` URLs, the catalog in the lake's own control database) and s3rver
 * (plain `s3://` URLs, an explicit SQLite control database, DuckDB reading local copies).
 * icebird reads either through the global fetch, taught the `file:` scheme or sent to s3rver.
 * Use with `describe.each(LAKE_STORAGES)` and `useTestLake` inside it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { QueryResult } from '../../src/engine/duckdb.js';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import type { StorageLocation } from '../../src/storage/open-storage.js';
import { openStorage } from '../../src/storage/open-storage.js';
import type { ObjectStorage } from '../../src/storage/storage.js';
import type { S3rverHandle } from '../helpers/s3rver.js';
import { startS3rver } from '../helpers/s3rver.js';
import { installFileUrlFetch } from './file-url-fetch.js';

/** Where a test lake lives. */
export type LakeStorageKind = 'local disk' | 's3rver';

export const LAKE_STORAGES: LakeStorageKind[] = ['local disk', 's3rver'];

/** A lake for one suite, valid between its `beforeAll` and `afterAll`. */
export interface TestLake {
  kind: LakeStorageKind;
  /** The lake root with its S3 settings. */
  location: StorageLocation;
  /** The control database URL (only an S3 lake names one). */
  control: string | undefined;
  /** The lake's store. */
  storage: ObjectStorage;
  /** The destination writing to the lake (closed after the suite). */
  destination: LakeDestination;
  /** A catalog over the lake, closed after the suite. */
  catalog(): LakeCatalog;
  /** `queryLake` over the lake (S3 data files are copied to a cache of the suite). */
  query(sql: string): Promise<QueryResult>;
  /** The location icebird reads the table at `key` (`<namespace>/<table>`) from. */
  tableUrl(key: string): string;
  /** A local file holding the object at `url` (downloaded once from a remote store). */
  localFile(url: string): Promise<string>;
  /**
   * Every object under `prefix` (a folder key ending in `/`), relative to it and sorted; on local
   * disk read from the directory itself, so hidden temporary files count too.
   */
  objects(prefix: string): Promise<string[]>;
  /** The s3rver, on S3. */
  s3: S3rverHandle | undefined;
}

/** Registers hooks creating the lake before the suite's tests and removing it after. */
export function useTestLake(kind: LakeStorageKind, name: string): TestLake {
  const lake = { kind } as TestLake;
  let dir: string;
  let removeFetch: () => void = () => {};
  const catalogs: LakeCatalog[] = [];
  const downloads = new Map<string, string>();

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `sluice ${name} `));
    if (kind === 's3rver') {
      lake.s3 = await startS3rver();
      await lake.s3.createBucket('sluice-lake');
      removeFetch = lake.s3.installFetch();
      // S3 keys may not hold `#` or `?` (S3FileIO cuts locations there); a local root may.
      lake.location = { url: `s3://sluice-lake/${name.replace(/[#?]/g, '')} lake`, s3: lake.s3.settings };
      lake.control = `sqlite:${path.join(dir, 'control.db')}`;
    } else {
      removeFetch = installFileUrlFetch();
      lake.location = { url: path.join(dir, `${name} lake`) };
      lake.control = undefined;
    }
    lake.storage = openStorage(lake.location);
    lake.destination = new LakeDestination(lake.location, { control: lake.control });
    await lake.destination.check();
  });

  afterAll(async () => {
    removeFetch();
    await Promise.all(catalogs.map((catalog) => catalog.close()));
    await lake.destination?.close();
    await lake.s3?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  lake.catalog = () => {
    const catalog = LakeCatalog.open(lake.location, { control: lake.control });
    catalogs.push(catalog);
    return catalog;
  };
  lake.query = (sql) =>
    queryLake(lake.location, sql, { control: lake.control, copies: { cacheDir: path.join(dir, 'cache') } });
  lake.tableUrl = (key) => lake.storage.url(key);
  lake.localFile = async (url) => {
    const key = lake.storage.keyOf(url);
    const local = lake.storage.localPath(key);
    if (local !== null) return local;
    let file = downloads.get(key);
    if (!file) {
      file = path.join(dir, 'downloads', `${downloads.size}.bin`);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await lake.storage.download(key, file);
      downloads.set(key, file);
    }
    return file;
  };
  lake.objects = async (prefix) => {
    const local = lake.storage.localPath(prefix);
    if (local === null) return (await lake.storage.list(prefix)).map((key) => key.slice(prefix.length));
    const entries = await fs
      .readdir(local, { recursive: true, withFileTypes: true })
      .catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      });
    return entries
      .filter((entry) => !entry.isDirectory())
      .map((entry) => path.relative(local, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .sort();
  };
  return lake;
}
