import path from 'node:path';
import { loadProject } from '../config/load-project.js';
import type { Project, ProjectS3Settings, ProjectSync } from '../config/resolve-project.js';
import { streamSettings } from '../config/resolve-project.js';
import { SluiceError } from '../core/errors.js';
import { lakeRootOf } from '../destinations/registry.js';
import type { SyncRequest } from '../sync/sync-report.js';

/** The sync requests of a project file: all its syncs, or the one named. */
export async function projectSyncRequests(
  configPath: string,
  name: string | undefined,
  controlOverride: string | undefined,
): Promise<SyncRequest[]> {
  const project = await loadProject(configPath);
  const syncs = name === undefined ? project.syncs : project.syncs.filter((s) => s.name === name);
  if (syncs.length === 0) {
    throw new SluiceError(
      'USAGE',
      name === undefined ? `${project.path} defines no syncs` : `no sync named "${name}" in ${project.path}`,
      { hint: `defined: ${project.syncs.map((s) => s.name).join(', ') || 'none; add one under syncs:'}` },
    );
  }
  return syncs.map((sync) => ({
    from: projectUrl(project, sync.from),
    to: projectUrl(project, sync.to),
    ...s3Of(project, sync.to),
    tables: sync.tables,
    ...(cdcSync(project, sync) && { mode: 'cdc' as const }),
    settingsFor: (namespace: string, table: string) => streamSettings(sync, namespace, table),
    control: controlOverride ?? project.control,
  }));
}

/**
 * True for a sync with `mode: cdc`: one change stream follows all its tables, so none of them
 * may be read another way, and no table of another sync may ask for cdc alone.
 */
function cdcSync(project: Project, sync: ProjectSync): boolean {
  const cdc = sync.mode === 'cdc';
  const other = Object.entries(sync.streams).find(([, settings]) => (settings.mode === 'cdc') !== cdc);
  if (other) {
    throw new SluiceError(
      'CONFIG',
      `sync ${sync.name} in ${project.path}: table ${other[0]} has mode ${other[1].mode}, the sync ${sync.mode}`,
      {
        hint: cdc
          ? 'a cdc sync follows the log of all its tables; move the table to a sync of its own with its mode'
          : 'put the tables to follow by change data capture in a sync of their own with mode: cdc',
      },
    );
  }
  return cdc;
}

/** A connection's URL with a relative `lake:`/`sqlite:`/`file:` path made absolute against the project's folder. */
function projectUrl(project: Project, connection: string): string {
  const url = project.connections[connection]?.url;
  if (url === undefined) throw new SluiceError('CONFIG', `connection ${connection} is not defined`);
  const local = /^(lake|sqlite|file):(?!\/\/)(.+)$/.exec(url);
  if (!local || local[2] === undefined || local[2].startsWith('s3://') || path.isAbsolute(local[2]))
    return url;
  return `${local[1]}:${path.resolve(project.dir, local[2])}`;
}

/** The project's `s3:` settings of a connection, as a sync request's destination settings. */
function s3Of(project: Project, connection: string): Pick<SyncRequest, 'destinationSettings'> {
  const s3 = project.connections[connection]?.s3;
  return s3 ? { destinationSettings: { s3 } } : {};
}

/** The lake a project names (its `lake:` URL and `s3:` settings), when it has exactly one `lake:` connection. */
export async function projectLake(
  configPath: string,
): Promise<{ url: string; s3?: ProjectS3Settings } | undefined> {
  const project = await loadProject(configPath).catch(() => undefined);
  if (!project) return undefined;
  const lakes = Object.values(project.connections).filter((c) => c.url.startsWith('lake:'));
  const lake = lakes.length === 1 ? lakes[0] : undefined;
  return lake && { url: projectUrl(project, lake.name), ...(lake.s3 && { s3: lake.s3 }) };
}

/**
 * The project's control database when the project file has a `lake:` connection at `lakeRoot`
 * (that lake's catalog lives there); undefined for any other lake or without a project file.
 */
export async function projectControlForLake(
  configPath: string,
  lakeRoot: string,
): Promise<string | undefined> {
  const project = await loadProject(configPath).catch(() => undefined);
  if (!project) return undefined;
  const roots = Object.values(project.connections)
    .filter((c) => c.url.startsWith('lake:'))
    .flatMap((c) => {
      try {
        return [lakeRootOf(projectUrl(project, c.name))];
      } catch {
        return []; // a broken lake URL is reported by the commands that use it
      }
    });
  return roots.includes(lakeRoot) ? project.control : undefined;
}
