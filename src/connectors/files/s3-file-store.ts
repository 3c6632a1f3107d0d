/**
 * Files in an S3-compatible bucket matched by a glob over keys (`s3://bucket/prefix/*.csv`).
 * Listing asks only for the glob's static prefix; each object is downloaded once, streamed to a
 * private folder, with `IfMatch` on the listed ETag so the bytes read are the version listed
 * (a changed object fails the read instead of mixing versions). DuckDB reads the local copy,
 * so every format and option works the same as on disk. The client comes from the S3 storage
 * layer (`createS3Client`), so endpoints, path style and credentials behave as for an S3 lake.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SluiceError, messageOf } from '../../core/errors.js';
import { s3Error } from '../../storage/s3-errors.js';
import type { S3Settings } from '../../storage/s3-location.js';
import type { S3Connection } from '../../storage/s3-sdk.js';
import { connectS3 } from '../../storage/s3-sdk.js';
import type { FileStore, ListedFile } from './file-store.js';
import { globMatcher, hasWildcard, staticPrefix } from './glob.js';
import { mapLimited } from '../../core/map-limited.js';

/** Downloads running at once. */
const DOWNLOADS = 4;

export class S3FileStore implements FileStore {
  /** `s3://bucket/glob`. */
  readonly location: string;
  private connection: Promise<S3Connection> | undefined;
  private readonly downloads = new Map<string, Promise<string>>();
  private folder: Promise<string> | undefined;
  private downloaded = 0;

  /**
   * @param bucket the bucket
   * @param glob a glob over keys (no leading `/`)
   * @param settings endpoint, region, path style and credentials
   */
  constructor(
    private readonly bucket: string,
    private readonly glob: string,
    private readonly settings: S3Settings,
  ) {
    this.location = `s3://${bucket}/${glob}`;
  }

  async list(): Promise<ListedFile[]> {
    const exact = !hasWildcard(this.glob);
    const base = staticPrefix(this.glob);
    // `data/orders/*.csv` lists `data/orders/`, so `data/orders_old/` is never fetched.
    const prefix = exact || base === '' ? base : `${base}/`;
    const matches = exact ? (key: string) => key === this.glob : globMatcher(this.glob);
    const files: ListedFile[] = [];
    try {
      const { client, sdk } = await this.s3();
      for await (const page of sdk.commands.paginateListObjectsV2(
        { client },
        { Bucket: this.bucket, Prefix: prefix },
      )) {
        for (const object of page.Contents ?? []) {
          const key = object.Key;
          if (key === undefined || key.endsWith('/') || !matches(key)) continue;
          const size = object.Size ?? 0;
          files.push({
            name: `s3://${this.bucket}/${key}`,
            size,
            version: (object.ETag ?? `${size}`).replaceAll('"', ''),
            modifiedMs: object.LastModified?.getTime() ?? 0,
          });
        }
      }
    } catch (error) {
      throw this.error(`s3://${this.bucket}/${prefix}`, error);
    }
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  localPath(file: ListedFile): Promise<string> {
    let download = this.downloads.get(file.name);
    if (!download) {
      download = this.download(file);
      this.downloads.set(file.name, download);
      // A failed download may be retried by the next caller.
      download.catch(() => this.downloads.delete(file.name));
    }
    return download;
  }

  /** Downloads `files` with bounded parallelism (discovery needs every file before it can type one). */
  async prefetch(files: readonly ListedFile[]): Promise<void> {
    await mapLimited(files, DOWNLOADS, (file) => this.localPath(file));
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.then(({ client }) => client.destroy()).catch(() => undefined);
    const folder = this.folder;
    this.folder = undefined;
    this.downloads.clear();
    if (folder) await rm(await folder, { recursive: true, force: true });
  }

  /** The client and SDK, loaded and made on the first request (`storage/s3-sdk.ts`). */
  private s3(): Promise<S3Connection> {
    this.connection ??= connectS3(this.settings);
    return this.connection;
  }

  private async download(file: ListedFile): Promise<string> {
    this.folder ??= mkdtemp(path.join(os.tmpdir(), 'sluice-s3-files-'));
    const key = file.name.slice(`s3://${this.bucket}/`.length);
    // The key's own name keeps its extension, which decides the format and compression.
    const local = path.join(await this.folder, `${this.downloaded++}-${path.posix.basename(key)}`);
    try {
      const { client, sdk } = await this.s3();
      const response = await client.send(
        new sdk.commands.GetObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: `"${file.version}"` }),
      );
      await pipeline(response.Body as Readable, createWriteStream(local, { flags: 'wx' }));
      return local;
    } catch (error) {
      await rm(local, { force: true });
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) {
        throw new SluiceError('SOURCE_READ', `${file.name} changed while it was being read`, {
          hint: 'run the sync again; it reads the new version',
          retryable: true,
          cause: error,
        });
      }
      if ((error as NodeJS.ErrnoException).path === local) {
        throw new SluiceError('SOURCE_READ', `cannot write ${local}: ${messageOf(error)}`, {
          hint: 'check that the temporary folder is writable and has free space',
          cause: error,
        });
      }
      throw this.error(file.name, error);
    }
  }

  private error(url: string, error: unknown): SluiceError {
    return s3Error(error, {
      operation: 'read',
      url,
      bucket: this.bucket,
      endpoint: this.settings.endpoint,
      secrets: [this.settings.secretAccessKey ?? '', this.settings.accessKeyId ?? ''],
    });
  }
}
