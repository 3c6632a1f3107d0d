/**
 * The object store under the lake, shaped like S3 so the local filesystem and S3-compatible
 * stores fit the same interface: objects are named by keys (`/`-separated, relative to the
 * store's root), written once under new names and never modified. The one exception is a
 * pointer object such as `version-hint.text`, which `overwrite` replaces atomically.
 */
export interface ObjectStorage {
  /** The store's root as a URL (`file:///…/` or `s3://bucket/prefix/`), for messages. */
  readonly rootUrl: string;
  /** The full URL of a key, as written into Iceberg metadata (percent-encoded). */
  url(key: string): string;
  /** The key that `url` turned into this URL; throws LAKE_CORRUPT for a URL outside this store. */
  keyOf(url: string): string;
  /**
   * A local filesystem path for the key when the store is the local disk, so an engine such as
   * DuckDB can open the object in place; null for remote stores (fetch the object first).
   */
  localPath(key: string): string | null;
  /**
   * Writes a new object atomically (readers never see part of it). Resolves to false, writing
   * nothing, when the key already exists: that is how two writers racing for one name are told
   * apart, so callers use it as a compare-and-swap on the name. Strictly so on local disk and on
   * S3 stores that enforce `If-None-Match`; on others (s3rver) only a catalog CAS is (S3Storage).
   */
  putNew(key: string, body: Uint8Array | string): Promise<boolean>;
  /**
   * A fresh local path where a caller (e.g. DuckDB's `COPY … TO`) may write a file destined for
   * `key`; `putFile` then publishes it cheaply. The directory exists; the file does not.
   */
  tempFileFor(key: string): Promise<string>;
  /**
   * Publishes a complete local file as the new object `key` and consumes the local file.
   * Throws DESTINATION_WRITE when the key already exists (object names are never reused).
   */
  putFile(key: string, localFile: string): Promise<void>;
  /** Atomically replaces a small pointer object. Only for pointers; data is never overwritten. */
  overwrite(key: string, body: Uint8Array | string): Promise<void>;
  /** The object's bytes; throws SOURCE_NOT_FOUND when it does not exist. */
  read(key: string): Promise<Buffer>;
  /**
   * Copies the object into `localFile`, which must not exist yet, streaming so memory stays flat
   * (how engines that only read local files get at a remote store). SOURCE_NOT_FOUND when missing.
   */
  download(key: string, localFile: string): Promise<void>;
  /** True when the object exists. */
  exists(key: string): Promise<boolean>;
  /** The object's size in bytes; throws SOURCE_NOT_FOUND when it does not exist. */
  size(key: string): Promise<number>;
  /**
   * When the object was last written, in ms since the epoch (orphan cleanup spares files younger
   * than its grace period, so a writer in flight is never hurt); SOURCE_NOT_FOUND when missing.
   * Optional: a store without it cannot have orphan files removed.
   */
  modifiedAt?(key: string): Promise<number>;
  /** Every key under `prefix` (recursively), sorted; empty when there is none. */
  list(prefix: string): Promise<string[]>;
  /** The immediate "folders" under `prefix` (keys ending in `/`), sorted, like an S3 delimiter listing. */
  listPrefixes(prefix: string): Promise<string[]>;
  /** Removes the object; a missing object is not an error. */
  delete(key: string): Promise<void>;
}
