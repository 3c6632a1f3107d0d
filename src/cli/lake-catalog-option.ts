import type { Command } from 'commander';
import { LakeCatalog } from '../lake/lake-catalog.js';
import type { StorageLocation } from '../storage/open-storage.js';
import { resolveLakeRoot, withLakeOption } from './lake-option.js';
import { info } from './output.js';
import { projectControlForLake } from './project-syncs.js';

/** The flags every lake command takes. */
export interface LakeFlags {
  /** `--lake <dir | s3://bucket/prefix>`. */
  lake?: string;
  /** `--control <url>`. */
  control?: string;
}

/** Adds `--lake` and `--control` to a lake command. */
export function withLakeOptions(command: Command): Command {
  return withLakeOption(command).option(
    '--control <url>',
    "control database holding the lake's catalog: sqlite:<file> | postgres://… (default: the project file's control: for its lake, else <lake>/_sluice/control.db)",
  );
}

/** An open lake for a command, with where it is. */
export interface OpenLake {
  /** The catalog; close it when done. */
  catalog: LakeCatalog;
  /** The lake root. */
  location: StorageLocation;
}

/**
 * Opens the lake a command names. The control database is `--control`, else the project file's
 * `control:` when the project has a `lake:` connection at this root, else the lake's own.
 */
export async function openLake(flags: LakeFlags, command: Command): Promise<OpenLake> {
  const { location, control } = await resolveLake(flags, command);
  return { catalog: LakeCatalog.open(location, { control }), location };
}

/** The lake root and control database URL (undefined: the lake's own) a command names. */
export async function resolveLake(
  flags: LakeFlags,
  command: Command,
): Promise<{ location: StorageLocation; control: string | undefined }> {
  const configPath = command.optsWithGlobals<{ config: string }>().config;
  const location = await resolveLakeRoot(flags.lake, configPath);
  return { location, control: flags.control ?? (await projectControlForLake(configPath, location.url)) };
}

/** Runs `fn` on the lake a command names and closes it afterwards. */
export async function withLake<T>(
  flags: LakeFlags,
  command: Command,
  fn: (lake: OpenLake) => Promise<T>,
): Promise<T> {
  const lake = await openLake(flags, command);
  try {
    return await fn(lake);
  } finally {
    await lake.catalog.close();
  }
}

/** Tells people (on stderr) which tables were read by path because the catalog does not hold them. */
export function notePathTables(
  tables: readonly { namespace: string; name: string; registered: boolean }[],
): void {
  const byPath = tables
    .filter((table) => !table.registered)
    .map((table) => `${table.namespace}.${table.name}`);
  if (byPath.length === 0) return;
  info(
    `note: not in this lake's catalog, read by path (version-hint.text): ${byPath.join(', ')}; ` +
      'a sync or table operation registers them, or pass the --control that wrote them',
  );
}
