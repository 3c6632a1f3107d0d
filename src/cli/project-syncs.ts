import path from 'node:path';
import { loadProject } from '../config/load-project.js';
import type { Project } from '../config/resolve-project.js';
import { streamSettings } from '../config/resolve-project.js';
import { SluiceError } from '../core/errors.js';
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
    tables: sync.tables,
    settingsFor: (namespace: string, table: string) => streamSettings(sync, namespace, table),
    control: controlOverride ?? project.control,
  }));
}

/** A connection's URL with a relative `lake:`/`sqlite:` path made absolute against the project's folder. */
function projectUrl(project: Project, connection: string): string {
  const url = project.connections[connection]?.url;
  if (url === undefined) throw new SluiceError('CONFIG', `connection ${connection} is not defined`);
  const local = /^(lake|sqlite):(?!\/\/)(.+)$/.exec(url);
  if (!local || local[2] === undefined || local[2].startsWith('s3://') || path.isAbsolute(local[2]))
    return url;
  return `${local[1]}:${path.resolve(project.dir, local[2])}`;
}

/** The lake root a project names, when it has exactly one `lake:` connection. */
export async function projectLakeUrl(configPath: string): Promise<string | undefined> {
  const project = await loadProject(configPath).catch(() => undefined);
  if (!project) return undefined;
  const lakes = Object.values(project.connections).filter((c) => c.url.startsWith('lake:'));
  return lakes.length === 1 && lakes[0] ? projectUrl(project, lakes[0].name) : undefined;
}
