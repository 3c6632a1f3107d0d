/**
 * ObjectStorage on S3 or an S3-compatible server, through the AWS SDK. Keys live under
 * `s3://bucket/prefix/`; locations in Iceberg metadata are plain `s3://bucket/key` URLs, not
 * percent-encoded, because Java's S3FileIO, PyIceberg and Trino take the key literally.
 *
 * Never overwriting: `putNew` and `putFile` first look (HEAD) and then upload with
 * `If-None-Match: *`, which AWS S3 (since 2024), MinIO and R2 enforce atomically: of two racing
 * creators exactly one wins. Servers that ignore the header (s3rver does: a second conditional
 * PUT replaces the object) leave only the HEAD, which cannot separate two writers racing within
 * one round trip; on those, the lake's catalog compare-and-swap is the guard that matters.
 *
 * Never half-visible: a PUT is atomic in S3, and a multipart upload (files from 64 MB) shows
 * nothing until it is completed; a failed one is aborted so its parts do not linger.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../core/errors.js';
import type { S3Connection } from './s3-sdk.js';
import { connectS3 } from './s3-sdk.js';
import { isS3NotFound, s3Error, s3Status } from './s3-errors.js';
import type { S3ErrorContext } from './s3-errors.js';
import type { S3Location, S3Settings } from './s3-location.js';
import { s3RootUrl } from './s3-location.js';
import type { ObjectStorage } from './storage.js';

/** Tuning for uploads; the defaults suit lake data files. */
export interface S3StorageOptions {
  /** Files of at least this many bytes go up as multipart uploads (default 64 MiB). */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 16 MiB; raised when a file needs more than 10,000 parts). */
  partSize?: number;
  /** Parts uploaded at once per file (default 4): memory per upload is about this × `partSize`. */
  partConcurrency?: number;
  /** Local directory for files written before upload (default: a per-user folder in the OS temp dir). */
  stagingDir?: string;
}

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;
/** Uploads of one file whose stored size differs before `putFile` gives up (see there). */
const PUT_ATTEMPTS = 3;
/** How often `putNew` asks again after S3 reports a concurrent conditional write (409). */
const CONFLICT_RETRIES = 3;

export class S3Storage implements ObjectStorage {
  readonly rootUrl: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Key prefix of the lake inside the bucket: empty or ending in `/`. */
  readonly prefix: string;
  /** The endpoint of an S3-compatible server, or undefined for AWS. */
  readonly endpoint: string | undefined;
  private readonly settings: S3Settings;
  /** The client and SDK, made on the first request (`s3-sdk.ts`). */
  private connection: Promise<S3Connection> | undefined;
  private readonly secrets: readonly string[];
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly stagingDir: string;

  /** Does no I/O: a wrong endpoint or missing bucket shows on the first call. */
  constructor(location: S3Location, options: S3StorageOptions = {}) {
    this.bucket = location.bucket;
    this.prefix = location.prefix;
    this.rootUrl = s3RootUrl(location);
    this.endpoint = location.settings.endpoint;
    this.settings = location.settings;
    this.secrets = [location.settings.secretAccessKey ?? '', location.settings.accessKeyId ?? ''];
    this.multipartThreshold = options.multipartThreshold ?? 64 * MiB;
    this.partSize = options.partSize ?? 16 * MiB;
    this.partConcurrency = options.partConcurrency ?? 4;
    this.stagingDir =
      options.stagingDir ?? path.join(os.tmpdir(), `sluice-upload-${process.getuid?.() ?? 'user'}`);
  }

  url(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  keyOf(url: string): string {
    // s3a:// and s3n:// are the same objects as written by Hadoop-based engines.
    const match = /^s3[an]?:\/\/([^/]+)\/(.*)$/i.exec(url);
    const key = match?.[2];
    if (
      match?.[1] !== this.bucket ||
      key === undefined ||
      !key.startsWith(this.prefix) ||
      key === this.prefix
    ) {
      throw new SluiceError('LAKE_CORRUPT', `${url} is outside the lake root ${this.rootUrl}`, {
        hint: 'the table metadata names an object in another bucket or prefix; was the lake copied?',
      });
    }
    return key.slice(this.prefix.length);
  }

  localPath(): null {
    return null;
  }

  async putNew(key: string, body: Uint8Array | string): Promise<boolean> {
    const Key = this.objectKey(key);
    for (let attempt = 0; ; attempt++) {
      if (await this.exists(key)) return false;
      try {
        const { client, sdk } = await this.connect();
        await client.send(
          new sdk.commands.PutObjectCommand({ Bucket: this.bucket, Key, Body: body, IfNoneMatch: '*' }),
        );
        return true;
      } catch (error) {
        if (s3Status(error) === 412) return false;
        // S3 answers 409 while another conditional write of the key is in flight: look again.
        if (s3Status(error) === 409 && attempt < CONFLICT_RETRIES) continue;
        throw this.error('write', key, error);
      }
    }
  }

  async tempFileFor(key: string): Promise<string> {
    try {
      await fs.mkdir(this.stagingDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new SluiceError(
        'DESTINATION_WRITE',
        `cannot create the upload staging folder ${this.stagingDir}`,
        {
          cause: error,
          hint: 'check that the temporary directory exists and is writable',
        },
      );
    }
    return path.join(this.stagingDir, `${randomUUID()}-${path.posix.basename(this.objectKey(key))}`);
  }

  async putFile(key: string, localFile: string): Promise<void> {
    try {
      const bytes = (await fs.stat(localFile)).size;
      if (await this.exists(key)) throw this.refuseOverwrite(key);
      for (let attempt = 1; ; attempt++) {
        await this.upload(key, localFile, bytes);
        const stored = await this.size(key);
        if (stored === bytes) return;
        await this.delete(key);
        // The SDK retries a failed PUT with the same file stream, already read: the retry sends
        // no bytes, and a store that does not check the length keeps an empty object (s3rver
        // did, under load). A fresh stream sends the file again.
        if (attempt < PUT_ATTEMPTS) continue;
        throw new SluiceError(
          'DESTINATION_WRITE',
          `uploaded ${bytes} bytes to ${this.url(key)} but the store holds ${stored} (${attempt} attempts)`,
          { retryable: true, hint: 'the server changed the upload; check that it is S3-compatible for PUT' },
        );
      }
    } finally {
      await fs.rm(localFile, { force: true });
    }
  }

  /** Sends `localFile` (of `bytes`) to `key` in one PUT, or in parts when large; never overwrites. */
  private async upload(key: string, localFile: string, bytes: number): Promise<void> {
    const Key = this.objectKey(key);
    try {
      const { client, sdk } = await this.connect();
      if (bytes < this.multipartThreshold) {
        await client.send(
          new sdk.commands.PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: createReadStream(localFile),
            ContentLength: bytes,
            IfNoneMatch: '*',
          }),
        );
      } else {
        await new sdk.storage.Upload({
          client,
          params: {
            Bucket: this.bucket,
            Key,
            Body: createReadStream(localFile),
            ContentLength: bytes,
            IfNoneMatch: '*',
          },
          partSize: Math.max(this.partSize, Math.ceil(bytes / MAX_PARTS)),
          queueSize: this.partConcurrency,
        }).done();
      }
    } catch (error) {
      if (s3Status(error) === 412) throw this.refuseOverwrite(key);
      throw this.error('write', key, error);
    }
  }

  async overwrite(key: string, body: Uint8Array | string): Promise<void> {
    try {
      const { client, sdk } = await this.connect();
      await client.send(
        new sdk.commands.PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body }),
      );
    } catch (error) {
      throw this.error('write', key, error);
    }
  }

  async read(key: string): Promise<Buffer> {
    try {
      const { client, sdk } = await this.connect();
      const response = await client.send(
        new sdk.commands.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (error) {
      throw this.error('read', key, error);
    }
  }

  async download(key: string, localFile: string): Promise<void> {
    try {
      const { client, sdk } = await this.connect();
      const response = await client.send(
        new sdk.commands.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      await pipeline(response.Body as Readable, createWriteStream(localFile, { flags: 'wx' }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).path === localFile) {
        throw new SluiceError('SOURCE_READ', `cannot write ${localFile}: ${(error as Error).message}`, {
          cause: error,
          hint: 'check that the local folder exists, is writable and has free space',
        });
      }
      throw this.error('read', key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.head(key);
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw this.error('read', key, error);
    }
  }

  async size(key: string): Promise<number> {
    try {
      return (await this.head(key)).ContentLength ?? 0;
    } catch (error) {
      throw this.error('read', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      const { client, sdk } = await this.connect();
      const pages = sdk.commands.paginateListObjectsV2(
        { client },
        { Bucket: this.bucket, Prefix: this.objectKey(prefix, true) },
      );
      for await (const page of pages) {
        for (const object of page.Contents ?? [])
          if (object.Key) keys.push(object.Key.slice(this.prefix.length));
      }
    } catch (error) {
      throw this.error('read', prefix, error);
    }
    return keys.sort();
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const prefixes: string[] = [];
    try {
      const { client, sdk } = await this.connect();
      let token: string | undefined;
      do {
        const page = await client.send(
          new sdk.commands.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.objectKey(prefix, true),
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          if (common.Prefix) prefixes.push(common.Prefix.slice(this.prefix.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.error('read', prefix, error);
    }
    return prefixes.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      const { client, sdk } = await this.connect();
      await client.send(
        new sdk.commands.DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
    } catch (error) {
      throw this.error('write', key, error);
    }
  }

  /** Releases the client's sockets. */
  close(): void {
    const connection = this.connection;
    this.connection = undefined;
    void connection?.then(({ client }) => client.destroy()).catch(() => undefined);
  }

  private async head(key: string) {
    const { client, sdk } = await this.connect();
    return client.send(new sdk.commands.HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** The client and SDK, loaded and made on the first request. */
  private connect(): Promise<S3Connection> {
    this.connection ??= connectS3(this.settings);
    return this.connection;
  }

  /**
   * The bucket key of a lake key. Besides the local rules (relative, no `..`), `#` and `?` are
   * refused: Iceberg's Java S3FileIO cuts a location at them, so such a table would be unreadable.
   */
  private objectKey(key: string, isPrefix = false): string {
    const parts = key.split('/');
    if (
      key.startsWith('/') ||
      parts.some((part) => part === '..' || part === '.') ||
      /[#?]/.test(key) ||
      (!isPrefix && key === '')
    ) {
      throw new SluiceError('USAGE', `invalid object key ${JSON.stringify(key)}`, {
        hint: 'keys are relative to the lake root and contain no "..", "#" or "?" (rename the table)',
      });
    }
    return this.prefix + key;
  }

  private refuseOverwrite(key: string): SluiceError {
    return new SluiceError('DESTINATION_WRITE', `refusing to overwrite ${this.url(key)}`, {
      hint: 'object names are never reused; this is a bug in the caller',
    });
  }

  private error(operation: S3ErrorContext['operation'], key: string, error: unknown): SluiceError {
    if (error instanceof SluiceError) return error;
    return s3Error(error, {
      operation,
      url: `s3://${this.bucket}/${this.prefix}${key}`,
      bucket: this.bucket,
      endpoint: this.endpoint,
      secrets: this.secrets,
    });
  }
}
