/**
 * Stream state: where each stream's last read got to, keyed by source and stream, as JSON text.
 * Destinations that commit snapshots also carry the position in the snapshot; this table serves
 * the rest and lets `sluice state` show and reset positions.
 */
import type { SourcePosition } from '../core/stream.js';
import type { ControlQueries } from './control-db.js';

/** One stream's saved position. */
export interface StreamState {
  /** Identifies the source (e.g. the connection name). */
  sourceKey: string;
  /** Identifies the stream within the source (`namespace.table`). */
  streamKey: string;
  /** The position the connector reported. */
  position: SourcePosition;
  /** When it was saved (ISO-8601 UTC). */
  updatedAt: string;
  /** The run that saved it, if any. */
  runId: string | null;
}

interface StateRow {
  source_key: string;
  stream_key: string;
  position: string;
  updated_at: string;
  run_id: string | null;
}

/** Reads and writes stream positions in the control database (or inside one of its transactions). */
export class StateRepository {
  constructor(private readonly db: ControlQueries) {}

  /** The saved position of a stream, or null when it never saved one. */
  async getState(sourceKey: string, streamKey: string): Promise<StreamState | null> {
    const [row] = await this.db.query<StateRow>(
      'SELECT * FROM stream_state WHERE source_key = $1 AND stream_key = $2',
      [sourceKey, streamKey],
    );
    if (!row) return null;
    return {
      sourceKey: row.source_key,
      streamKey: row.stream_key,
      position: JSON.parse(row.position) as SourcePosition,
      updatedAt: row.updated_at,
      runId: row.run_id,
    };
  }

  /** Saves a stream's position, replacing the previous one. */
  async putState(
    sourceKey: string,
    streamKey: string,
    position: SourcePosition,
    runId: string | null = null,
  ): Promise<void> {
    await this.db.execute(
      `INSERT INTO stream_state (source_key, stream_key, position, updated_at, run_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source_key, stream_key) DO UPDATE SET position = excluded.position,
         updated_at = excluded.updated_at, run_id = excluded.run_id`,
      [sourceKey, streamKey, JSON.stringify(position), new Date().toISOString(), runId],
    );
  }
}
