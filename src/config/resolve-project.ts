/**
 * From a validated project file to the `Project` the CLI and the sync layer use: defaults filled
 * in (sync names, dispositions), the control database path resolved next to the project file,
 * and secrets kept out of anything printed: `JSON.stringify` and `console.log` of a project or a
 * connection show URLs with the password replaced by `***`.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { redactUrl } from '../core/redact.js';
import type { PartitionFieldDecl } from '../core/partition-fields.js';
import type { Disposition, SchemaPolicy, SyncMode } from '../core/stream.js';
import { defaultSyncName } from './project-rules.js';
import type { ConnectionFile, ProjectFile, StreamOverrideFile, SyncFile } from './project-schema.js';
import { partitionFieldsOf } from './project-schema.js';
import { namesTable } from './table-names.js';

/** The control database of a project that does not name one, relative to the project file. */
export const DEFAULT_CONTROL_URL = 'sqlite:.sluice/control.db';

/** A named connection. */
export interface ProjectConnection {
  /** Its key under `connections:`. */
  name: string;
  /** Its URL with environment variables substituted: may hold a password, never print it. */
  url: string;
  /** S3 settings of an `s3://` connection; `secretAccessKey` is a secret, never print it. */
  s3?: ProjectS3Settings;
}

/** The `s3:` block of a connection, validated. */
export type ProjectS3Settings = NonNullable<ConnectionFile['s3']>;

/** How one table is synced, every default applied. */
export interface StreamSettings {
  /** How rows are selected. */
  mode: SyncMode;
  /** How rows are applied to the destination. */
  disposition: Disposition;
  /** Cursor column (incremental mode). */
  cursor?: string;
  /** Declared key columns; absent means the source table's primary key. */
  primaryKey?: string[];
  /** Partition fields of the destination table; absent: keep its partitioning. */
  partitionBy?: PartitionFieldDecl[];
  /** Schema policy of the destination table; absent: `evolve`. */
  schemaPolicy?: SchemaPolicy;
  /** For merge: soft-delete instead of removing rows. */
  softDelete?: boolean;
  /** Cursor-based incremental: delete destination rows whose key the source no longer has. */
  reconcileDeletes?: boolean;
  /** What quarantined rows do to the table's run: `warn` or `fail` over a threshold. */
  quarantine?: { policy: 'warn' | 'fail'; threshold?: number | string };
}

/** One sync; its own settings are the defaults for each of its tables. */
export interface ProjectSync extends StreamSettings {
  /** Its name (`<from>-to-<to>` unless set). */
  name: string;
  /** Source connection name. */
  from: string;
  /** Destination connection name. */
  to: string;
  /** `all` tables of the source, or the listed `table` / `namespace.table` entries. */
  tables: 'all' | string[];
  /** Per-table settings for tables that override the sync's, keyed as written. */
  streams: Record<string, StreamSettings>;
}

/** A loaded project. */
export interface Project {
  /** Absolute path of the project file. */
  path: string;
  /** Its directory: resolve relative paths in connection URLs (e.g. `lake:./lake`) against it. */
  dir: string;
  /** Control database URL; a relative `sqlite:` path is already resolved against `dir`. */
  control: string;
  /** Connections by name. */
  connections: Record<string, ProjectConnection>;
  /** Syncs in file order. */
  syncs: ProjectSync[];
}

/** Replace for full reads; merge for cursor reads (they overlap: connectors/cursor-position.ts); append for files. */
const defaultDisposition = (mode: SyncMode, cursor: string | undefined): Disposition =>
  mode === 'full' ? 'replace' : cursor === undefined ? 'append' : 'merge';

/** Makes `JSON.stringify` and `util.inspect` of `target` show `safe()` instead. */
function printAs<T extends object>(target: T, safe: () => unknown): T {
  return Object.defineProperties(target, {
    toJSON: { value: safe, enumerable: false },
    [inspect.custom]: { value: () => safe(), enumerable: false },
  });
}

function settings(
  own: StreamOverrideFile,
  inherited: {
    mode: SyncMode;
    disposition?: Disposition | undefined;
    cursor?: string;
    primaryKey?: string[];
    partitionBy?: PartitionFieldDecl[];
    schemaPolicy?: SchemaPolicy;
    softDelete?: boolean;
    reconcileDeletes?: boolean;
    quarantine?: StreamSettings['quarantine'];
  },
): StreamSettings {
  const mode = own.mode ?? inherited.mode;
  const cursor = own.cursor ?? inherited.cursor;
  const primaryKey = own.primaryKey ?? inherited.primaryKey;
  const partitionBy =
    own.partitionBy === undefined ? inherited.partitionBy : partitionFieldsOf(own.partitionBy);
  const schemaPolicy = own.schemaPolicy ?? inherited.schemaPolicy;
  const softDelete = own.softDelete ?? inherited.softDelete;
  const reconcileDeletes = own.reconcileDeletes ?? inherited.reconcileDeletes;
  const quarantine = own.quarantine ?? inherited.quarantine;
  return {
    mode,
    // An explicit disposition is inherited; the default follows this table's own mode.
    disposition: own.disposition ?? inherited.disposition ?? defaultDisposition(mode, cursor),
    ...(cursor === undefined ? {} : { cursor }),
    ...(primaryKey === undefined ? {} : { primaryKey }),
    ...(partitionBy === undefined ? {} : { partitionBy }),
    ...(schemaPolicy === undefined ? {} : { schemaPolicy }),
    ...(softDelete === undefined ? {} : { softDelete }),
    ...(reconcileDeletes === undefined ? {} : { reconcileDeletes }),
    ...(quarantine === undefined ? {} : { quarantine }),
  };
}

function resolveSync(sync: SyncFile): ProjectSync {
  const own = settings(sync, { mode: sync.mode });
  const streams = Object.fromEntries(
    Object.entries(sync.streams).map(([key, override]) => [
      key,
      settings(override, { ...own, disposition: sync.disposition }),
    ]),
  );
  return {
    name: sync.name ?? defaultSyncName(sync.from, sync.to),
    from: sync.from,
    to: sync.to,
    tables: sync.tables,
    ...own,
    streams,
  };
}

function resolveControl(control: string, dir: string): string {
  if (!control.startsWith('sqlite:')) return control;
  const path = control.slice('sqlite:'.length);
  return path === ':memory:' || isAbsolute(path) ? control : `sqlite:${resolve(dir, path)}`;
}

/** The `Project` for a validated, interpolated project file read from `path`. */
export function resolveProject(file: ProjectFile, path: string): Project {
  const absolute = resolve(path);
  const dir = dirname(absolute);
  const connections = Object.fromEntries(
    Object.entries(file.connections).map(([name, { url, s3 }]) => [
      name,
      printAs({ name, url, ...(s3 && { s3 }) }, () => ({
        name,
        url: redactUrl(url),
        ...(s3 && { s3: { ...s3, ...(s3.secretAccessKey !== undefined && { secretAccessKey: '***' }) } }),
      })),
    ]),
  );
  const project: Project = {
    path: absolute,
    dir,
    control: resolveControl(file.control ?? DEFAULT_CONTROL_URL, dir),
    connections,
    syncs: file.syncs.map(resolveSync),
  };
  return printAs(project, () => ({ ...project, control: redactUrl(project.control) }));
}

/**
 * The settings for one discovered table of a sync: its override (a `namespace.table` key wins
 * over a bare `table` key) or else the sync's own.
 */
export function streamSettings(sync: ProjectSync, namespace: string, name: string): StreamSettings {
  const keys = Object.keys(sync.streams).filter((key) => namesTable(key, namespace, name));
  const key = keys.find((k) => k.includes('.')) ?? keys[0];
  const {
    mode,
    disposition,
    cursor,
    primaryKey,
    partitionBy,
    schemaPolicy,
    softDelete,
    reconcileDeletes,
    quarantine,
  } = key === undefined ? sync : sync.streams[key]!;
  return {
    mode,
    disposition,
    ...(cursor === undefined ? {} : { cursor }),
    ...(primaryKey === undefined ? {} : { primaryKey }),
    ...(partitionBy === undefined ? {} : { partitionBy }),
    ...(schemaPolicy === undefined ? {} : { schemaPolicy }),
    ...(softDelete === undefined ? {} : { softDelete }),
    ...(reconcileDeletes === undefined ? {} : { reconcileDeletes }),
    ...(quarantine === undefined ? {} : { quarantine }),
  };
}
