/**
 * The quarantine side file of a read (`StagedChunk.quarantine`): quarantined rows written in
 * the stage dialect with `QUARANTINE_COLUMNS`, created only once there is a row to write.
 */
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { QuarantinedRow } from '../../core/quarantine.js';
import { encodeStageRow } from '../../core/stage-csv.js';
import type { StagedQuarantine } from '../../core/stream.js';

export class QuarantineStage {
  private file: FileHandle | undefined;
  private readonly filePath: string;
  private rows = 0;
  private bytes = 0;

  /** @param stageDir the plan's stage directory */
  constructor(stageDir: string) {
    this.filePath = path.join(stageDir, 'quarantine.csv');
  }

  /** Appends rows. */
  async add(rows: readonly QuarantinedRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.file ??= await open(this.filePath, 'wx');
    const text = rows
      .map((row) =>
        encodeStageRow([row.file, row.line === null ? null : String(row.line), row.reason, row.raw]),
      )
      .join('');
    const data = Buffer.from(text, 'utf8');
    await this.file.write(data);
    this.rows += rows.length;
    this.bytes += data.length;
  }

  /** Closes the file and describes it; null when no row was quarantined. */
  async finish(): Promise<StagedQuarantine | null> {
    const file = this.file;
    if (!file) return null;
    this.file = undefined;
    await file.close();
    return { path: this.filePath, rows: this.rows, bytes: this.bytes };
  }

  /** Closes and deletes the file (a read that did not finish). */
  async abort(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
    await rm(this.filePath, { force: true });
  }
}
