/**
 * PostgreSQL change data capture with the built-in pgoutput plugin (see ../change-capture.ts
 * for the contract, ../README.md for the design). Positions are `{ lsn }`; a position means
 * "every transaction whose commit record starts before it". Heartbeats and the `untilCaughtUp`
 * mark are non-transactional logical messages (`pg_logical_emit_message`): pgoutput delivers
 * them in WAL order, so once one arrives every transaction committed before it has arrived, and
 * its LSN is a safe position even on a database whose published tables are idle — acknowledging
 * it lets the slot free WAL that other activity wrote.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { PostgresConfig } from '../../connectors/postgres/postgres-config.js';
import { isTransientPgError, pgTarget } from '../../connectors/postgres/postgres-errors.js';
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { postgresConfigFromUrl } from '../../connectors/registry.js';
import type { StreamPlan } from '../../core/stream.js';
import type {
  CaptureSnapshot,
  CaptureStatus,
  ChangeBatch,
  ChangeCapture,
  ChangeCaptureDefinition,
  ChangeCaptureOptions,
  ChangeStreamOptions,
  LogPosition,
} from '../change-capture.js';
import { ChangeBatcher } from './change-batcher.js';
import { lsnPosition, parseLsn, positionLsn } from './lsn.js';
import { closePgClient, openPgClient } from './pg-clients.js';
import type { CaptureNames } from './postgres-capture-setup.js';
import {
  checkCapturePrerequisites,
  dropCapture,
  preparePublication,
  prepareSlot,
  slotConfirmed,
  slotLost,
  slotStatus,
} from './postgres-capture-setup.js';
import { readTableColumns } from './postgres-added-columns.js';
import { takePostgresSnapshot } from './postgres-snapshot.js';
import { ReplicationStream } from './replication-stream.js';

/** Prefix of Sluice's logical messages. */
const MESSAGE_PREFIX = 'sluice';
/** An idle capture emits a heartbeat this often, so the slot's position keeps up with the WAL. */
const HEARTBEAT_MS = 5_000;

export const postgresChangeCapture: ChangeCaptureDefinition = {
  type: 'postgres',
  fromUrl: (url, options) => new PostgresChangeCapture(postgresConfigFromUrl(url), options),
};

/** Slot and publication names: cluster-wide for slots, so the database is part of the name. */
export function captureNames(
  config: PostgresConfig,
  options: Pick<ChangeCaptureOptions, 'name'>,
): CaptureNames {
  const clean = (text: string) => text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const base = `sluice_${clean(pgTarget(config.url).database)}_${clean(options.name)}`.slice(0, 63);
  return { slot: base, publication: base };
}

export class PostgresChangeCapture implements ChangeCapture {
  private readonly names: CaptureNames;
  private sql: pg.Client | undefined;
  private stream: ReplicationStream | undefined;
  private readonly snapshots = new Set<CaptureSnapshot>();

  constructor(
    private readonly config: PostgresConfig,
    private readonly options: ChangeCaptureOptions,
  ) {
    this.names = captureNames(config, options);
  }

  async check(streams: StreamPlan[]): Promise<void> {
    await checkCapturePrerequisites(await this.client(), streams);
  }

  async prepare(streams: StreamPlan[]): Promise<void> {
    const client = await this.client();
    await preparePublication(client, this.names.publication, streams);
    await prepareSlot(client, this.names.slot);
  }

  async snapshot(streams: StreamPlan[], signal?: AbortSignal): Promise<CaptureSnapshot> {
    const snapshot = await takePostgresSnapshot(this.config, streams, signal);
    this.snapshots.add(snapshot);
    return snapshot;
  }

  async *changes(
    streams: StreamPlan[],
    from: LogPosition,
    options: ChangeStreamOptions,
  ): AsyncGenerator<ChangeBatch> {
    try {
      yield* this.streamBatches(streams, from, options);
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      // A dropped catalog connection is opened anew on the retry.
      const sql = this.sql;
      this.sql = undefined;
      await closePgClient(sql);
      throw new SluiceError(
        'SOURCE_READ',
        `change capture from PostgreSQL failed: ${redact(messageOf(error))}`,
        {
          hint: 'the run resumes from the last commit; see the cause if it keeps failing',
          retryable: isTransientPgError(error),
          cause: error,
        },
      );
    }
  }

  private async *streamBatches(
    streams: StreamPlan[],
    from: LogPosition,
    options: ChangeStreamOptions,
  ): AsyncGenerator<ChangeBatch> {
    const start = positionLsn(from);
    const client = await this.client();
    const confirmed = await slotConfirmed(client, this.names.slot);
    // The server would silently start at its confirmed position: a gap, unless caught here.
    if (confirmed !== null && confirmed > start) {
      throw slotLost(
        this.names.slot,
        `it was confirmed up to ${lsnPosition(confirmed).lsn} but the tables need the changes from ${lsnPosition(start).lsn} (another consumer, or tables synced without the others?)`,
      );
    }
    const probe = options.untilCaughtUp ? `caught-up ${randomBytes(8).toString('hex')}` : null;
    if (probe) await this.emit(probe);
    const streamFrom = new Map<string, bigint>();
    for (const [key, position] of options.streamFrom ?? []) streamFrom.set(key, positionLsn(position));
    const lookup = async (namespace: string, name: string) =>
      readTableColumns(await this.client(), namespace, name);
    const batcher = new ChangeBatcher(streams, streamFrom, this.options.stageDir, lookup);
    const stream = await ReplicationStream.open(this.config, this.names.slot, this.names.publication, start);
    this.stream = stream;
    let inTransaction = false;
    let keepOpen = false;
    let lastEnd = start;
    let lastHeartbeat = Date.now();
    try {
      for (;;) {
        if (options.signal.aborted) return;
        const now = Date.now();
        const open = batcher.firstChangeAt;
        const flushIn = open === null ? Infinity : open + options.maxMs - now;
        if (!inTransaction && flushIn <= 0) {
          yield await batcher.finish(lsnPosition(lastEnd), false);
          continue;
        }
        if (!inTransaction && open === null && now - lastHeartbeat >= HEARTBEAT_MS) {
          await this.emit('heartbeat');
          lastHeartbeat = now;
        }
        const wait = Math.min(flushIn, HEARTBEAT_MS - (now - lastHeartbeat), 1000);
        const event = await stream.next(Math.max(1, wait));
        if (!event) continue;
        const message = event.message;
        switch (message.tag) {
          case 'begin':
            inTransaction = true;
            batcher.begin(message.finalLsn);
            break;
          case 'relation':
            await batcher.relation(message);
            break;
          case 'insert':
            await batcher.insert(message.oid, message.tuple);
            break;
          case 'update':
            await batcher.update(message.oid, message.tuple, message.old, message.oldIsKey);
            break;
          case 'delete':
            await batcher.delete(message.oid, message.old);
            break;
          case 'truncate':
            await batcher.truncate(message.oids);
            break;
          case 'commit':
            inTransaction = false;
            batcher.commit(message.commitTime);
            lastEnd = message.endLsn;
            if (batcher.size >= options.maxRows) yield await batcher.finish(lsnPosition(lastEnd), false);
            break;
          case 'message': {
            if (message.transactional || message.prefix !== MESSAGE_PREFIX || message.lsn <= lastEnd) break;
            const caughtUp = probe !== null && message.content === probe;
            lastEnd = message.lsn;
            yield await batcher.finish(lsnPosition(lastEnd), caughtUp);
            if (caughtUp) {
              // The caller may still acknowledge this batch (after its commit): close() ends the stream.
              keepOpen = true;
              return;
            }
            break;
          }
          default:
            break;
        }
      }
    } finally {
      await batcher.discard();
      if (!keepOpen) {
        this.stream = undefined;
        await stream.close();
      }
    }
  }

  acknowledge(position: LogPosition): Promise<void> {
    this.stream?.confirm(positionLsn(position));
    return Promise.resolve();
  }

  compare(a: LogPosition, b: LogPosition): number {
    const x = positionLsn(a);
    const y = positionLsn(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  async status(): Promise<CaptureStatus> {
    return slotStatus(await this.client(), this.names);
  }

  async drop(): Promise<void> {
    await dropCapture(await this.client(), this.names);
  }

  async close(): Promise<void> {
    await this.stream?.close();
    this.stream = undefined;
    await Promise.allSettled([...this.snapshots].map((s) => s.close()));
    this.snapshots.clear();
    await closePgClient(this.sql);
    this.sql = undefined;
  }

  /** Emits a non-transactional logical message; its LSN becomes a position when it arrives. */
  private async emit(content: string): Promise<bigint> {
    const { rows } = await (
      await this.client()
    ).query<{ lsn: string }>('SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn', [
      MESSAGE_PREFIX,
      content,
    ]);
    return parseLsn(rows[0]?.lsn ?? '0/0');
  }

  private async client(): Promise<pg.Client> {
    this.sql ??= await openPgClient(this.config);
    return this.sql;
  }
}
