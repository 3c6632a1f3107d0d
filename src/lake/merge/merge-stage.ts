/**
 * A merge's incoming rows, staged chunk by chunk into local Parquet files as they arrive: every
 * written column decoded, the operation normalised to `u` (insert or update) or `d` (delete),
 * and a sequence number (chunk index, then row order in the chunk, which `row_number() OVER ()`
 * keeps) so that the last change of a key wins when the batch is de-duplicated. A row with a
 * NULL key or an unknown operation fails the chunk, naming the column.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { StagedChunk } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent, quoteLiteral } from '../../engine/duckdb.js';
import type { StagedFieldRead } from '../../engine/stage-decode.js';
import { chunkQuery } from '../../engine/chunk-query.js';
import { STAGE_OP_COLUMN } from '../../core/stage-csv.js';
import { avroCompatibleName } from '../iceberg-schema.js';
import type { MergeLayout } from './merge-layout.js';

/** Column of a staged merge file holding `u` or `d`. */
export const OP_COLUMN = '__sluice_op';
/** Column of a staged merge file ordering the changes of one batch. */
export const SEQ_COLUMN = '__sluice_seq';

const RAW_OP = '__sluice_op_text';

/** Decodes `chunk` into the Parquet file `target` (local path); returns the rows written. */
export async function stageMergeChunk(
  db: DuckDB,
  chunk: StagedChunk,
  columns: readonly CanonicalColumn[],
  layout: MergeLayout,
  target: string,
): Promise<number> {
  const fields: StagedFieldRead[] = [];
  columns.forEach((column, index) => {
    const field = layout.staged[index];
    if (field)
      fields.push({ index, type: column.type, as: avroCompatibleName(field.name), label: column.name });
  });
  if (chunk.operations)
    fields.push({ index: columns.length, type: { kind: 'string' }, as: RAW_OP, label: STAGE_OP_COLUMN });
  const op = chunk.operations ? quoteIdent(RAW_OP) : 'NULL';
  const nullKey = layout.keys
    .map(
      (key) =>
        `WHEN ${quoteIdent(avroCompatibleName(key.name))} IS NULL THEN error(${quoteLiteral(`merge key column ${JSON.stringify(key.name)} is NULL in a staged row`)})`,
    )
    .join(' ');
  const badOp = `error(${quoteLiteral(`${STAGE_OP_COLUMN} must be empty, i, u or d, not: `)} || ${op})`;
  const operation = `CASE ${nullKey} WHEN ${op} IS NULL OR ${op} IN ('', 'i', 'u') THEN 'u' WHEN ${op} = 'd' THEN 'd' ELSE ${badOp} END`;
  const names = fields.filter((field) => field.as !== RAW_OP).map((field) => quoteIdent(field.as));
  // Order survives a projection over a single scan and `row_number() OVER ()` (DuckDB's order preservation rules).
  const query =
    `SELECT ${[...names, `${operation} AS ${OP_COLUMN}`, `${chunk.index} * 4294967296 + row_number() OVER () AS ${SEQ_COLUMN}`].join(', ')} ` +
    `FROM (${chunkQuery(chunk, columns.length + (chunk.operations ? 1 : 0), fields)})`;
  const [row] = await db.queryJson(
    `COPY (${query}) TO ${quoteLiteral(target)} (FORMAT parquet, RETURN_STATS)`,
  );
  return Number(row?.[1] ?? 0);
}
