/**
 * The initial snapshot: a TEMPORARY logical slot created with SNAPSHOT 'export' on a replication
 * connection that stays open (and idle) while ordinary connections adopt the exported snapshot
 * (`SET TRANSACTION SNAPSHOT`) and COPY each table with the PostgreSQL connector's own full read.
 * The slot's consistent point is the snapshot's position: every transaction that committed
 * before it is in the snapshot, every later one is streamed from the capture's slot, whose
 * confirmed position is never past it (prepare() created that slot earlier). A temporary slot
 * (dropped with its connection) serves the first snapshot, re-snapshots and tables added later
 * alike, without touching the long-lived slot.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { PostgresConfig } from '../../connectors/postgres/postgres-config.js';
import { readTableWithCopy } from '../../connectors/postgres/postgres-copy-reader.js';
import { SluiceError, messageOf } from '../../core/errors.js';
import type { StreamPlan } from '../../core/stream.js';
import type { CaptureSnapshot, SnapshotChunk } from '../change-capture.js';
import { captureStreamKey } from '../change-capture.js';
import { lsnPosition, parseLsn } from './lsn.js';
import { closePgClient, openPgClient } from './pg-clients.js';

/** Takes a consistent snapshot of `streams`; the caller drains `chunks` and then calls `close`. */
export async function takePostgresSnapshot(
  config: PostgresConfig,
  streams: StreamPlan[],
  signal?: AbortSignal,
): Promise<CaptureSnapshot> {
  const holder = await openPgClient(config, true);
  const slot = `sluice_snapshot_${process.pid}_${randomBytes(4).toString('hex')}`;
  let exported: { position: bigint; name: string };
  try {
    const { rows } = await holder.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')`,
    );
    const row = rows[0];
    if (!row) throw new Error('CREATE_REPLICATION_SLOT returned no row');
    exported = { position: parseLsn(row.consistent_point), name: row.snapshot_name };
  } catch (error) {
    await closePgClient(holder);
    throw new SluiceError(
      'SOURCE_READ',
      `cannot export a snapshot for the initial copy: ${messageOf(error)}`,
      {
        hint: 'check max_replication_slots (one more than Sluice keeps is needed during a snapshot) and the REPLICATION privilege',
        retryable: /terminat|ECONNRESET/i.test(messageOf(error)),
        cause: error,
      },
    );
  }
  let closed = false;
  return {
    position: lsnPosition(exported.position),
    chunks: readAll(config, streams, exported.name, signal),
    close: async () => {
      if (closed) return;
      closed = true;
      await closePgClient(holder);
    },
  };
}

async function* readAll(
  config: PostgresConfig,
  streams: StreamPlan[],
  snapshotName: string,
  signal?: AbortSignal,
): AsyncGenerator<SnapshotChunk> {
  for (const plan of streams) {
    if (signal?.aborted) return;
    const client: pg.Client = await openPgClient(config);
    try {
      // The COPY reader opens its own REPEATABLE READ transaction; opened here first with the
      // exported snapshot, its BEGIN only warns ("already in progress") and its settings and
      // COPY run inside this transaction, on the snapshot.
      await client.query(
        `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '${snapshotName.replaceAll("'", "''")}'`,
      );
      for await (const chunk of readTableWithCopy(client, { ...plan, mode: 'full' })) {
        yield { stream: captureStreamKey(plan), chunk };
      }
    } finally {
      await closePgClient(client);
    }
  }
}
