/**
 * A stream's quarantined rows (`StagedChunk.quarantine`) go to `<namespace>.<table>__quarantine`
 * in the same destination, appended, with the fixed columns of `QUARANTINE_COLUMNS` (file, line,
 * reason, raw). The table is opened only when a first quarantined row arrives.
 *
 * It commits before the stream's own data: if the data commit then fails, the next run
 * quarantines the same rows again (a duplicate in a log of bad input) instead of losing them;
 * the other order could publish the data while the record of what was left out is lost.
 */
import { QUARANTINE_COLUMNS, quarantineTableName } from '../core/quarantine.js';
import type { StagedQuarantine } from '../core/stream.js';
import type { Destination, StreamWriter } from '../destinations/destination.js';

export class QuarantineWriter {
  private writer: StreamWriter | undefined;
  private files = 0;

  /** @param stream the data stream whose quarantine this is */
  constructor(
    private readonly destination: Destination,
    private readonly stream: { namespace: string; name: string; runId: string },
  ) {}

  /** Rows handed to `write` so far. */
  rows = 0;

  /** Writes one staged quarantine file (not yet visible). */
  async write(file: StagedQuarantine): Promise<void> {
    this.writer ??= await this.destination.openStream({
      namespace: this.stream.namespace,
      name: quarantineTableName(this.stream.name),
      columns: [...QUARANTINE_COLUMNS],
      primaryKey: [],
      disposition: 'append',
      runId: this.stream.runId,
    });
    await this.writer.write({
      index: this.files++,
      path: file.path,
      rows: file.rows,
      bytes: file.bytes,
      position: null,
    });
    this.rows += file.rows;
  }

  /** Publishes the rows written; returns how many (0 when there were none). */
  async commit(): Promise<number> {
    if (!this.writer) return 0;
    return (await this.writer.commit(null)).rowsWritten;
  }

  /** Discards what was written and not committed. */
  async abort(): Promise<void> {
    await this.writer?.abort();
  }
}
