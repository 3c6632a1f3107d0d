/**
 * ObjectStorage on the local filesystem. New objects are written to a hidden temporary file in
 * the target directory, flushed, and then hard-linked to their final name: `link` fails with
 * EEXIST instead of replacing, so it publishes atomically *and* exclusively — the
 * compare-and-swap the lake's metadata commit needs on a plain disk.
 */
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SluiceError, messageOf } from '../core/errors.js';
import type { ObjectStorage } from './storage.js';

const TEMP_SUFFIX = '.tmp';

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

export class LocalStorage implements ObjectStorage {
  /** Absolute path of the root directory. */
  readonly root: string;
  readonly rootUrl: string;

  /** `location` is a directory path or a `file://` URL; it need not exist yet. */
  constructor(location: string) {
    this.root = path.resolve(location.startsWith('file:') ? fileURLToPath(location) : location);
    this.rootUrl = pathToFileURL(this.root + path.sep).href;
  }

  url(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  keyOf(url: string): string {
    const absolute = url.startsWith('file:') ? fileURLToPath(url) : url;
    const relative = path.relative(this.root, absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new SluiceError('LAKE_CORRUPT', `${url} is outside the lake root ${this.rootUrl}`, {
        hint: 'the table metadata names a file in another location; was the lake directory moved or copied?',
      });
    }
    return relative.split(path.sep).join('/');
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  async putNew(key: string, body: Uint8Array | string): Promise<boolean> {
    const target = this.pathOf(key);
    const temp = await this.tempFileFor(key);
    try {
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.link(temp, target);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw this.writeError(key, error);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  async tempFileFor(key: string): Promise<string> {
    const target = this.pathOf(key);
    await this.makeParent(key);
    return path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}${TEMP_SUFFIX}`);
  }

  async putFile(key: string, localFile: string): Promise<void> {
    const target = this.pathOf(key);
    await this.makeParent(key);
    let published = localFile;
    try {
      await flushFile(localFile);
      try {
        await fs.link(localFile, target);
      } catch (error) {
        // A file on another filesystem cannot be linked: copy it next to the target first.
        if (errnoCode(error) !== 'EXDEV') throw error;
        published = await this.tempFileFor(key);
        await fs.copyFile(localFile, published, fsConstants.COPYFILE_EXCL);
        await flushFile(published);
        await fs.link(published, target);
      }
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') {
        throw new SluiceError('DESTINATION_WRITE', `refusing to overwrite ${this.url(key)}`, {
          hint: 'object names are never reused; this is a bug in the caller',
        });
      }
      throw this.writeError(key, error);
    } finally {
      await fs.rm(localFile, { force: true });
      if (published !== localFile) await fs.rm(published, { force: true });
    }
  }

  async overwrite(key: string, body: Uint8Array | string): Promise<void> {
    const temp = await this.tempFileFor(key);
    try {
      await fs.writeFile(temp, body, { flag: 'wx' });
      await flushFile(temp);
      await fs.rename(temp, this.pathOf(key));
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw this.writeError(key, error);
    }
  }

  async read(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error) {
      throw this.readError(key, error);
    }
  }

  async download(key: string, localFile: string): Promise<void> {
    try {
      await fs.copyFile(this.pathOf(key), localFile, fsConstants.COPYFILE_EXCL);
    } catch (error) {
      throw this.readError(key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.stat(this.pathOf(key));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw this.readError(key, error);
    }
  }

  async size(key: string): Promise<number> {
    try {
      return (await fs.stat(this.pathOf(key))).size;
    } catch (error) {
      throw this.readError(key, error);
    }
  }

  async modifiedAt(key: string): Promise<number> {
    try {
      return (await fs.stat(this.pathOf(key))).mtimeMs;
    } catch (error) {
      throw this.readError(key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const keys: string[] = [];
    await this.walk(folder, keys);
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const entries = await this.readDir(folder);
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${folder}${entry.name}/`)
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await fs.rm(this.pathOf(key), { force: true });
    } catch (error) {
      throw this.writeError(key, error);
    }
  }

  private pathOf(key: string): string {
    if (key.startsWith('/') || key.split('/').some((part) => part === '..')) {
      throw new SluiceError('USAGE', `invalid object key ${JSON.stringify(key)}`, {
        hint: 'keys are relative to the lake root and never contain ".."',
      });
    }
    return path.join(this.root, ...key.split('/'));
  }

  private async makeParent(key: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(this.pathOf(key)), { recursive: true });
    } catch (error) {
      throw this.writeError(key, error);
    }
  }

  private async readDir(folder: string) {
    try {
      return await fs.readdir(folder === '' ? this.root : this.pathOf(folder), { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
      throw this.readError(folder, error);
    }
  }

  private async walk(folder: string, into: string[]): Promise<void> {
    for (const entry of await this.readDir(folder)) {
      if (entry.isDirectory()) await this.walk(`${folder}${entry.name}/`, into);
      else if (!isTempName(entry.name)) into.push(`${folder}${entry.name}`);
    }
  }

  private writeError(key: string, error: unknown): SluiceError {
    return new SluiceError('DESTINATION_WRITE', `cannot write ${this.url(key)}: ${messageOf(error)}`, {
      cause: error,
      retryable: errnoCode(error) === 'EAGAIN' || errnoCode(error) === 'EBUSY',
      hint:
        errnoCode(error) === 'ENOSPC'
          ? 'the disk is full; free space or move the lake root'
          : `check that ${this.root} exists and is writable by this user`,
    });
  }

  private readError(key: string, error: unknown): SluiceError {
    if (errnoCode(error) === 'ENOENT') {
      return new SluiceError('SOURCE_NOT_FOUND', `no object at ${this.url(key)}`, {
        cause: error,
        hint: 'check the lake root path; files under it may have been removed by hand',
      });
    }
    return new SluiceError('LAKE_CORRUPT', `cannot read ${this.url(key)}: ${messageOf(error)}`, {
      cause: error,
      hint: `check that ${this.root} is readable by this user`,
    });
  }
}

/** Flushes a file's contents to disk so a crash cannot leave committed metadata naming lost data. */
async function flushFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
