/**
 * The change stream of a logical slot: `START_REPLICATION … LOGICAL` on a replication
 * connection, read as a pull queue of decoded messages. Standby status updates report exactly
 * the position Sluice has committed (never what it merely received), so the slot keeps every
 * change that is not in the destination yet; they are sent on the server's request and every
 * few seconds, which also keeps `wal_sender_timeout` from cutting a consumer that is busy
 * committing. When the queue is long the socket is paused: memory stays bounded and the
 * server waits.
 */
import type pg from 'pg';
import { SluiceError, messageOf } from '../../core/errors.js';
import { closePgClient, openPgClient } from './pg-clients.js';
import type { PostgresConfig } from '../../connectors/postgres/postgres-config.js';
import { decodePgoutput } from './pgoutput-decoder.js';
import type { PgoutputMessage } from './pgoutput-decoder.js';
import { formatLsn } from './lsn.js';
import { quoteIdent } from '../../connectors/postgres/postgres-types.js';

/** What the stream delivers: a decoded message with the WAL position it starts at. */
export interface ReplicationEvent {
  /** WAL start of the XLogData message. */
  walStart: bigint;
  /** The decoded pgoutput message. */
  message: PgoutputMessage;
}

/** Milliseconds between unsolicited status updates (wal_sender_timeout defaults to 60 s). */
const STATUS_INTERVAL_MS = 10_000;
const PAUSE_AT = 20_000;
const RESUME_AT = 2_000;
/** Microseconds between the Unix epoch and 2000-01-01. */
const PG_EPOCH_MS = 946_684_800_000n;

/** The internals of pg's Client this needs: its protocol connection. */
interface ProtocolConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

export class ReplicationStream {
  // A head index instead of shift(): shifting a 20,000-entry array on every message is quadratic.
  private queue: ReplicationEvent[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  private failure: SluiceError | undefined;
  private paused = false;
  private confirmed: bigint;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly connection: ProtocolConnection,
    start: bigint,
  ) {
    this.confirmed = start;
    this.timer = setInterval(() => this.sendStatus(false), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Starts streaming `slot` from `start` with pgoutput over `publication`. `confirmed` is the
   * position reported as durable until `confirm` says more.
   */
  static async open(
    config: PostgresConfig,
    slot: string,
    publication: string,
    start: bigint,
  ): Promise<ReplicationStream> {
    const client = await openPgClient(config, true);
    const connection = (client as unknown as { connection: ProtocolConnection }).connection;
    const stream = new ReplicationStream(client, connection, start);
    connection.on('copyData', ({ chunk }) => stream.receive(chunk));
    client.on('error', (error) => stream.fail(streamError(error, slot)));
    client.on('end', () => stream.fail(streamError(new Error('the replication connection ended'), slot)));
    const options = `proto_version '1', publication_names '${publication.replaceAll("'", "''")}', messages 'true'`;
    const sql = `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(start)} (${options})`;
    client.query(sql).then(
      () => stream.fail(streamError(new Error('the server ended the replication stream'), slot)),
      (error: unknown) => stream.fail(streamError(error, slot)),
    );
    return stream;
  }

  /** The next event, or null when none arrived within `timeoutMs`. Throws once the stream failed. */
  async next(timeoutMs: number): Promise<ReplicationEvent | null> {
    if (this.pending === 0 && !this.failure && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, timeoutMs);
        this.waiter = () => {
          clearTimeout(timeout);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const event = this.queue[this.head];
    if (event) {
      this.queue[this.head] = undefined as unknown as ReplicationEvent;
      this.head += 1;
      // Drop the taken entries once they are most of the array, so it never grows without bound.
      if (this.head >= 4096 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    if (this.paused && this.pending <= RESUME_AT) {
      this.paused = false;
      this.connection.stream.resume();
    }
    if (event) return event;
    if (this.failure) throw this.failure;
    return null;
  }

  /** Events received and not yet taken. */
  private get pending(): number {
    return this.queue.length - this.head;
  }

  /** Reports everything before `lsn` as durably applied: the slot may free it. */
  confirm(lsn: bigint): void {
    if (lsn > this.confirmed) this.confirmed = lsn;
    this.sendStatus(false);
  }

  /** Stops streaming and closes the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.failure ??= new SluiceError('SOURCE_READ', 'the replication stream was closed');
    await closePgClient(this.client);
  }

  private receive(chunk: Buffer): void {
    const kind = chunk[0];
    if (kind === 0x77 /* w: XLogData */) {
      const walStart = chunk.readBigUInt64BE(1);
      try {
        this.queue.push({ walStart, message: decodePgoutput(chunk.subarray(25)) });
      } catch (error) {
        this.fail(error instanceof SluiceError ? error : streamError(error, ''));
        return;
      }
      if (!this.paused && this.pending >= PAUSE_AT) {
        this.paused = true;
        this.connection.stream.pause();
      }
      this.waiter?.();
    } else if (kind === 0x6b /* k: primary keepalive */) {
      if (chunk[17] === 1) this.sendStatus(false);
    }
  }

  private fail(error: SluiceError): void {
    this.failure ??= error;
    this.waiter?.();
  }

  /** A standby status update: written = flushed = applied = the confirmed position. */
  private sendStatus(replyRequested: boolean): void {
    if (this.closed) return;
    const message = Buffer.alloc(34);
    message[0] = 0x72; // r
    message.writeBigUInt64BE(this.confirmed, 1);
    message.writeBigUInt64BE(this.confirmed, 9);
    message.writeBigUInt64BE(this.confirmed, 17);
    message.writeBigInt64BE((BigInt(Date.now()) - PG_EPOCH_MS) * 1000n, 25);
    message[33] = replyRequested ? 1 : 0;
    try {
      this.connection.sendCopyFromChunk(message);
    } catch {
      // A dead connection surfaces through the query's rejection.
    }
  }
}

/** SQLSTATEs / messages meaning the slot cannot give the changes any more. */
const LOST =
  /does not exist|can no longer get changes|has been invalidated|already been removed|was invalidated/i;

/** A replication failure as a SluiceError: a lost slot is CDC_POSITION_LOST, the rest retryable. */
export function streamError(error: unknown, slot: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const message = messageOf(error);
  if (LOST.test(message)) {
    return new SluiceError('CDC_POSITION_LOST', `replication slot ${slot}: ${message}`, {
      hint: 'the changes since the last commit are gone; re-snapshot with `sluice sync --mode cdc --resnapshot`',
      cause: error,
    });
  }
  const active = /is active for PID/i.test(message);
  return new SluiceError('SOURCE_READ', `replication stream of slot ${slot} failed: ${message}`, {
    hint: active
      ? 'another consumer is attached to the slot (another sluice run?); stop it or wait for it to finish'
      : 'the connection to PostgreSQL was lost; run again (the run resumes from the last commit)',
    retryable: true,
    cause: error,
  });
}
