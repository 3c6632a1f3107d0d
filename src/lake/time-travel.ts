/**
 * Time travel: which snapshot of a table a read "as of" a snapshot id or an instant sees, and
 * with which schema. As of an instant means the snapshot that was the table's current one then,
 * taken from the snapshot log (which records rollbacks too), as Iceberg's own readers do. The
 * snapshot's own schema is used, so columns a later replace dropped come back as they were.
 */
import { SluiceError } from '../core/errors.js';
import type { IcebergSchema } from './iceberg-schema.js';
import type { Snapshot, TableMetadata } from './table-metadata.js';
import { currentSchema } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName } from './table-location.js';
import type { LoadedTable } from './table-versions.js';

/** A point in a table's history: a snapshot id, or an instant. */
export type AsOfPoint = { snapshotId: string } | { timestampMs: number };

/** What `--as-of` asks for: a point, for one table or (absent `table`) for every table. */
export interface AsOf {
  /** The table it applies to; absent: every table (a snapshot id then selects the table that has it). */
  table?: TableIdent;
  /** The point in history. */
  point: AsOfPoint;
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses `<snapshot-id>` or an ISO-8601 instant (`2025-01-31`, `2025-01-31T12:00:00Z`; a time
 * without a zone is UTC). USAGE for anything else.
 */
export function parseAsOfPoint(text: string): AsOfPoint {
  const value = text.trim();
  if (/^\d+$/.test(value)) return { snapshotId: value.replace(/^0+(?=\d)/, '') };
  const match = ISO_INSTANT.exec(value);
  if (match) {
    const [, , , , hour, , , , zone] = match;
    const normalised = value.replace(' ', 'T') + (hour === undefined ? 'T00:00:00' : '') + (zone ? '' : 'Z');
    const ms = Date.parse(normalised);
    if (Number.isFinite(ms)) return { timestampMs: ms };
  }
  throw new SluiceError('USAGE', `"${text}" is neither a snapshot id nor an ISO-8601 instant`, {
    hint: 'e.g. --as-of 4871616543190873 (see `sluice history <table>`) or --as-of 2025-01-31T12:00:00Z',
  });
}

/** Parses one `--as-of` value: `[<namespace.table>=]<snapshot-id | instant>`. */
export function parseAsOf(text: string, parseTable: (name: string) => TableIdent): AsOf {
  const equals = text.indexOf('=');
  if (equals === -1) return { point: parseAsOfPoint(text) };
  return { table: parseTable(text.slice(0, equals)), point: parseAsOfPoint(text.slice(equals + 1)) };
}

/** The table's snapshot with this id; USAGE naming how to list the valid ones when there is none. */
export function snapshotById(table: LoadedTable, snapshotId: string): Snapshot {
  const found = findSnapshot(table.metadata, snapshotId);
  if (!found) {
    const name = qualifiedName(table.ident);
    throw new SluiceError('USAGE', `${name} has no snapshot ${snapshotId}`, {
      hint: `list its snapshots with \`sluice history ${name}\` (expired snapshots are gone for good)`,
    });
  }
  return found;
}

/** The snapshot with this id, or undefined. */
export function findSnapshot(metadata: TableMetadata, snapshotId: string): Snapshot | undefined {
  return metadata.snapshots.find((snapshot) => String(snapshot['snapshot-id']) === snapshotId);
}

/**
 * The snapshot that was current at `timestampMs`, or null when the table had none yet. Throws
 * USAGE when that snapshot has since been expired.
 */
export function snapshotAsOfTime(table: LoadedTable, timestampMs: number): Snapshot | null {
  const { metadata } = table;
  const log =
    metadata['snapshot-log'].length > 0
      ? metadata['snapshot-log']
      : metadata.snapshots.map((snapshot) => ({
          'snapshot-id': snapshot['snapshot-id'],
          'timestamp-ms': snapshot['timestamp-ms'],
        }));
  let entry: (typeof log)[number] | undefined;
  for (const candidate of log) if (candidate['timestamp-ms'] <= timestampMs) entry = candidate;
  const found = entry && findSnapshot(metadata, String(entry['snapshot-id']));
  if (found) return found;
  // No entry: before the table existed, unless expiry cut the history off (a parent is gone).
  const ids = new Set(metadata.snapshots.map((snapshot) => snapshot['snapshot-id']));
  const expired = metadata.snapshots.some(
    (snapshot) => snapshot['parent-snapshot-id'] !== undefined && !ids.has(snapshot['parent-snapshot-id']),
  );
  if (!entry && !expired) return null;
  const name = qualifiedName(table.ident);
  throw new SluiceError(
    'USAGE',
    `the snapshot ${name} had at ${new Date(timestampMs).toISOString()} has been expired`,
    { hint: `pick a later instant or a retained snapshot; \`sluice history ${name}\` lists them` },
  );
}

/** The schema a snapshot's data was written with (the table's current one when it does not say). */
export function schemaOfSnapshot(metadata: TableMetadata, snapshot: Snapshot): IcebergSchema {
  const id = snapshot['schema-id'];
  return metadata.schemas.find((schema) => schema['schema-id'] === id) ?? currentSchema(metadata);
}

/**
 * The snapshot a read of `table` sees under `asOf`: undefined for the current one, null when
 * the table did not exist yet at the instant asked for. A table's own entry wins over one for
 * every table; a snapshot id meant for every table applies to the table that has it.
 */
export function snapshotForRead(table: LoadedTable, asOf: readonly AsOf[]): Snapshot | null | undefined {
  const own = asOf.find((entry) => entry.table && sameTable(entry.table, table.ident));
  const entry = own ?? asOf.find((candidate) => !candidate.table && appliesTo(candidate.point, table));
  if (!entry) return undefined;
  return 'snapshotId' in entry.point
    ? snapshotById(table, entry.point.snapshotId)
    : snapshotAsOfTime(table, entry.point.timestampMs);
}

/**
 * Checks `asOf` against the tables a read covers: a table named must exist, a snapshot id for
 * every table must belong to one of them, and one instant for every table is the most there can be.
 */
export function checkAsOf(asOf: readonly AsOf[], tables: readonly LoadedTable[]): void {
  const global = asOf.filter((entry) => !entry.table);
  if (global.filter((entry) => 'timestampMs' in entry.point).length > 1) {
    throw new SluiceError('USAGE', 'more than one --as-of instant for every table', {
      hint: 'give one instant, or name the table: --as-of main.Track=2025-01-31T12:00:00Z',
    });
  }
  for (const entry of asOf) {
    if (entry.table) {
      const wanted = entry.table;
      if (!tables.some((table) => sameTable(table.ident, wanted))) {
        throw new SluiceError(
          'TABLE_NOT_FOUND',
          `--as-of names ${qualifiedName(wanted)}, which is not in the lake`,
          {
            hint: 'list the tables with `sluice tables`',
          },
        );
      }
    } else if ('snapshotId' in entry.point) {
      const id = entry.point.snapshotId;
      if (!tables.some((table) => findSnapshot(table.metadata, id))) {
        throw new SluiceError('USAGE', `no table in the lake has snapshot ${id}`, {
          hint: "list a table's snapshots with `sluice history <namespace.table>`, or write --as-of <namespace.table>=<snapshot-id>",
        });
      }
    }
  }
}

function appliesTo(point: AsOfPoint, table: LoadedTable): boolean {
  return 'timestampMs' in point || findSnapshot(table.metadata, point.snapshotId) !== undefined;
}

function sameTable(a: TableIdent, b: TableIdent): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}
