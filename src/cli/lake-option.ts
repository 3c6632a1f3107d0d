import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import { lakeRootOf } from '../destinations/registry.js';
import type { StorageLocation } from '../storage/open-storage.js';
import { projectLake } from './project-syncs.js';

/** Adds `--lake <dir | s3://bucket/prefix>` to a command that reads a lake. */
export function withLakeOption(command: Command): Command {
  return command.option(
    '--lake <dir | s3://bucket/prefix>',
    'lake root: a directory or s3://bucket/prefix[?endpoint=…&region=…&path_style=true] (default: the one lake: connection in the project file)',
  );
}

/**
 * The lake root for a command: `--lake` (a directory, an `s3://` URL or a `lake:` URL; S3
 * credentials then come from the AWS environment), else the project file's single `lake:`
 * connection with its `s3:` settings; a usage error when neither says which lake.
 */
export async function resolveLakeRoot(
  lake: string | undefined,
  configPath: string,
): Promise<StorageLocation> {
  if (lake !== undefined) return { url: lakeRootOf(lake.startsWith('lake:') ? lake : `lake:${lake}`) };
  const fromProject = await projectLake(configPath);
  if (fromProject !== undefined) return { ...fromProject, url: lakeRootOf(fromProject.url) };
  throw new SluiceError('USAGE', 'which lake? --lake is missing', {
    hint: 'pass --lake <dir | s3://bucket/prefix>, e.g. --lake ./lake (or define one lake: connection in sluice.yml)',
  });
}

/**
 * Where `sluice query` keeps copies of a remote lake's data files: SLUICE_CACHE_DIR, else
 * `$XDG_CACHE_HOME/sluice`, else `~/.cache/sluice`. Copies never go stale (files are never
 * rewritten); delete the folder to reclaim the space.
 */
export function lakeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLUICE_CACHE_DIR) return path.resolve(env.SLUICE_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sluice');
}

/** Splits `namespace.table` (the table part may itself contain dots only if quoted by the caller). */
export function parseTableName(text: string): { namespace: string; name: string } {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1) {
    throw new SluiceError('USAGE', `"${text}" is not a namespace.table name`, {
      hint: 'lake tables are named <namespace>.<table>, e.g. main.Track; `sluice tables` lists them',
    });
  }
  return { namespace: text.slice(0, dot), name: text.slice(dot + 1) };
}
