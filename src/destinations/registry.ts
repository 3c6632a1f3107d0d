import path from 'node:path';
import { SluiceError } from '../core/errors.js';
import type { Destination } from './destination.js';
import { LakeDestination } from './lake/lake-destination.js';

const ACCEPTED = 'lake:<dir>';

/** The lake root directory of a `lake:<dir>` URL, absolute. Throws a usage error otherwise. */
export function lakeRootOf(url: string): string {
  if (!url.startsWith('lake:')) {
    throw new SluiceError('USAGE', `not a lake URL: ${url}`, { hint: `write it as ${ACCEPTED}` });
  }
  const target = url.slice('lake:'.length);
  if (target === '') throw new SluiceError('USAGE', 'lake: needs a directory', { hint: 'e.g. lake:./lake' });
  if (target.startsWith('s3://')) {
    throw new SluiceError('NOT_SUPPORTED', 'lakes on S3 are not yet supported', {
      hint: `S3 storage arrives with the lake-tables issue; use ${ACCEPTED} on local disk today`,
    });
  }
  return path.resolve(target.startsWith('file://') ? new URL(target).pathname : target);
}

/** Opens the destination a `--to` URL names. Does no I/O; call `check()` next. */
export function destinationForUrl(url: string): Destination {
  if (url.startsWith('lake:')) return new LakeDestination(lakeRootOf(url));
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'duckdb' || scheme === 'postgres' || scheme === 'postgresql') {
    throw new SluiceError('NOT_SUPPORTED', `${scheme} destinations are not yet supported`, {
      hint: `they arrive with the lake-tables issue; supported today: ${ACCEPTED}`,
    });
  }
  throw new SluiceError(
    'USAGE',
    `unknown destination: ${url.includes('@') ? '(a URL with credentials)' : url}`,
    {
      hint: `destinations are written as ${ACCEPTED} (duckdb:<file> and postgres://… come later)`,
    },
  );
}
