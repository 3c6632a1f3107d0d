/** Where a file source's files live: local disk or an S3-compatible bucket, behind one shape. */

/** A file a glob matched, as listed (nothing of its content read yet). */
export interface ListedFile {
  /** How messages, quarantine rows and positions name it: an absolute path or an `s3://` URL. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Changes whenever the content does: `<size>:<mtime ms>` on disk, the ETag on S3. */
  version: string;
  /** Last modification, ms since the epoch (S3: LastModified); incremental reads order by it. */
  modifiedMs: number;
}

/** The files of one `file:` or `s3://` source. */
export interface FileStore {
  /** The glob as given (an absolute path pattern, or an `s3://bucket/glob` without query), for messages. */
  readonly location: string;
  /** Every file the glob matches, sorted by name; SOURCE_NOT_FOUND when its base does not exist. */
  list(): Promise<ListedFile[]>;
  /** A local path holding exactly the listed version's bytes (the file itself, or a download). */
  localPath(file: ListedFile): Promise<string>;
  /** Releases clients and removes downloaded copies. Safe to call twice. */
  close(): Promise<void>;
}
