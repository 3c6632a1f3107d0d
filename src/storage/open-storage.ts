/**
 * The store for a lake root: a local directory (path or `file://` URL) or `s3://bucket/prefix`.
 * A root is usually just its URL; a project file may add S3 settings (credentials above all)
 * that must not be written into the URL.
 */
import { LocalStorage } from './local-storage.js';
import type { S3Settings } from './s3-location.js';
import { isS3Url, parseS3Url } from './s3-location.js';
import { S3Storage } from './s3-storage.js';
import type { ObjectStorage } from './storage.js';

/** A lake root with the settings that do not fit in its URL. */
export interface StorageLocation {
  /** A directory, a `file://` URL or `s3://bucket/prefix[?endpoint=…&region=…&path_style=…]`. */
  url: string;
  /** S3 settings for an `s3://` root; the URL's query wins where both say something. */
  s3?: S3Settings;
}

/** The root URL of a location, for messages (an `s3://` query holds no secrets). */
export function locationUrl(location: string | StorageLocation): string {
  return typeof location === 'string' ? location : location.url;
}

/** Opens the store of a lake root. Does no I/O. */
export function openStorage(location: string | StorageLocation): ObjectStorage {
  const { url, s3 } = typeof location === 'string' ? { url: location, s3: undefined } : location;
  return isS3Url(url) ? new S3Storage(parseS3Url(url, s3)) : new LocalStorage(url);
}
