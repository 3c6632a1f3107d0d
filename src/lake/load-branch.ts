/**
 * A big full load staged on an Iceberg branch, so that a crash loses at most the piece in flight
 * and `main` keeps the previous version until the new one is complete.
 *
 * Each finished piece of the load is committed as an append to the branch `sluice-load` (an
 * entry of the metadata's `refs`; main, the current snapshot, schema and spec do not move), its
 * snapshot summary carrying the position reached (`sluice.source-position`: which pieces are
 * done). The first piece's commit also records the load — its identity and plan — in the table
 * property `sluice.load`, so a later run can tell whether the branch belongs to the same load
 * (resume: skip what is done) or to another (discard it). Publishing is one ordinary commit on
 * main holding every file of the branch (an overwrite for a replace, an append for an append)
 * that also removes the branch ref and the property. The branch's snapshots stay in the
 * metadata as history until expiry; their files are the published snapshot's files.
 */
import { SluiceError } from '../core/errors.js';
import type { SourcePosition } from '../core/stream.js';
import { retryOnConflict } from './conflict-retry.js';
import { liveFiles } from './manifest-io.js';
import type { DataFile } from './manifest-schemas.js';
import type { SnapshotRequest } from './snapshot-commit.js';
import { commitSnapshot } from './snapshot-commit.js';
import type { TableCatalog } from './table-catalog.js';
import type { Snapshot, TableMetadata } from './table-metadata.js';
import { sourcePositionOf, summaryCount } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName } from './table-location.js';
import type { LoadedTable } from './table-versions.js';

/** The branch a staged load commits to (one per table: a table has one full load at a time). */
export const LOAD_BRANCH = 'sluice-load';
/** Table property naming the staged load: `{"identity": …, "plan": …}` as JSON. */
export const LOAD_PROPERTY = 'sluice.load';

/** What a staged load recorded about itself at its first commit. */
export interface LoadRecord {
  /** Identifies the load: the same source, stream, columns and table layout give the same identity. */
  identity: string;
  /** The load's plan (e.g. its key ranges), as the caller gave it; opaque here. */
  plan: unknown;
}

/** A staged load found on a table's branch. */
export interface StagedLoad extends LoadRecord {
  /** The branch head: the last piece committed. */
  head: Snapshot;
  /** The position the head was committed with. */
  position: SourcePosition | null;
  /** Rows committed on the branch. */
  rows: number;
  /** The branch's data files. */
  files: DataFile[];
}

/**
 * The staged load on `table`'s branch, or null when there is none (or its record is unreadable).
 * With `identity`, also null when the branch holds another load: its files are then not listed.
 */
export async function stagedLoadOf(
  catalog: TableCatalog,
  table: LoadedTable | null,
  identity?: string,
): Promise<StagedLoad | null> {
  if (!table) return null;
  const head = branchHead(table.metadata);
  const record = loadRecordOf(table.metadata);
  if (!head || !record || (identity !== undefined && record.identity !== identity)) return null;
  const files = (await liveFiles(catalog.storage, head)).map((file) => file.dataFile);
  return {
    ...record,
    head,
    position: positionOf(head),
    rows: summaryCount(head, 'total-records'),
    files,
  };
}

/** Commits a piece of a load to the branch (see the file comment); `record` on the first piece. */
export async function commitToBranch(
  catalog: TableCatalog,
  ident: TableIdent,
  base: LoadedTable | null,
  request: Omit<SnapshotRequest, 'operation' | 'branch' | 'properties' | 'dropRefs'>,
  record?: LoadRecord,
): Promise<LoadedTable> {
  const expectedHead = base ? (branchHead(base.metadata)?.['snapshot-id'] ?? null) : null;
  const piece: SnapshotRequest = {
    ...request,
    operation: 'append',
    branch: LOAD_BRANCH,
    ...(record && { properties: { [LOAD_PROPERTY]: JSON.stringify(record) } }),
  };
  // A commit on main meanwhile (a compaction, another table operation) moves the pointer but not
  // the branch: commit the piece again on the new state. A moved branch means another load.
  const { table } = await retryOnConflict(qualifiedName(ident), async (attempt) => {
    const current = attempt === 1 ? base : await catalog.load(ident);
    const head = current ? (branchHead(current.metadata)?.['snapshot-id'] ?? null) : null;
    if (head !== expectedHead) throw branchMoved(ident);
    // A new load starts an empty branch: a discarded load's head must not become its parent.
    const from = record && current ? withoutBranch(current) : current;
    return commitSnapshot(catalog, ident, from, {
      ...piece,
      schema: current ? { ...piece.schema, isNew: !hasSchema(current.metadata, piece) } : piece.schema,
    });
  });
  return table;
}

/** The head of the load branch, or null. */
export function branchHead(metadata: TableMetadata): Snapshot | null {
  const id = metadata.refs[LOAD_BRANCH]?.['snapshot-id'];
  if (id === undefined) return null;
  return metadata.snapshots.find((snapshot) => snapshot['snapshot-id'] === id) ?? null;
}

function withoutBranch(table: LoadedTable): LoadedTable {
  const refs = { ...table.metadata.refs };
  delete refs[LOAD_BRANCH];
  return { ...table, metadata: { ...table.metadata, refs } };
}

function loadRecordOf(metadata: TableMetadata): LoadRecord | null {
  const text = metadata.properties[LOAD_PROPERTY];
  if (text === undefined) return null;
  try {
    const value = JSON.parse(text) as Partial<LoadRecord>;
    return typeof value.identity === 'string' ? { identity: value.identity, plan: value.plan } : null;
  } catch {
    // Unreadable: treated as another load, so the branch is discarded rather than trusted.
    return null;
  }
}

/** The head's position; an unreadable one makes the load unusable, not the table: null. */
function positionOf(snapshot: Snapshot): SourcePosition | null {
  try {
    return sourcePositionOf(snapshot);
  } catch {
    return null;
  }
}

function hasSchema(metadata: TableMetadata, request: SnapshotRequest): boolean {
  return metadata.schemas.some((schema) => schema['schema-id'] === request.schema.schema['schema-id']);
}

function branchMoved(ident: TableIdent): SluiceError {
  return new SluiceError(
    'COMMIT_CONFLICT',
    `the staged load of ${qualifiedName(ident)} (branch ${LOAD_BRANCH}) was changed by another writer`,
    {
      retryable: true,
      hint: 'another run loaded this table at the same time; run the sync again: it resumes or restarts the load',
    },
  );
}
