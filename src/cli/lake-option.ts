import type { Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import { lakeRootOf } from '../destinations/registry.js';
import { projectLakeUrl } from './project-syncs.js';

/** Adds `--lake <dir>` to a command that reads a lake. */
export function withLakeOption(command: Command): Command {
  return command.option(
    '--lake <dir>',
    'lake root directory (default: the one lake: connection in the project file)',
  );
}

/**
 * The lake root for a command: `--lake` (a directory or a `lake:` URL), else the project file's
 * single `lake:` connection; a usage error when neither says which lake.
 */
export async function resolveLakeRoot(lake: string | undefined, configPath: string): Promise<string> {
  if (lake !== undefined) return lakeRootOf(lake.startsWith('lake:') ? lake : `lake:${lake}`);
  const fromProject = await projectLakeUrl(configPath);
  if (fromProject !== undefined) return lakeRootOf(fromProject);
  throw new SluiceError('USAGE', 'which lake? --lake is missing', {
    hint: 'pass --lake <dir>, e.g. --lake ./lake (or define one lake: connection in sluice.yml)',
  });
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
