import path from 'node:path';
import { SluiceError } from '../core/errors.js';
import type { S3Settings } from '../storage/s3-location.js';
import { isS3Url, parseS3Url } from '../storage/s3-location.js';
import type { Destination } from './destination.js';
import { DuckDBFileDestination, duckdbFileOf } from './duckdb/duckdb-destination.js';
import { LakeDestination } from './lake/lake-destination.js';
import { PostgresDestination } from './postgres/postgres-destination.js';

const ACCEPTED = 'lake:<dir> or lake:s3://bucket/prefix';

/** Settings of a destination connection that do not belong in its URL (a project file's `s3:` block). */
export interface DestinationSettings {
  /** S3 settings for a `lake:s3://…` destination (credentials above all). */
  s3?: S3Settings;
  /** The control database holding a lake's catalog (default: the lake's own, see control-url.ts). */
  control?: string;
}

/**
 * The lake root of a `lake:<dir>` or `lake:s3://bucket/prefix[?…]` URL: an absolute directory, or
 * the checked `s3://` URL as written. Throws a usage error otherwise.
 */
export function lakeRootOf(url: string): string {
  if (!url.startsWith('lake:')) {
    throw new SluiceError('USAGE', `not a lake URL: ${url}`, { hint: `write it as ${ACCEPTED}` });
  }
  const target = url.slice('lake:'.length);
  if (target === '') throw new SluiceError('USAGE', 'lake: needs a directory', { hint: 'e.g. lake:./lake' });
  if (isS3Url(target)) {
    parseS3Url(target);
    return target;
  }
  return path.resolve(target.startsWith('file://') ? new URL(target).pathname : target);
}

/** Opens the destination a `--to` URL names. Does no I/O; call `check()` next. */
export function destinationForUrl(url: string, settings: DestinationSettings = {}): Destination {
  if (url.startsWith('lake:')) {
    return new LakeDestination(
      { url: lakeRootOf(url), ...(settings.s3 && { s3: settings.s3 }) },
      { ...(settings.control !== undefined && { control: settings.control }) },
    );
  }
  if (url.startsWith('duckdb:')) return new DuckDBFileDestination(duckdbFileOf(url));
  // postgres:// is also a source scheme; here it is a destination because it came as --to.
  if (/^postgres(ql)?:\/\//i.test(url)) return PostgresDestination.fromUrl(url);
  throw new SluiceError(
    'USAGE',
    `unknown destination: ${url.includes('@') ? '(a URL with credentials)' : url}`,
    {
      hint: `destinations are written as ${ACCEPTED}, duckdb:<file> or postgres://user@host:5432/db[?schema=s]`,
    },
  );
}
