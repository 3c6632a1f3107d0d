/**
 * The one way to read a staged chunk as typed values, whatever its format (`StagedFormat`): a
 * stage CSV chunk is decoded field by field with the stage rules (`stage-decode.ts`'s
 * `stageQuery`); a Parquet chunk already holds each field as the DuckDB type of its canonical
 * type, and is only read (a column of any other type fails the read). Every consumer of staged chunks (destinations, merge staging, verify, the run's
 * checks) reads them through `chunkQuery`, so a chunk reads the same everywhere.
 */
import { duckdbType } from '../core/canonical-types.js';
import type { StagedChunk } from '../core/stream.js';
import { quoteIdent, quoteLiteral } from './duckdb.js';
import type { StagedFieldRead } from './stage-decode.js';
import { stageFieldName, stageQuery } from './stage-decode.js';

/** What `chunkQuery` needs of a chunk: where it is, how it is stored, its longest CSV row. */
export type ChunkSource = Pick<StagedChunk, 'path' | 'format' | 'maxRowBytes'>;

/**
 * `SELECT <fields> FROM <the chunk>`: each field read from its position in the staged rows (of
 * `fieldCount` fields) as the DuckDB type of its canonical type, named `as`. A CSV chunk fails
 * the query on text a cast would change (`stageDecodeExpression`). A Parquet chunk's columns are
 * `c<i>` (`stageFieldName`) and must already have that type: one of another type fails the
 * query (the check is folded into a constant, so it costs nothing per row), since a cast could
 * round (a DOUBLE into a DECIMAL) where the stage rules would have refused.
 */
export function chunkQuery(
  chunk: ChunkSource,
  fieldCount: number,
  fields: readonly StagedFieldRead[],
  /** False: a CSV chunk's text is not checked (see `stageDecodeExpression`); only for a second read. */
  checked = true,
): string {
  if ((chunk.format ?? 'csv') === 'csv') {
    return stageQuery(chunk.path, fieldCount, fields, chunk.maxRowBytes, checked);
  }
  const select = fields.map((field) => {
    const column = quoteIdent(stageFieldName(field.index));
    const type = duckdbType(field.type);
    const wrongType = `error(${quoteLiteral(`column ${JSON.stringify(field.label)}: staged Parquet holds `)} || typeof(${column}) || ${quoteLiteral(`, not ${type}`)})`;
    return `CASE WHEN typeof(${column}) = typeof(CAST(NULL AS ${type})) THEN ${column} ELSE ${wrongType} END AS ${quoteIdent(field.as)}`;
  });
  return `SELECT ${select.join(', ')} FROM read_parquet(${quoteLiteral(chunk.path)})`;
}
