/**
 * Deletes found by key reconciliation (`--reconcile-deletes`): a cursor read sees only rows that
 * changed, never rows that were deleted, unless the source marks them (a soft-delete column). So,
 * in the read's own snapshot, the connector also stages every key the source table still has
 * (`StreamPlan.reconcileKeysDir`); here DuckDB anti-joins the destination's current keys
 * (`Destination.exportKeys`, in their own types) with them (decoded by the stage rules, as the
 * merge decodes keys) and stages one delete row (`_sluice_op` = `d`, key columns set, the others
 * NULL) per key the source no longer has. The chunk is merged in the same commit as the rows, so
 * the table and its position move together. Cost: one read of every key on both sides per run.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { canonicalTextSql } from '../connectors/files/files-types.js';
import { duckdbType } from '../core/canonical-types.js';
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { SourcePosition, StagedChunk, StreamSchema } from '../core/stream.js';
import type { Destination } from '../destinations/destination.js';
import { openDuckDB } from '../engine/duckdb.js';
import { quoteIdent, quoteLiteral } from '../engine/duckdb.js';
import { chunkQuery } from '../engine/chunk-query.js';

/**
 * The deletes chunk's sequence number: after any read's chunks. Order does not matter (a key the
 * source no longer has is in none of the read's rows, which come from the same snapshot), but
 * the merge orders a batch's changes by chunk index.
 */
const DELETES_CHUNK_INDEX = 999_999;

/** A directory for the source keys, inside the stream's stage directory. */
export async function makeKeysDir(stageDir: string): Promise<string> {
  const dir = path.join(stageDir, 'source-keys');
  await mkdir(dir);
  return dir;
}

/** What the deletes chunk is staged from. */
export interface ReconcileInput {
  /** The stream's source schema: the chunk has its columns, then the op column. */
  schema: StreamSchema;
  /** Key columns, in the order the connector staged them. */
  primaryKey: readonly string[];
  /** Where the connector staged every source key. */
  keysDir: string;
  /** Where to stage the deletes chunk. */
  stageDir: string;
  /** The position the read reached; the chunk carries it. */
  position: SourcePosition | null;
}

/** The run checks this before reading: a destination that cannot list its keys cannot reconcile. */
export function assertCanReconcile(destination: Destination, table: string): void {
  if (destination.exportKeys) return;
  throw new SluiceError(
    'NOT_SUPPORTED',
    `cannot reconcile deletes of ${table}: the destination cannot list its keys`,
    {
      hint: 'reconcile deletes into a lake:<dir> destination, or leave out --reconcile-deletes',
    },
  );
}

/** Stages the deletes of keys the destination has and the source no longer has; null when there are none. */
export async function stageReconciledDeletes(
  destination: Destination,
  input: ReconcileInput,
): Promise<StagedChunk | null> {
  const { schema, primaryKey, stageDir } = input;
  assertCanReconcile(destination, `${schema.namespace}.${schema.name}`);
  const lakeKeys = path.join(stageDir, 'destination-keys.parquet');
  const held = await destination.exportKeys!(schema, primaryKey, lakeKeys);
  if (held === 0) return null;
  const keyColumns = primaryKey.map((key) => schema.columns.find((c) => c.name === key)!);
  const sourceFiles = (await readdir(input.keysDir)).map((name) => path.join(input.keysDir, name));
  const target = path.join(stageDir, 'reconciled-deletes.csv');
  const db = await openDuckDB({ threads: 1 });
  try {
    const lake = `read_parquet(${quoteLiteral(lakeKeys)})`;
    const gone =
      sourceFiles.length === 0
        ? `SELECT * FROM ${lake}`
        : `SELECT * FROM ${lake} ANTI JOIN (${sourceKeysSql(sourceFiles, keyColumns)}) USING (${primaryKey.map(quoteIdent).join(', ')})`;
    const row = schema.columns.map((column) =>
      primaryKey.includes(column.name)
        ? canonicalTextSql(asDuckdbColumn(column), `g.${quoteIdent(column.name)}`)
        : 'NULL',
    );
    const { rows } = await db.query(
      `COPY (SELECT ${row.join(', ')}, 'd' FROM (${gone}) g) TO ${quoteLiteral(target)} (FORMAT csv, HEADER false)`,
    );
    const count = Number(rows[0]?.[0] ?? 0);
    if (count === 0) {
      await rm(target, { force: true });
      return null;
    }
    return {
      index: DELETES_CHUNK_INDEX,
      path: target,
      rows: count,
      bytes: (await stat(target)).size,
      position: input.position,
      operations: true,
    };
  } finally {
    db.close();
    await rm(lakeKeys, { force: true });
  }
}

/** Every staged source key, decoded into the key columns' DuckDB types under their own names. */
function sourceKeysSql(files: readonly string[], keys: readonly CanonicalColumn[]): string {
  const fields = keys.map((key, index) => ({ index, type: key.type, as: key.name, label: key.name }));
  return files.map((file) => chunkQuery({ path: file }, keys.length, fields)).join(' UNION ALL ');
}

/** The column as `canonicalTextSql` expects it: its `sourceType` is the DuckDB type of the values. */
function asDuckdbColumn(column: CanonicalColumn): CanonicalColumn {
  return { ...column, sourceType: duckdbType(column.type) };
}
