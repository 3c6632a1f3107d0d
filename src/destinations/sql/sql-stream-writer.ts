/**
 * Writes one stream into a table of a SQL database (PostgreSQL or a DuckDB file). Chunks are
 * loaded into a staging table as they arrive; `commit` applies them to the target in one
 * transaction together with the state row, so a reader (and a resumed run) sees all of the
 * commit or none of it; `abort` drops the staging table.
 */
import fs from 'node:fs/promises';
import { SluiceError } from '../../core/errors.js';
import type { ContentFingerprint } from '../../engine/content-fingerprint.js';
import {
  NO_ROWS,
  addFingerprints,
  describeFingerprint,
  sameContent,
} from '../../engine/content-fingerprint.js';
import type { HashedColumn } from '../../engine/typed-row-hash.js';
import type { SourcePosition, StagedChunk } from '../../core/stream.js';
import type { CommitResult, DestinationStream, StreamWriter, WrittenChunk } from '../destination.js';
import type { SqlSession, TableName, TableShape } from './sql-session.js';
import { recordCommit } from './sql-state.js';
import { commitStatements, countSql, tableSql } from './sql-statements.js';
import { planTable } from './table-plan.js';

/** Everything a writer needs, prepared by `openSqlStream`. */
export interface SqlStreamPlan {
  /** The stream as the sync layer described it. */
  stream: DestinationStream;
  /** The target table. */
  target: TableName;
  /** The staging table (exists, empty). */
  staging: TableName;
  /** The staging table's shape without helper columns: the stream's columns in the engine's types. */
  staged: TableShape;
  /** `PostgreSQL table "s"."t"`, for messages. */
  label: string;
}

/** Runs `action` in one transaction on `session`: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(session: SqlSession, action: () => Promise<T>): Promise<T> {
  await session.run('BEGIN');
  try {
    const result = await action();
    await session.run('COMMIT');
    return result;
  } catch (error) {
    // After a failed COMMIT the transaction is already over; the ROLLBACK's complaint adds nothing.
    await session.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export class SqlStreamWriter implements StreamWriter {
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private rows = 0;
  private bytes = 0;
  /** Some chunk carried operations (`_sluice_op`): the merge applies deletes. */
  private operations = false;
  /** Every stream column, where the session can fingerprint rows (DuckDB); else absent. */
  readonly contentColumns?: number[];
  /** The stream's columns as the staging and target tables name them, for fingerprints. */
  private readonly hashed: HashedColumn[];
  /** Fingerprint of every row staged so far (the sum of the chunks'). */
  private staged: ContentFingerprint = NO_ROWS;

  constructor(
    private readonly session: SqlSession,
    private readonly plan: SqlStreamPlan,
  ) {
    this.hashed = plan.stream.columns.map((column) => ({ name: column.name, type: column.type }));
    if (session.fingerprint) this.contentColumns = plan.stream.columns.map((_, index) => index);
  }

  async write(chunk: StagedChunk): Promise<WrittenChunk | void> {
    this.assertOpen('write');
    const { staging, stream, label } = this.plan;
    const operations = chunk.operations === true;
    if (operations && stream.disposition !== 'merge') {
      throw new SluiceError(
        'NOT_SUPPORTED',
        `${label} chunk ${chunk.index}: a change stream (inserts, updates, deletes) cannot be applied by ${stream.disposition}`,
        { hint: 'apply change streams with --disposition merge and a primary key' },
      );
    }
    const before = this.rows;
    const loaded = await this.session.loadChunk(staging, stream.columns, chunk, operations);
    if (loaded !== chunk.rows) {
      throw new SluiceError(
        'DESTINATION_WRITE',
        `${label} chunk ${chunk.index}: staged ${chunk.rows} rows but ${loaded} were loaded`,
        {
          hint: 'the staged file does not match its chunk manifest; this is a bug in the connector that staged it',
        },
      );
    }
    this.rows += loaded;
    this.bytes += chunk.bytes;
    this.operations ||= operations;
    await fs.rm(chunk.path, { force: true });
    if (!this.session.fingerprint) return;
    // The staged row order counts rows in load order from 0 (DuckDB's rowid): this chunk's rows
    // are those from `before` on, as the staging table holds them.
    const content = await this.session.fingerprint(
      `(SELECT * FROM ${tableSql(staging)} WHERE ${this.session.dialect.stagedRowOrder} >= ${before})`,
      this.hashed,
    );
    this.staged = addFingerprints(this.staged, content);
    return { content };
  }

  async commit(position: SourcePosition | null): Promise<CommitResult> {
    this.assertOpen('commit');
    const { session, plan } = this;
    const { stream, target, staging } = plan;
    const result = await inTransaction(session, async () => {
      await session.lockForCommit(target);
      const table = planTable(stream, plan.label, await session.describeTable(target), plan.staged);
      // An append or replace is proved inside its transaction: a mismatch rolls it back.
      const fingerprint = session.fingerprint?.bind(session);
      const proving = stream.disposition !== 'merge' ? fingerprint : undefined;
      const kept =
        proving && stream.disposition === 'append' && table.action === 'keep'
          ? await proving(tableSql(target), this.hashed)
          : NO_ROWS;
      for (const sql of commitStatements(session.dialect, table, stream, target, staging, this.operations)) {
        await session.run(sql);
      }
      if (proving) {
        const expected = addFingerprints(kept, this.staged);
        const holds = await proving(tableSql(target), this.hashed);
        if (!sameContent(holds, expected)) {
          throw new SluiceError(
            'VERIFY_MISMATCH',
            `${plan.label}: after the ${stream.disposition} the table holds other rows than the staged ones (expected ${describeFingerprint(expected)}; it holds ${describeFingerprint(holds)})`,
            {
              hint: 'nothing was committed (the transaction was rolled back); this is a bug in Sluice: please report it',
            },
          );
        }
      }
      const [count] = await session.query(countSql(target));
      const totalRows = Number(count?.n);
      const version = await recordCommit(session, target, {
        runId: stream.runId,
        disposition: stream.disposition,
        position,
        rowsWritten: this.rows,
        totalRows,
      });
      // Dropped inside the transaction: a committed stream never leaves its staging table behind.
      await session.run(`DROP TABLE ${tableSql(staging)}`);
      return { version, totalRows, proved: proving !== undefined };
    });
    this.state = 'committed';
    await session.close();
    return {
      snapshotId: String(result.version),
      rowsWritten: this.rows,
      bytesWritten: this.bytes,
      filesWritten: 0,
      totalRows: result.totalRows,
      ...(result.proved && { contentChecked: true }),
    };
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    try {
      await this.session.run(`DROP TABLE IF EXISTS ${tableSql(this.plan.staging)}`);
    } finally {
      await this.session.close();
    }
  }

  private assertOpen(action: string): void {
    if (this.state !== 'open') {
      throw new SluiceError(
        'USAGE',
        `cannot ${action}: the stream writer for ${this.plan.label} is ${this.state}`,
        {
          hint: 'open a new stream for another commit',
        },
      );
    }
  }
}
