/**
 * Per-chunk manifests (`run_chunks`): what each staged chunk of a run held, so a run can be
 * audited after the fact (which chunk, how many rows, which bytes) and later runs or `verify`
 * can compare content chunk by chunk.
 */
import type { SourcePosition } from '../core/stream.js';
import type { ControlQueries } from './control-db.js';

/** Chunk indexes `forget` deletes per statement. */
const FORGET_BATCH = 500;

/** One chunk a run loaded. */
export interface ChunkManifest {
  /** Stream name, `namespace.table`. */
  stream: string;
  /** 0-based chunk number within the stream's read. */
  index: number;
  /** Rows in the chunk. */
  rows: number;
  /** Bytes of the staged file. */
  bytes: number;
  /** sha256 of the staged file, hex. */
  contentSha256: string;
  /** Source position before the chunk (the previous chunk's end, or where the read started); null for full reads. */
  startPosition: SourcePosition | null;
  /** Source position at the chunk's end (for a cursor read: its largest cursor); null for full reads. */
  endPosition: SourcePosition | null;
}

interface ChunkRow {
  stream: string;
  chunk_index: number | string;
  rows: number | string;
  bytes: number | string;
  content_sha256: string;
  start_position: string | null;
  end_position: string | null;
}

const json = (position: SourcePosition | null) => (position === null ? null : JSON.stringify(position));
const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as SourcePosition));

/** Records and lists chunk manifests in the control database. */
export class RunChunksRepository {
  constructor(private readonly db: ControlQueries) {}

  /** Records one chunk (replacing a row with the same run, stream and index). */
  async record(runId: string, chunk: ChunkManifest): Promise<void> {
    await this.db.execute(
      `INSERT INTO run_chunks (run_id, stream, chunk_index, rows, bytes, content_sha256, start_position, end_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (run_id, stream, chunk_index) DO UPDATE SET rows = excluded.rows, bytes = excluded.bytes,
         content_sha256 = excluded.content_sha256, start_position = excluded.start_position,
         end_position = excluded.end_position`,
      [
        runId,
        chunk.stream,
        chunk.index,
        chunk.rows,
        chunk.bytes,
        chunk.contentSha256,
        json(chunk.startPosition),
        json(chunk.endPosition),
      ],
    );
  }

  /** Forgets a stream's chunks in a run: a retry from the start replaces them. */
  async clearStream(runId: string, stream: string): Promise<void> {
    await this.db.execute('DELETE FROM run_chunks WHERE run_id = $1 AND stream = $2', [runId, stream]);
  }

  /** Forgets some of a stream's chunks in a run (a retry reads their data again). */
  async forget(runId: string, stream: string, indexes: readonly number[]): Promise<void> {
    // A few hundred indexes per statement: one round trip each, well inside both engines' limits.
    for (let start = 0; start < indexes.length; start += FORGET_BATCH) {
      const batch = indexes.slice(start, start + FORGET_BATCH);
      const placeholders = batch.map((_, i) => `$${i + 3}`).join(', ');
      await this.db.execute(
        `DELETE FROM run_chunks WHERE run_id = $1 AND stream = $2 AND chunk_index IN (${placeholders})`,
        [runId, stream, ...batch],
      );
    }
  }

  /** A run's chunks, by stream and index. */
  async list(runId: string): Promise<ChunkManifest[]> {
    const rows = await this.db.query<ChunkRow>(
      'SELECT * FROM run_chunks WHERE run_id = $1 ORDER BY stream, chunk_index',
      [runId],
    );
    return rows.map((row) => ({
      stream: row.stream,
      index: Number(row.chunk_index),
      rows: Number(row.rows),
      bytes: Number(row.bytes),
      contentSha256: row.content_sha256,
      startPosition: parse(row.start_position),
      endPosition: parse(row.end_position),
    }));
  }
}
