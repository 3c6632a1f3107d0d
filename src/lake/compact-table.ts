/**
 * Compaction: the current snapshot's small data files (each sync chunk and each append makes
 * one) are rewritten into files of about the target size, committed as a `replace` snapshot
 * holding exactly the same rows (rewrite-snapshot.ts). Files are packed oldest first, greedily,
 * until a group reaches the target; a group of one file is left as it is. The new files are
 * written before the commit; if the commit fails they are deleted again. A commit that loses the
 * race is retried on the new state as long as every file it replaces is still live there.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { SluiceError, isSluiceError } from '../core/errors.js';
import type { DuckDB, DuckDBOptions } from '../engine/duckdb.js';
import { openDuckDB, quoteIdent } from '../engine/duckdb.js';
import { parquetScanSql } from '../engine/lake-views.js';
import { copyQueryToParquet } from '../engine/parquet-writer.js';
import type { ObjectStorage } from '../storage/storage.js';
import { retryOnConflict } from './conflict-retry.js';
import { dataFileFromParquet } from './data-file-stats.js';
import type { IcebergSchema } from './iceberg-schema.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from './iceberg-schema.js';
import type { LakeCatalog } from './lake-catalog.js';
import type { LocalCopyOptions } from './local-copies.js';
import { localCopies } from './local-copies.js';
import type { LiveFile } from './manifest-io.js';
import { liveFiles } from './manifest-io.js';
import type { DataFile } from './manifest-schemas.js';
import { commitRewrite } from './rewrite-snapshot.js';
import { currentSchema, currentSnapshot } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { dataFileKey, qualifiedName } from './table-location.js';

/** Default target size of a compacted file: big enough for efficient scans, small enough to rewrite. */
export const DEFAULT_TARGET_FILE_BYTES = 128 * 1024 * 1024;

/** How to compact. */
export interface CompactOptions {
  /** Files smaller than this are rewritten, packed into files of about this size (default 128 MiB). */
  targetSizeBytes?: number;
  /** Settings of the DuckDB that rewrites the files. */
  duckdb?: DuckDBOptions;
  /** Where copies of a remote lake's files are made to read them. */
  copies?: LocalCopyOptions;
}

/** What a compaction did. */
export interface CompactResult {
  /** The replace snapshot committed, or null when there was nothing to compact. */
  snapshotId: string | null;
  /** Live data files before. */
  filesBefore: number;
  /** Live data files after. */
  filesAfter: number;
  /** Files rewritten (removed from the current snapshot). */
  rewrittenFiles: number;
  /** Files written. */
  writtenFiles: number;
  /** Rows in the rewritten files (the same rows are in the new files). */
  rows: number;
}

/** Compacts the small data files of `ident` (see the file comment). */
export async function compactTable(
  lake: LakeCatalog,
  ident: TableIdent,
  options: CompactOptions = {},
): Promise<CompactResult> {
  const target = options.targetSizeBytes ?? DEFAULT_TARGET_FILE_BYTES;
  if (!Number.isFinite(target) || target < 1) {
    throw new SluiceError('USAGE', `the target file size must be positive (got ${target})`, {
      hint: 'e.g. --target-size 128MB',
    });
  }
  const tables = await lake.writableTables();
  const storage = lake.storage;
  const base = await tables.require(ident);
  const spec = base.metadata['partition-specs'].find(
    (candidate) => candidate['spec-id'] === base.metadata['default-spec-id'],
  );
  if (spec && spec.fields.length > 0) {
    throw new SluiceError('NOT_SUPPORTED', `cannot compact ${qualifiedName(ident)}: it is partitioned`, {
      hint: 'compaction rewrites unpartitioned tables in this version; files of a partitioned table stay as they are',
    });
  }
  const snapshot = currentSnapshot(base.metadata);
  const live = snapshot ? await liveFiles(storage, snapshot) : [];
  const groups = packSmallFiles(live, target);
  const nothing = {
    snapshotId: null,
    filesBefore: live.length,
    filesAfter: live.length,
    rewrittenFiles: 0,
    writtenFiles: 0,
    rows: 0,
  };
  if (groups.length === 0) return nothing;

  const schema = currentSchema(base.metadata);
  const written: { key: string; file: DataFile }[] = [];
  try {
    const db = await openDuckDB({ preserveInsertionOrder: false, ...options.duckdb });
    try {
      for (const group of groups) {
        written.push(await rewriteGroup(db, storage, ident, schema, group, options.copies));
      }
    } finally {
      db.close();
    }
    const removed = new Set(groups.flat().map((file) => file.dataFile.file_path));
    const added = written.map((entry) => entry.file);
    const { snapshot: committed } = await retryOnConflict(qualifiedName(ident), async (attempt) =>
      commitRewrite(tables, ident, attempt === 1 ? base : await tables.require(ident), { removed, added }),
    );
    return {
      snapshotId: String(committed['snapshot-id']),
      filesBefore: live.length,
      filesAfter: live.length - removed.size + added.length,
      rewrittenFiles: removed.size,
      writtenFiles: added.length,
      rows: added.reduce((sum, file) => sum + file.record_count, 0),
    };
  } catch (error) {
    if (!isSluiceError(error, 'COMMIT_UNKNOWN'))
      await Promise.allSettled(written.map((entry) => storage.delete(entry.key)));
    throw error;
  }
}

/** Groups of two or more files smaller than `target`, oldest first, each up to about `target`. */
export function packSmallFiles(live: readonly LiveFile[], target: number): LiveFile[][] {
  const small = live
    .filter((file) => file.dataFile.file_size_in_bytes < target)
    .sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  const groups: LiveFile[][] = [];
  let group: LiveFile[] = [];
  let bytes = 0;
  for (const file of small) {
    group.push(file);
    bytes += file.dataFile.file_size_in_bytes;
    if (bytes >= target) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
  }
  groups.push(group);
  return groups.filter((candidate) => candidate.length >= 2);
}

/** Writes one group's rows as one new data file (published under a fresh name, not yet committed). */
async function rewriteGroup(
  db: DuckDB,
  storage: ObjectStorage,
  ident: TableIdent,
  schema: IcebergSchema,
  group: readonly LiveFile[],
  copies: LocalCopyOptions | undefined,
): Promise<{ key: string; file: DataFile }> {
  const paths = await localCopies(
    storage,
    group.map((file) => ({ url: file.dataFile.file_path, bytes: file.dataFile.file_size_in_bytes })),
    copies,
  );
  const columns = schema.fields.map((field) => ({
    name: avroCompatibleName(field.name),
    parquetName: avroCompatibleName(field.name),
    fieldId: field.id,
    duckdbType: duckdbTypeOfIceberg(field.type),
  }));
  const key = dataFileKey(ident, `compact-${randomUUID()}.parquet`);
  const temp = await storage.tempFileFor(key);
  try {
    const names = columns.map((column) => quoteIdent(column.name)).join(', ');
    const result = await copyQueryToParquet(
      db,
      `SELECT ${names} FROM ${parquetScanSql(paths, columns)}`,
      columns,
      temp,
    );
    const expected = group.reduce((sum, file) => sum + file.dataFile.record_count, 0);
    if (result.rows !== expected) {
      throw new SluiceError(
        'DESTINATION_WRITE',
        `compacting ${qualifiedName(ident)}: ${group.length} files hold ${expected} rows, the new file ${result.rows}`,
        {
          hint: 'nothing was committed; a data file does not match its manifest — check it with `sluice query`',
        },
      );
    }
    await storage.putFile(key, temp);
    return { key, file: dataFileFromParquet(storage.url(key), result, schema.fields) };
  } finally {
    await fs.rm(temp, { force: true });
  }
}
