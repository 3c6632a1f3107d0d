/**
 * The position of an incremental file source: which files are loaded, compact enough to ride in
 * every snapshot summary (Iceberg keeps all snapshots' summaries in each metadata file, so a
 * position listing every path would make metadata grow with files × runs).
 *
 * Decision: a watermark plus the identities of the newest loaded files. `since` says every file
 * modified before it is loaded; `recent` holds a 64-bit digest of (name, version) of each loaded
 * file modified at or after `since`, at most RECENT_FILES of them (~17 bytes each). A file is
 * read when it is not covered: new, or changed (its version, `size:mtime` or the ETag, differs,
 * and a change moves its mtime past the watermark). When more files are loaded than fit, the
 * watermark moves up to just past the newest file that no longer fits.
 *
 * Caveat (documented in the README): a file that appears later with a modification time older
 * than the watermark (copied with its mtime preserved, `cp -p`, `rsync -t`, or an S3 object whose
 * upload started long before it completed) is taken as loaded. With fewer than RECENT_FILES
 * files that never happens: the watermark stays at 0 and every file is checked by identity.
 */
import { createHash } from 'node:crypto';
import { SluiceError } from '../../core/errors.js';
import type { SourcePosition } from '../../core/stream.js';
import type { ListedFile } from './file-store.js';

/** Loaded files remembered by identity; older ones are covered by the watermark. */
export const RECENT_FILES = 1000;

/** A decoded position. */
export interface FilesPosition {
  /** Files modified before this time (ms since the epoch) count as loaded. */
  since: number;
  /** Digests of the loaded files modified at or after `since`. */
  recent: ReadonlySet<string>;
  /** Files loaded over all runs (for people reading the snapshot summary). */
  loaded: number;
}

const EMPTY: FilesPosition = { since: 0, recent: new Set(), loaded: 0 };

/** The 16-hex-digit identity of one version of one file. */
export function fileDigest(file: Pick<ListedFile, 'name' | 'version'>): string {
  return createHash('sha256').update(`${file.name}\0${file.version}`).digest('hex').slice(0, 16);
}

/** Decodes a position read back from a snapshot; null (no previous read) means nothing is loaded. */
export function decodeFilesPosition(position: SourcePosition | null): FilesPosition {
  if (position === null) return EMPTY;
  const { kind, since, recent, loaded } = position;
  if (kind !== 'files' || typeof since !== 'number' || typeof recent !== 'string') {
    throw new SluiceError('SOURCE_READ', 'the table was last written from a different source position', {
      hint: 'an incremental file sync continues only a table written by an incremental file sync; sync into a new table or use --mode full',
    });
  }
  return {
    since,
    recent: new Set(recent === '' ? [] : recent.split(',')),
    loaded: typeof loaded === 'number' ? loaded : 0,
  };
}

/** True when `file` (this version of it) is already loaded. */
export function isLoaded(position: FilesPosition, file: ListedFile): boolean {
  return file.modifiedMs < position.since || position.recent.has(fileDigest(file));
}

/**
 * The position once `newlyLoaded` are loaded on top of `previous`, given every file listed now
 * (loaded files no longer listed are forgotten).
 */
export function advanceFilesPosition(
  previous: FilesPosition,
  listed: readonly ListedFile[],
  newlyLoaded: readonly ListedFile[],
): SourcePosition {
  const fresh = new Set(newlyLoaded.map(fileDigest));
  const loaded = listed
    .filter((file) => fresh.has(fileDigest(file)) || isLoaded(previous, file))
    .sort((a, b) => b.modifiedMs - a.modifiedMs);
  let since = previous.since;
  let kept = loaded;
  if (loaded.length > RECENT_FILES) {
    // Everything at or after the new watermark must fit: cut below the newest file left out.
    const cut = (loaded[RECENT_FILES]?.modifiedMs ?? 0) + 1;
    since = Math.max(since, cut);
    kept = loaded.filter((file) => file.modifiedMs >= since);
  } else {
    kept = loaded.filter((file) => file.modifiedMs >= since);
  }
  return {
    kind: 'files',
    since,
    recent: kept.map(fileDigest).sort().join(','),
    loaded: previous.loaded + newlyLoaded.length,
  };
}
