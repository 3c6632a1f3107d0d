/**
 * Typed staging: a stage CSV chunk is decoded once, by the run, into a typed Parquet chunk
 * (`StagedFormat` `parquet`) before the destination loads it, when the plan's chunks may be
 * Parquet (`core/stream.ts` `stagesParquet`: the destination reads them, not a merge). Both later
 * readers of the chunk — the destination's conversion and the run's content fingerprint
 * (chunk-fingerprints.ts) — then read typed columns instead of parsing and checking the same
 * text again: the CSV used to be parsed twice per chunk, which cost more CPU than the server's
 * export on the pg-full-sync benchmark.
 *
 * The decode is the checked one every CSV reader uses (`chunkQuery`), so a text a cast would
 * change still fails the stream, and DuckDB's count of the rows it decoded must equal the rows
 * the source staged. The chunk keeps the source's manifest (rows, bytes and sha256 of the CSV it
 * staged): the Parquet file is a form of those bytes, not new content.
 *
 * Not converted: chunks carrying operations (change streams, soft deletes) and every chunk of a
 * merge (`stagesParquet` says why).
 */
import { rm } from 'node:fs/promises';
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { StagedChunk } from '../core/stream.js';
import { chunkQuery } from '../engine/chunk-query.js';
import type { DuckDB } from '../engine/duckdb.js';
import { openDuckDB, quoteLiteral } from '../engine/duckdb.js';
import { stageFieldName } from '../engine/stage-decode.js';
import { readAhead } from './read-ahead.js';

/** Target row group size of a typed chunk (see `convert`). */
const ROW_GROUP_BYTES = 1000 * 1000;

export class StageTyping {
  private db: Promise<DuckDB> | undefined;

  /**
   * The chunk as a typed Parquet chunk beside it (the CSV file is removed), or the chunk itself
   * when it is not a stage CSV chunk of the stream's `columns` alone.
   */
  async convert(chunk: StagedChunk, columns: readonly CanonicalColumn[]): Promise<StagedChunk> {
    if ((chunk.format ?? 'csv') !== 'csv' || chunk.operations) return chunk;
    const fields = columns.map((column, index) => ({
      index,
      type: column.type,
      as: stageFieldName(index),
      label: column.name,
    }));
    const target = `${chunk.path.replace(/\.csv$/, '')}.parquet`;
    // Uncompressed: the file lives until the destination has read it, and every reader saves
    // the decompression (snappy halves the file for ~0.15 CPU s more per 2M rows, write and reads).
    // Row groups of ~1 MB: with DuckDB's default of 122,880 rows a 2M-row chunk of the benchmark
    // table held ~160 MB at peak (two threads), with 4 MB ~80 MB; a 3M-row PostgreSQL sync peaked
    // ~25 MB lower with 1 MB than with 4 MB, for the same CPU time. No dictionaries: building
    // them was a sixth of the conversion's CPU time, and an uncompressed file gains little by them.
    const copy =
      `COPY (${chunkQuery(chunk, columns.length, fields)}) TO ${quoteLiteral(target)} ` +
      `(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE_BYTES ${ROW_GROUP_BYTES}, DICTIONARY_SIZE_LIMIT 0)`;
    let rows: number;
    try {
      const [row] = await (await this.open()).queryJson(copy);
      rows = Number(row?.[0] ?? -1);
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
    if (rows !== chunk.rows) {
      await rm(target, { force: true });
      throw new SluiceError(
        'VERIFY_MISMATCH',
        `staged chunk ${chunk.index} holds ${rows} rows where the source staged ${chunk.rows}`,
        {
          hint: 'this is a bug in the connector that staged the chunk, or the stage directory was changed meanwhile',
        },
      );
    }
    await rm(chunk.path, { force: true });
    const { maxRowBytes: _csvOnly, ...rest } = chunk;
    return { ...rest, path: target, format: 'parquet' };
  }

  /**
   * `items` with every chunk converted (`chunkOf` finds an item's chunk, `withChunk` puts the
   * converted one back). The source is pulled one chunk ahead, so it stages the next chunk while
   * this one converts; a consumer that reads ahead (`readAhead`) converts the next chunk while it
   * loads this one.
   */
  async *convertAll<T>(
    items: AsyncIterable<T>,
    columns: readonly CanonicalColumn[],
    chunkOf: (item: T) => StagedChunk | undefined,
    withChunk: (item: T, chunk: StagedChunk) => T,
  ): AsyncGenerator<T> {
    for await (const item of readAhead(items, 1, (ahead) => chunkOf(ahead) !== undefined)) {
      const chunk = chunkOf(item);
      yield chunk ? withChunk(item, await this.convert(chunk, columns)) : item;
    }
  }

  /** Closes the DuckDB. Safe to call twice. */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }

  /** Writes in any order: the rows of a chunk that is not merged need not keep their order. */
  private open(): Promise<DuckDB> {
    this.db ??= openDuckDB({ preserveInsertionOrder: false, memoryLimit: '512MB' });
    return this.db;
  }
}
