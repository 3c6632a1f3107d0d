/**
 * PostgreSQL rows hashed by DuckDB, for the fast fingerprint of `typed-hash.ts`: the output of
 * `COPY (SELECT … WHERE <range>) TO STDOUT (FORMAT csv)` — the stage dialect, the export the
 * PostgreSQL connector reads with — is cut into chunk files at row ends (`splitCsvIntoChunks`),
 * and each chunk is decoded by the sync's own `stageDecodeExpression` (so verify sees the values
 * a sync loads) and summed per key bucket while PostgreSQL writes the next one. Per-chunk sums add up
 * exactly. A COPY cut short fails the splitter (a partial row) or the query, never yields a sum.
 */
import { rm } from 'node:fs/promises';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { splitCsvIntoChunks } from '../../connectors/csv-chunk-splitter.js';
import { columnSelectExpression } from '../../connectors/postgres/postgres-types.js';
import type { StagedChunk } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { stageCsvSource, stageDecodeExpression, stageFieldName } from '../../engine/stage-decode.js';
import type { KeyTuple } from '../key-ranges.js';
import { quoteIdent, tableSql, type TableRef } from '../row-hash.js';
import { typedRangeHashesSql } from '../typed-hash.js';
import type { RangeHash } from './endpoint.js';

/** Chunk size: big enough for DuckDB's parallel CSV reader, small enough to overlap the COPY. */
const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * The COPY statement exporting `columns` of the rows matching `where`, in the stage dialect,
 * with the PostgreSQL connector's select expressions: a value a sync could not carry (a BC or
 * infinite date, NaN in numeric(p,s), 24:00) fails the COPY rather than reach a DuckDB cast that
 * might read it differently (DuckDB reads `0044-03-15 BC` as AD 44).
 */
export function copyOutSql(table: TableRef, columns: readonly CanonicalColumn[], where: string): string {
  const select = columns.map((column, index) => columnSelectExpression(column, index, `''`)).join(', ');
  return `COPY (SELECT ${select} FROM ${tableSql(table)} WHERE ${where}) TO STDOUT (FORMAT csv)`;
}

/** What `hashCopyOutput` hashes. */
export interface CopyHashInput {
  /** The COPY's output bytes. */
  copy: AsyncIterable<Buffer>;
  /** The DuckDB that decodes and hashes the chunks. */
  db: DuckDB;
  /** A private directory for the chunk files (each deleted once hashed). */
  stageDir: string;
  /** The exported columns, in COPY order. */
  columns: readonly CanonicalColumn[];
  /** Key columns (among `columns`) the bounds refer to. */
  key: readonly CanonicalColumn[];
  /** Bucket bounds (see `key-ranges.ts`). */
  bounds: readonly KeyTuple[];
}

/** Row count and exact hash sum per bucket of the COPY's rows. */
export async function hashCopyOutput(input: CopyHashInput): Promise<Map<number, RangeHash>> {
  const decoded = input.columns.map((column, index) => {
    const field = stageFieldName(index);
    // PostgreSQL prints integers as plain digits: the sync's pattern check (a third of the
    // decoding time) cannot fail here. Everything else is decoded exactly as the sync does.
    const value =
      column.type.kind === 'int32' || column.type.kind === 'int64'
        ? `CAST(${field} AS BIGINT)`
        : stageDecodeExpression(column.type, field, column.name);
    return `${value} AS ${quoteIdent(column.name)}`;
  });
  const totals = new Map<number, { rows: number; sum: bigint }>();
  const hashChunk = async (chunk: StagedChunk) => {
    try {
      const from = `(SELECT ${decoded.join(', ')} FROM ${stageCsvSource(chunk.path, input.columns.length)}) AS staged`;
      const rows = await input.db.queryObjects(
        typedRangeHashesSql(from, 'TRUE', input.columns, input.key, input.bounds),
      );
      for (const row of rows) {
        const bucket = Number(row.bucket);
        const entry = totals.get(bucket) ?? { rows: 0, sum: 0n };
        entry.rows += Number(row.rows);
        entry.sum += BigInt(String(row.hash_sum));
        totals.set(bucket, entry);
      }
    } finally {
      await rm(chunk.path, { force: true });
    }
  };
  // One chunk is hashed while PostgreSQL writes the next: the two run on different cores.
  let hashing: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of splitCsvIntoChunks(input.copy, input.stageDir, CHUNK_BYTES)) {
      await hashing;
      hashing = hashChunk(chunk);
      // Handled here so a failure while the next chunk is written is not an unhandled rejection;
      // the next await still throws it.
      hashing.catch(() => undefined);
    }
  } finally {
    // Never leave a query running or a chunk behind, also when the COPY failed.
    await hashing.catch(() => undefined);
  }
  await hashing;
  return new Map(
    [...totals].map(([bucket, entry]) => [bucket, { rows: entry.rows, hashSum: String(entry.sum) }]),
  );
}
