/**
 * Which control database holds a lake's catalog. Named explicitly (`--control`, a project's
 * `control:`) it is used as given; otherwise a local lake keeps its own at
 * `<root>/_sluice/control.db`, so any command naming the lake, from any directory, finds the
 * catalog and the run history. A lake on S3 has no local file to keep it in: writers must name a
 * shared (PostgreSQL) control database, readers without one fall back to reading by path.
 */
import type { ControlDb } from '../control/control-db.js';
import { openControlDb } from '../control/open-control-db.js';
import { SluiceError } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';

/** Key, under the lake root, of a local lake's own control database. `_` keeps it out of table scans. */
export const LAKE_CONTROL_KEY = '_sluice/control.db';

/** A control database for a lake, with whether closing it is ours to do. */
export interface LakeControl {
  /** The open database, or null when reading a lake that has no catalog (tables are read by path). */
  db: ControlDb | null;
  /** Closes the database if it was opened here (not when the caller passed one in). */
  close(): Promise<void>;
}

/** `sqlite:<root>/_sluice/control.db` for a local lake; a usage error for a remote one. */
export function defaultLakeControlUrl(storage: ObjectStorage): string {
  const file = storage.localPath(LAKE_CONTROL_KEY);
  if (file === null) {
    throw new SluiceError('USAGE', `which control database holds the catalog of ${storage.rootUrl}?`, {
      hint: 'a lake on object storage keeps its catalog in a shared control database: pass --control postgres://… (or set control: in sluice.yml)',
    });
  }
  return `sqlite:${file}`;
}

/**
 * Opens the control database for a lake. `control` is a URL, an open database (kept open on
 * close) or undefined for the lake's default. Readers never create the default database: a lake
 * without one is read by path, and a read-only lake stays untouched.
 */
export async function openLakeControl(
  storage: ObjectStorage,
  control: string | ControlDb | undefined,
  purpose: 'read' | 'write',
): Promise<LakeControl> {
  if (control !== undefined && typeof control !== 'string') return { db: control, close: async () => {} };
  let url = control;
  if (url === undefined) {
    if (purpose === 'read') {
      const file = storage.localPath(LAKE_CONTROL_KEY);
      if (file === null || !(await storage.exists(LAKE_CONTROL_KEY)))
        return { db: null, close: async () => {} };
    }
    url = defaultLakeControlUrl(storage);
  }
  const db = await openControlDb(url);
  return { db, close: () => db.close() };
}
