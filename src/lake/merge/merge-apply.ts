/**
 * Applying a merge by copy-on-write: the staged changes are de-duplicated by key (the last
 * change of a key in the batch wins), the data files that hold an incoming key are found
 * (merge-candidates.ts) and rewritten in one pass — their rows minus the changed keys, plus, for
 * a soft delete, the deleted rows kept with `_sluice_deleted_at` set — together with the
 * inserted and updated rows. Untouched files stay referenced as they are; the commit lists the
 * rewritten ones as DELETED and the new ones as ADDED.
 *
 * Why copy-on-write and not delete files: every reader then sees plain data files (DuckDB's
 * views, icebird, engines without merge-on-read), and reads stay as fast as before the merge;
 * the cost is rewriting whole files, which key bounds and partitions keep to the files a batch
 * actually touches.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent, quoteLiteral } from '../../engine/duckdb.js';
import { parquetScanSql } from '../../engine/lake-views.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type { LocalDataFile } from '../data-file-writer.js';
import { writeDataFiles } from '../data-file-writer.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from '../iceberg-schema.js';
import type { LocalCopyOptions } from '../local-copies.js';
import { localCopies } from '../local-copies.js';
import type { LiveFile } from '../manifest-io.js';
import { liveFiles } from '../manifest-io.js';
import { boundSpecById } from '../partitioning/partition-spec.js';
import { currentSnapshot } from '../table-metadata.js';
import type { LoadedTable } from '../table-versions.js';
import { assertMergeHolds } from './merge-check.js';
import { fieldScanColumns, keyJoinSql } from './merge-scan.js';
import { filesHoldingKeys, filesInKeyRange, keyRanges } from './merge-candidates.js';
import type { MergeLayout } from './merge-layout.js';
import { OP_COLUMN, SEQ_COLUMN } from './merge-stage.js';

/** What a merge did, counted on de-duplicated keys. */
export interface MergeStats {
  /** Keys that were not in the table and are now. */
  inserted: number;
  /** Keys whose row was replaced. */
  updated: number;
  /** Keys whose row was deleted (or, with soft delete, marked deleted). */
  deleted: number;
  /** Live data files before the merge. */
  filesBefore: number;
  /** Files whose bounds and partitions could hold an incoming key (their key columns were read). */
  filesScanned: number;
  /** Files rewritten (removed from the table). */
  filesRewritten: number;
  /** Bytes of the rewritten files. */
  bytesRewritten: number;
  /** Bytes of all live data files before the merge. */
  bytesBefore: number;
}

/** The files a merge writes and removes. */
export interface MergeOutcome {
  /** New data files (local, to publish before the commit). */
  files: LocalDataFile[];
  /** Paths (as the manifests record them) of the files the commit removes. */
  removed: Set<string>;
  /** Counts. */
  stats: MergeStats;
}

/** What `applyMerge` works on. */
export interface MergeRun {
  /** The table version the merge is based on (null: a new table). */
  base: LoadedTable | null;
  /** The staged changes (local Parquet files from `stageMergeChunk`). */
  staged: readonly string[];
  /** A private local directory for intermediate files. */
  workDir: string;
  /** The instant soft-deleted rows are marked with, as TIMESTAMPTZ text. */
  deletedAt: string;
  /** Where copies of a remote table's files are read from. */
  copies?: LocalCopyOptions;
}

/** Computes the merge; writes the new data files locally, changes nothing in the table. */
export async function applyMerge(
  db: DuckDB,
  storage: ObjectStorage,
  layout: MergeLayout,
  run: MergeRun,
): Promise<MergeOutcome> {
  const snapshot = run.base ? currentSnapshot(run.base.metadata) : null;
  const live = snapshot ? await liveFiles(storage, snapshot) : [];
  const bytesBefore = live.reduce((sum, file) => sum + file.dataFile.file_size_in_bytes, 0);
  const empty: MergeStats = {
    inserted: 0,
    updated: 0,
    deleted: 0,
    filesBefore: live.length,
    filesScanned: 0,
    filesRewritten: 0,
    bytesRewritten: 0,
    bytesBefore,
  };
  if (run.staged.length === 0) return { files: [], removed: new Set(), stats: empty };

  const keys = layout.keys.map((key) => quoteIdent(avroCompatibleName(key.name)));
  const changes = path.join(run.workDir, 'changes.parquet');
  await db.run(
    `COPY (SELECT * EXCLUDE (${SEQ_COLUMN}) FROM read_parquet([${run.staged.map(quoteLiteral).join(', ')}]) ` +
      `QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${SEQ_COLUMN} DESC) = 1) ` +
      `TO ${quoteLiteral(changes)} (FORMAT parquet)`,
  );
  const incoming = `read_parquet(${quoteLiteral(changes)})`;

  const specFields = (specId: number) =>
    boundSpecById(run.base?.metadata ?? null, layout.partition, layout.schema, specId).fields;
  const candidates = filesInKeyRange(live, await keyRanges(db, incoming, layout.keys), specFields);
  const candidatePaths = await localCopies(storage, candidates.map(remoteFile), run.copies);
  const affected = await filesHoldingKeys(db, candidates, candidatePaths, layout.keys, incoming);
  const affectedPaths = affected.map((file) => candidatePaths[candidates.indexOf(file)]!);

  const counts = await changeCounts(db, incoming, layout, affectedPaths);
  const files = await writeDataFiles(
    db,
    storage,
    rewriteQuery(layout, incoming, affectedPaths, run.deletedAt),
    {
      ident: layout.ident,
      fields: layout.schema.fields,
      partition: layout.partition.fields,
      prefix: 'merge',
    },
  );
  try {
    await assertMergeHolds(
      db,
      layout,
      incoming,
      affectedPaths,
      files.map((file) => file.localPath),
    );
  } catch (error) {
    await Promise.allSettled(files.map((file) => fs.rm(file.localPath, { force: true })));
    throw error;
  }
  return {
    files,
    removed: new Set(affected.map((file) => file.dataFile.file_path)),
    stats: {
      ...counts,
      filesBefore: live.length,
      filesScanned: candidates.length,
      filesRewritten: affected.length,
      bytesRewritten: affected.reduce((sum, file) => sum + file.dataFile.file_size_in_bytes, 0),
      bytesBefore,
    },
  };
}

function remoteFile(file: LiveFile): { url: string; bytes: number } {
  return { url: file.dataFile.file_path, bytes: file.dataFile.file_size_in_bytes };
}

/** Inserted, updated and deleted keys: an incoming key found in an affected file updates or deletes a row. */
async function changeCounts(
  db: DuckDB,
  incoming: string,
  layout: MergeLayout,
  affectedPaths: readonly string[],
): Promise<Pick<MergeStats, 'inserted' | 'updated' | 'deleted'>> {
  const found =
    affectedPaths.length === 0
      ? 'false'
      : `EXISTS (SELECT 1 FROM ${parquetScanSql(affectedPaths, fieldScanColumns(layout.keys))} t WHERE ${keyJoinSql(layout.keys, 't', 'i')})`;
  const [row] = (
    await db.query(
      `SELECT count(*) FILTER (WHERE ${OP_COLUMN} = 'u' AND NOT found), count(*) FILTER (WHERE ${OP_COLUMN} = 'u' AND found), ` +
        `count(*) FILTER (WHERE ${OP_COLUMN} = 'd' AND found) FROM (SELECT ${OP_COLUMN}, ${found} AS found FROM ${incoming} i)`,
    )
  ).rows;
  return { inserted: Number(row?.[0] ?? 0), updated: Number(row?.[1] ?? 0), deleted: Number(row?.[2] ?? 0) };
}

/** Every row the rewritten files and the changes leave, with every field of the schema. */
function rewriteQuery(
  layout: MergeLayout,
  incoming: string,
  affectedPaths: readonly string[],
  deletedAt: string,
): string {
  const fields = layout.schema.fields;
  const names = fields.map((field) => quoteIdent(avroCompatibleName(field.name)));
  const staged = new Set(layout.staged.flatMap((field) => (field ? [field.id] : [])));
  const upserts = fields.map((field, i) =>
    staged.has(field.id)
      ? `i.${names[i]}`
      : `CAST(NULL AS ${duckdbTypeOfIceberg(field.type)}) AS ${names[i]}`,
  );
  const parts = [`SELECT ${upserts.join(', ')} FROM ${incoming} i WHERE i.${OP_COLUMN} = 'u'`];
  if (affectedPaths.length > 0) {
    const existing = `${parquetScanSql(affectedPaths, fieldScanColumns(fields))} t`;
    const kept = names.map((name) => `t.${name}`);
    parts.push(
      `SELECT ${kept.join(', ')} FROM ${existing} ANTI JOIN ${incoming} i ON ${keyJoinSql(layout.keys, 't', 'i')}`,
    );
    const soft = layout.softDelete;
    if (soft) {
      const marked = fields.map((field, i) =>
        field.id === soft.id
          ? `coalesce(t.${names[i]}, CAST(${quoteLiteral(deletedAt)} AS TIMESTAMPTZ)) AS ${names[i]}`
          : `t.${names[i]}`,
      );
      const deletes = `(SELECT * FROM ${incoming} WHERE ${OP_COLUMN} = 'd') i`;
      parts.push(
        `SELECT ${marked.join(', ')} FROM ${existing} SEMI JOIN ${deletes} ON ${keyJoinSql(layout.keys, 't', 'i')}`,
      );
    }
  }
  return parts.join(' UNION ALL ');
}
