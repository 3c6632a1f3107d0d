/**
 * The control database a sync uses when none is configured (`--control`, a project's `control:`).
 * The destination decides: a local lake keeps it inside itself (`<root>/_sluice/control.db`),
 * so its catalog and run history travel with it and every command that names the lake finds
 * them; a lake on S3 needs a shared one and says so; other destinations use
 * `.sluice/control.db` under `baseDir` (the working directory, or the project file's folder).
 */
import path from 'node:path';
import { defaultLakeControlUrl } from '../lake/lake-control.js';
import { openStorage } from '../storage/open-storage.js';
import { lakeRootOf } from './registry.js';

/** The default control database URL for a sync into `destinationUrl`. */
export function defaultControlUrl(destinationUrl: string, baseDir: string = process.cwd()): string {
  if (destinationUrl.startsWith('lake:'))
    return defaultLakeControlUrl(openStorage(lakeRootOf(destinationUrl)));
  return `sqlite:${path.join(baseDir, '.sluice', 'control.db')}`;
}
