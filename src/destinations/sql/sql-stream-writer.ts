/**
 * Writes one stream into a table of a SQL database (PostgreSQL or a DuckDB file). Chunks are
 * loaded into a staging table as they arrive; `commit` applies them to the target in one
 * transaction together with the state row, so a reader (and a resumed run) sees all of the
 * commit or none of it; `abort` drops the staging table.
 */
import fs from 'node:fs/promises';
import { SluiceError } from '../../core/errors.js';
import type { SourcePosition, StagedChunk } from '../../core/stream.js';
import type { CommitResult, DestinationStream, StreamWriter } from '../destination.js';
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

  constructor(
    private readonly session: SqlSession,
    private readonly plan: SqlStreamPlan,
  ) {}

  async write(chunk: StagedChunk): Promise<void> {
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
  }

  async commit(position: SourcePosition | null): Promise<CommitResult> {
    this.assertOpen('commit');
    const { session, plan } = this;
    const { stream, target, staging } = plan;
    const result = await inTransaction(session, async () => {
      await session.lockForCommit(target);
      const table = planTable(stream, plan.label, await session.describeTable(target), plan.staged);
      for (const sql of commitStatements(session.dialect, table, stream, target, staging, this.operations)) {
        await session.run(sql);
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
      return { version, totalRows };
    });
    this.state = 'committed';
    await session.close();
    return {
      snapshotId: String(result.version),
      rowsWritten: this.rows,
      bytesWritten: this.bytes,
      filesWritten: 0,
      totalRows: result.totalRows,
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
