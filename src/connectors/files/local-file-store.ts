/**
 * Files on local disk matched by a glob over an absolute path. The walk starts at the glob's
 * static prefix and descends only as deep as the pattern can match (any depth under `**`). A
 * path without wildcards names one file, or every file directly inside a directory.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SluiceError, messageOf } from '../../core/errors.js';
import type { FileStore, ListedFile } from './file-store.js';
import { globMatcher, hasWildcard, staticPrefix } from './glob.js';

export class LocalFileStore implements FileStore {
  /** The absolute glob. */
  readonly location: string;

  /** @param glob an absolute path or glob, `/`-separated */
  constructor(glob: string) {
    this.location = glob;
  }

  async list(): Promise<ListedFile[]> {
    let pattern = this.location;
    if (!hasWildcard(pattern)) {
      const info = await statOrNotFound(pattern, this.location);
      if (info.isFile()) return [listed(pattern, info)];
      pattern = `${pattern.replace(/\/+$/, '')}/*`;
    }
    const base = staticPrefix(pattern) || '/';
    const info = await statOrNotFound(base, this.location);
    if (!info.isDirectory()) return [];
    const rest = pattern.slice(base.length).replace(/^\//, '').split('/');
    const maxDepth = rest.includes('**') ? Infinity : rest.length;
    const matches = globMatcher(pattern);
    const files: ListedFile[] = [];
    await walk(base, maxDepth, async (file) => {
      if (matches(file)) files.push(listed(file, await stat(file)));
    });
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async localPath(file: ListedFile): Promise<string> {
    return file.name;
  }

  async close(): Promise<void> {}
}

function listed(file: string, info: { size: number; mtimeMs: number }): ListedFile {
  const modifiedMs = Math.floor(info.mtimeMs);
  return { name: file, size: info.size, version: `${info.size}:${modifiedMs}`, modifiedMs };
}

async function statOrNotFound(file: string, glob: string) {
  try {
    return await stat(file);
  } catch (error) {
    throw new SluiceError('SOURCE_NOT_FOUND', `${file} does not exist (${messageOf(error)})`, {
      hint: `check the path in file:${glob} (a relative path is resolved against the current directory)`,
      cause: error,
    });
  }
}

/** Calls `onFile` for every regular file under `dir` (symbolic links followed), at most `depth` levels down. */
async function walk(dir: string, depth: number, onFile: (file: string) => Promise<void>): Promise<void> {
  if (depth <= 0) return;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new SluiceError('SOURCE_READ', `cannot list ${dir}: ${messageOf(error)}`, {
      hint: 'check that the directory is readable by this user',
      cause: error,
    });
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.posix.join(dir, entry.name);
    const kind = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
    if (kind?.isDirectory()) await walk(full, depth - 1, onFile);
    else if (kind?.isFile()) await onFile(full);
  }
}
