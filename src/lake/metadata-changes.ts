/**
 * Table operations that change metadata without adding a snapshot (rollback, expiry) build the
 * next version the same way: the changed fields, a fresh `last-updated-ms` that never goes
 * backwards, and the replaced metadata file appended to the metadata log.
 */
import type { TableMetadata } from './table-metadata.js';
import type { LoadedTable } from './table-versions.js';

/** `table`'s metadata with `changes` applied, as the version after it. */
export function nextVersionOf(table: LoadedTable, changes: Partial<TableMetadata>): TableMetadata {
  const { metadata } = table;
  return {
    ...metadata,
    ...changes,
    'last-updated-ms': Math.max(Date.now(), metadata['last-updated-ms']),
    'metadata-log': [
      ...metadata['metadata-log'],
      { 'metadata-file': table.metadataUrl, 'timestamp-ms': metadata['last-updated-ms'] },
    ],
  };
}
