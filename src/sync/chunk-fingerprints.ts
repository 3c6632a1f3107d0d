/**
 * The run-time content check of each chunk: the staged chunk, as the source delivered it, is
 * decoded and fingerprinted in a DuckDB of the run's own (`engine/content-fingerprint.ts`), while
 * the destination converts the same file; the destination reads back what it wrote and returns
 * that fingerprint (`WrittenChunk.content`); the two must be equal. It catches what a row count
 * cannot: a value changed between staging and the written files (a column written under another
 * field id, a timestamp shifted, a decimal rounded, a row lost and another repeated).
 *
 * Why a second read of the staged file and not of the source: the staged file is what the
 * source sent (its row count checked against the source's own, its sha256 in the chunk
 * manifest), and reading the source again would double its load; `sluice verify` does that on
 * demand. Why a separate pass and not the destination's own decode: a check that shares the
 * writer's pipeline would share its mistakes.
 */
import fs from 'node:fs/promises';
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { StagedChunk } from '../core/stream.js';
import type { ContentFingerprint } from '../engine/content-fingerprint.js';
import { describeFingerprint, fingerprintOf, sameContent } from '../engine/content-fingerprint.js';
import type { DuckDB } from '../engine/duckdb.js';
import { openDuckDB } from '../engine/duckdb.js';
import { chunkQuery } from '../engine/chunk-query.js';

export class ChunkFingerprints {
  private db: Promise<DuckDB> | undefined;

  /**
   * Starts fingerprinting `chunk` over the columns at `positions` (in the stream's `columns`)
   * and returns at once, once the staged file is safe from the destination deleting it (a hard
   * link, removed when done). Await the result after `write`; it rejects when the chunk cannot
   * be read.
   */
  async start(
    chunk: StagedChunk,
    columns: readonly CanonicalColumn[],
    positions: readonly number[],
  ): Promise<{ result: Promise<ContentFingerprint> }> {
    const kept = `${chunk.path}.fingerprint`;
    // A hard link costs nothing; a file system without them (some network mounts) gets a copy.
    await fs.link(chunk.path, kept).catch(() => fs.copyFile(chunk.path, kept));
    const fields = positions.map((index) => ({
      index,
      type: columns[index]!.type,
      as: `c${index}`,
      label: columns[index]!.name,
    }));
    const result = (async () => {
      try {
        const db = await this.open();
        // Unchecked: the destination's checked read of the same file fails on any text the
        // checks refuse, and reads every other text to the same value (a third cheaper).
        const fieldCount = columns.length + (chunk.operations ? 1 : 0);
        const query = chunkQuery({ ...chunk, path: kept }, fieldCount, fields, false);
        return await fingerprintOf(
          db,
          `(${query})`,
          fields.map((field) => ({ name: field.as, type: field.type })),
        );
      } finally {
        await fs.rm(kept, { force: true });
      }
    })();
    // Awaited after `write`; a failing write must not leave it unhandled meanwhile.
    result.catch(() => undefined);
    return { result };
  }

  /** Closes the run's DuckDB. Safe to call twice. */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }

  /**
   * One thread: the pass runs beside the destination's conversion of the same chunk, which has
   * the other threads; a small memory limit, since it only streams.
   */
  private open(): Promise<DuckDB> {
    this.db ??= openDuckDB({ threads: 1, memoryLimit: '256MB' });
    return this.db;
  }
}

/**
 * Fails with VERIFY_MISMATCH (before anything is committed) unless the destination wrote what
 * was staged: `label` names the stream and chunk.
 */
export function assertChunkContent(
  label: string,
  staged: ContentFingerprint,
  written: ContentFingerprint | undefined,
): void {
  if (written === undefined) {
    throw new SluiceError(
      'VERIFY_MISMATCH',
      `${label}: the destination returned no fingerprint of what it wrote`,
      {
        hint: 'this is a bug in the destination: a writer with contentColumns must return content from every write',
      },
    );
  }
  if (sameContent(staged, written)) return;
  throw new SluiceError(
    'VERIFY_MISMATCH',
    `${label}: the rows written differ from the rows staged (staged ${describeFingerprint(staged)}; written ${describeFingerprint(written)})`,
    {
      hint: "nothing was committed; this is a bug in Sluice or DuckDB: please report it with the table's column types (`sluice verify` names the differing rows of a committed table)",
    },
  );
}
