import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadProject } from '../config/load-project.js';
import { DEFAULT_CONTROL_URL } from '../config/resolve-project.js';
import { SluiceError } from '../core/errors.js';
import { lakeRootOf } from '../destinations/registry.js';
import { LAKE_CONTROL_KEY } from '../lake/lake-control.js';

/** Where a reading command (`sluice runs`) finds the control database. */
export interface ControlChoice {
  /** The URL to open. */
  url: string;
  /** For an embedded database: its file, so a missing one can be reported instead of created. */
  file: string | null;
}

/**
 * The control database a reading command uses, as sync chose it: `--control` as given; else the
 * lake named by `--lake` (its own `<root>/_sluice/control.db`); else the project file's
 * `control:` (which has a default); else `sqlite:.sluice/control.db` in the current directory.
 */
export async function resolveControl(
  flags: { control?: string; lake?: string },
  configPath: string,
): Promise<ControlChoice> {
  if (flags.control !== undefined) return withFile(flags.control);
  if (flags.lake !== undefined) {
    const root = lakeRootOf(flags.lake.startsWith('lake:') ? flags.lake : `lake:${flags.lake}`);
    if (root.startsWith('s3://')) {
      throw new SluiceError('USAGE', `which control database holds the runs of ${root}?`, {
        hint: 'a lake on object storage records runs in a shared control database: pass --control postgres://…',
      });
    }
    return withFile(`sqlite:${path.join(root, LAKE_CONTROL_KEY)}`);
  }
  const project = await loadProject(configPath).catch(() => undefined);
  return withFile(project?.control ?? DEFAULT_CONTROL_URL);
}

function withFile(url: string): ControlChoice {
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return { url, file: null };
  return { url, file: path.resolve(url.slice('sqlite:'.length)) };
}

/** True when the embedded control database a choice names does not exist yet (nothing was recorded). */
export function controlMissing(choice: ControlChoice): boolean {
  return choice.file !== null && !existsSync(choice.file);
}
