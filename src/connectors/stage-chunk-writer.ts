/**
 * Writes one stream's staged chunk files (`chunk-000000.csv`, …) into the plan's stage directory
 * and keeps the exact row and byte counts the StagedChunk promises. Small writes (a COPY stream
 * delivers ~8 KB at a time) are gathered into 1 MiB writes: one awaited syscall per buffer cost
 * more than the export itself. Every flush is awaited, so a slow disk slows the source down
 * instead of filling memory, and at most one gather buffer is held.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { SourcePosition, StagedChunk } from '../core/stream.js';

/** Bytes gathered before one write to the chunk file. */
const GATHER_BYTES = 1 << 20;

export class StageChunkWriter {
  private file: FileHandle | undefined;
  // The chunk manifest's content hash, computed as bytes are written so the run need not read
  // the file again (that second pass cost ~1 s per 10M rows, outside the read/convert overlap).
  private hash: Hash | undefined;
  // One gather buffer for the writer's life, into which small writes are copied: a caller may
  // reuse its buffer once write() returns (StageRowBuffer does), so a small write must not be
  // kept by reference until the next flush; and no 1 MiB buffer is allocated per flush.
  private readonly gather = Buffer.allocUnsafe(GATHER_BYTES);
  private pendingBytes = 0;
  private filePath = '';
  private index = 0;
  private chunkRows = 0;
  private chunkBytes = 0;
  // The longest row of the open chunk, while every write said how long its rows were.
  private longestRow: number | undefined = 0;

  /**
   * @param stageDir the plan's stage directory (exists, private to this stream and run)
   * @param prefix file name prefix, so several writers of one stream (key ranges read side by
   *   side) can share the stage directory
   */
  constructor(
    private readonly stageDir: string,
    private readonly prefix = '',
  ) {}

  /** Bytes written to the open chunk. */
  get bytes(): number {
    return this.chunkBytes;
  }

  /** Complete rows written to the open chunk. */
  get rows(): number {
    return this.chunkRows;
  }

  /**
   * Appends bytes holding `rows` complete row ends; opens the next chunk file when none is open.
   * `longestRow`: bytes of the longest row that ends in `data` (counting its start in earlier
   * writes), when the caller measured it; a chunk written without it has no `maxRowBytes`.
   */
  async write(data: Uint8Array, rows: number, longestRow?: number): Promise<void> {
    if (data.length === 0 && rows === 0) return;
    if (!this.file) {
      this.filePath = path.join(
        this.stageDir,
        `${this.prefix}chunk-${String(this.index).padStart(6, '0')}.csv`,
      );
      this.file = await open(this.filePath, 'wx');
      this.hash = createHash('sha256');
    }
    this.chunkBytes += data.length;
    this.chunkRows += rows;
    if (rows > 0 && this.longestRow !== undefined) {
      this.longestRow = longestRow === undefined ? undefined : Math.max(this.longestRow, longestRow);
    }
    if (data.length >= GATHER_BYTES) {
      // Already a large write: no copy.
      await this.flush();
      await this.writeOut(data);
      return;
    }
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(data.length - offset, GATHER_BYTES - this.pendingBytes);
      this.gather.set(data.subarray(offset, offset + take), this.pendingBytes);
      this.pendingBytes += take;
      offset += take;
      if (this.pendingBytes === GATHER_BYTES) await this.flush();
    }
  }

  /** Writes the gathered bytes to the open chunk file. */
  private async flush(): Promise<void> {
    if (!this.file || this.pendingBytes === 0) return;
    const data = this.gather.subarray(0, this.pendingBytes);
    this.pendingBytes = 0;
    await this.writeOut(data);
  }

  /** Hashes `data` and writes all of it to the open chunk file. */
  private async writeOut(data: Uint8Array): Promise<void> {
    this.hash?.update(data);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.file!.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  /** Closes the open chunk and describes it; null when nothing was written since the last one. */
  async finish(position: SourcePosition | null = null): Promise<StagedChunk | null> {
    const file = this.file;
    if (!file) return null;
    await this.flush();
    this.file = undefined;
    await file.close();
    const chunk: StagedChunk = {
      index: this.index,
      path: this.filePath,
      rows: this.chunkRows,
      bytes: this.chunkBytes,
      ...(this.hash && { sha256: this.hash.digest('hex') }),
      ...(this.longestRow !== undefined && this.chunkRows > 0 && { maxRowBytes: this.longestRow }),
      position,
    };
    this.hash = undefined;
    this.index += 1;
    this.chunkRows = 0;
    this.chunkBytes = 0;
    this.longestRow = 0;
    return chunk;
  }

  /** Closes and deletes an unfinished chunk, so a failed read leaves no partial file behind. */
  async abort(): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = undefined;
    this.hash = undefined;
    this.pendingBytes = 0;
    this.longestRow = 0;
    await file.close().catch(() => undefined);
    await rm(this.filePath, { force: true });
  }
}
