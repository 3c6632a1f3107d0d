/**
 * `sluice sync --mode cdc`: applies a source's change log to destination tables, exactly once.
 * See src/cdc/README.md for the contract; in short:
 *
 * - Per stream, the position its table holds is read from the destination (committed with the
 *   data). Streams without one, or all with `resnapshot`, get a consistent initial snapshot,
 *   committed as a replace at the snapshot's position.
 * - Changes stream from min over streams of max(table position, recorded progress). Per batch,
 *   each changed stream whose table is behind the batch merge-commits its segments, the batch
 *   position is recorded as every stream's progress, and only then is the source told it may
 *   forget the log up to there. A crash anywhere replays; replay by merge is harmless.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChangeCapture } from '../cdc/change-capture.js';
import { captureStreamKey } from '../cdc/change-capture.js';
import { changeCaptureFor } from '../cdc/registry.js';
import { connectorForUrl } from '../connectors/registry.js';
import type { SourceConnector } from '../connectors/registry.js';
import { StateRepository } from '../control/state-repository.js';
import { SluiceError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { defaultControlUrl } from '../destinations/control-url.js';
import type { Destination } from '../destinations/destination.js';
import { supportsDisposition } from '../destinations/destination.js';
import { destinationForUrl } from '../destinations/registry.js';
import type { Applied, CdcTarget } from './cdc-apply.js';
import { commitChunks, noneApplied } from './cdc-apply.js';
import { ChunkFingerprints } from './chunk-fingerprints.js';
import type { CdcReport } from './cdc-report.js';
import { saveCommittedColumns, withCommittedColumns } from './cdc-columns.js';
import { streamChanges } from './cdc-stream-loop.js';
import { streamLeaseKey } from './guarded-stream.js';
import { RunRecorder } from './run-recorder.js';
import { qualifiedName, selectStreams } from './select-streams.js';
import { DEFAULT_LEASE, StreamLease } from './stream-lease.js';
import type { StreamSchema } from '../core/stream.js';
import type { StreamReport, StreamSettings, SyncRequest } from './sync-report.js';

/** How a CDC run batches and when it stops. */
export interface CdcSettings {
  /** Apply everything up to the log position current at start, then exit. */
  untilCaughtUp?: boolean;
  /** Take a new initial snapshot of every selected stream (recreating a lost slot). */
  resnapshot?: boolean;
  /** End a batch at the next transaction boundary after this many row changes (default 200,000). */
  batchRows?: number;
  /** End a non-empty batch after this long (ms, default 1,000). */
  batchMs?: number;
  /** Aborting stops the run cleanly after the batch in progress (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
}

// Large: a merge rewrites the data files its keys touch, a cost per commit that bigger batches
// spread over more changes when catching up; under live load `batchMs` ends batches first.
export const DEFAULT_BATCH_ROWS = 200_000;
export const DEFAULT_BATCH_MS = 1_000;
const CHUNK_BYTES = 128 * 1024 * 1024;

/** The stable capture name for a source: its namespace (schema / database). */
function captureName(connector: SourceConnector): string {
  return connector.namespace
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
}

/** A capture for the request's source, for `sluice cdc status|drop` as for the runner. */
export function captureForSource(from: string, stageDir: string): ChangeCapture {
  const connector = connectorForUrl(from);
  return changeCaptureFor(connector.type).fromUrl(from, { name: captureName(connector), stageDir });
}

/** Runs CDC for the request's streams until caught up or aborted. */
export async function runCdc(request: SyncRequest & CdcSettings): Promise<CdcReport> {
  const connector = connectorForUrl(request.from);
  const definition = changeCaptureFor(connector.type);
  const control = request.control ?? defaultControlUrl(request.to);
  const destination = destinationForUrl(request.to, { ...request.destinationSettings, control });
  if (!destination.lastPosition || !supportsDisposition(destination, 'merge')) {
    throw new SluiceError('NOT_SUPPORTED', '--mode cdc is not yet supported by this destination', {
      hint: 'change data capture commits its log position with the data; write to a lake:<dir>, duckdb:<file> or postgres:// destination',
    });
  }
  const recorder = await RunRecorder.open(control);
  const stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-cdc-'));
  const capture = definition.fromUrl(request.from, { name: captureName(connector), stageDir: stageRoot });
  const leases: StreamLease[] = [];
  const fingerprints = new ChunkFingerprints();
  const started = Date.now();
  const progress = new StateRepository(recorder.db);
  const sourceKey = `cdc:${redact(request.from)}`;
  let runId: string | undefined;
  try {
    await connector.check();
    await destination.check();
    // A project file's per-table settings (partitioning, schema policy, soft delete, key) win.
    const settings = (schema: StreamSchema) => request.settingsFor?.(schema.namespace, schema.name);
    const plans = selectStreams(await connector.discover(), request.tables).map((schema) => ({
      schema,
      mode: 'cdc' as const,
      disposition: 'merge' as const,
      primaryKey: settings(schema)?.primaryKey ?? request.primaryKey ?? schema.primaryKey,
      stageDir: path.join(stageRoot, 'snapshot', `${schema.namespace}.${schema.name}`),
      chunkBytes: CHUNK_BYTES,
    }));
    await capture.check(plans);
    runId = await recorder.start({
      source: redact(request.from),
      destination: redact(request.to),
      mode: 'cdc',
    });
    const targets = new Map<string, CdcTarget>();
    for (const plan of plans) {
      const lease = await StreamLease.acquire(
        recorder.db,
        streamLeaseKey(request.to, qualifiedName(plan.schema)),
        runId,
        { ...DEFAULT_LEASE, ...request.lease },
      );
      leases.push(lease);
      const position = request.resnapshot ? null : await destination.lastPosition(plan.schema);
      const leaseKey = streamLeaseKey(request.to, captureStreamKey(plan));
      targets.set(captureStreamKey(plan), {
        plan: position === null ? plan : await withCommittedColumns(progress, sourceKey, leaseKey, plan),
        lease,
        position,
        fingerprints,
        table: tableSettings(request, settings(plan.schema)),
      });
    }
    await prepareCapture(capture, [...targets.values()], request.resnapshot === true);
    const totals = new Map<string, Applied>(plans.map((p) => [captureStreamKey(p), noneApplied()]));
    const snapshotted = await snapshotStreams(capture, destination, runId, targets, totals);
    for (const key of snapshotted) {
      const columns = targets.get(key)!.plan.schema.columns;
      await saveCommittedColumns(progress, sourceKey, streamLeaseKey(request.to, key), columns);
    }
    const figures = await streamChanges({
      capture,
      destination,
      runId,
      plans: [...targets.values()].map((t) => t.plan),
      targets,
      totals,
      progress,
      sourceKey,
      destinationUrl: request.to,
      maxRows: request.batchRows ?? DEFAULT_BATCH_ROWS,
      maxMs: request.batchMs ?? DEFAULT_BATCH_MS,
      untilCaughtUp: request.untilCaughtUp === true,
      signal: request.signal ?? new AbortController().signal,
      ...(request.retry && { retry: request.retry }),
      ...(request.onProgress && { onProgress: request.onProgress }),
    });
    // What the source still keeps for us once everything is acknowledged (slot lag).
    const sourceLagBytes = (await capture.status().catch(() => null))?.lagBytes ?? null;
    const streams = [...targets.keys()].map((key) => streamReport(key, totals.get(key)!, started));
    const snapshotRows = snapshotted.reduce((sum, key) => sum + (totals.get(key)?.rowsWritten ?? 0), 0);
    const report: CdcReport = {
      ...summarise(runId, streams, started),
      cdc: { ...figures, snapshotRows, snapshotted, sourceLagBytes },
    };
    for (const stream of streams) await recorder.recordStream(runId, stream);
    await recorder.finish(report);
    return report;
  } catch (error) {
    if (runId) await recorder.fail(runId, error, summarise(runId, [], started)).catch(() => undefined);
    throw error;
  } finally {
    await Promise.allSettled(leases.map((l) => l.release()));
    await Promise.allSettled([capture.close(), connector.close(), destination.close(), fingerprints.close()]);
    await recorder.close();
    await rm(stageRoot, { recursive: true, force: true });
  }
}

/**
 * Creates or reuses the slot. A lost or missing slot while tables hold positions is a gap the
 * run refuses; `resnapshot` starts over (dropping a lost slot first).
 */
async function prepareCapture(
  capture: ChangeCapture,
  targets: CdcTarget[],
  resnapshot: boolean,
): Promise<void> {
  const status = await capture.status();
  if (status.health === 'lost' || status.health === 'missing') {
    if (resnapshot) {
      if (status.health === 'lost') await capture.drop();
    } else if (targets.some((t) => t.position !== null)) {
      throw new SluiceError(
        'CDC_POSITION_LOST',
        `${status.name} is ${status.health === 'lost' ? 'invalidated' : 'gone (dropped?)'}: the changes since the tables' last commit cannot be read`,
        { hint: 're-snapshot with `sluice sync --mode cdc --resnapshot`' },
      );
    }
  }
  await capture.prepare(targets.map((t) => t.plan));
}

/** Initial snapshot of the streams whose tables hold no position, each committed as a replace. */
async function snapshotStreams(
  capture: ChangeCapture,
  destination: Destination,
  runId: string,
  targets: Map<string, CdcTarget>,
  totals: Map<string, Applied>,
): Promise<string[]> {
  const needed = [...targets].filter(([, t]) => t.position === null);
  if (needed.length === 0) return [];
  for (const [, t] of needed) await mkdir(t.plan.stageDir, { recursive: true });
  const snapshot = await capture.snapshot(needed.map(([, t]) => t.plan));
  try {
    // Chunks arrive stream after stream; each stream is committed once its chunks are written.
    const iterator = snapshot.chunks[Symbol.asyncIterator]();
    let pending = await iterator.next();
    for (const [key, target] of needed) {
      const chunks = async function* () {
        while (!pending.done && pending.value.stream === key) {
          yield pending.value.chunk;
          pending = await iterator.next();
        }
      };
      const plan = target.plan;
      await commitChunks(
        destination,
        target,
        runId,
        'replace',
        plan.schema.columns,
        chunks(),
        snapshot.position,
        totals.get(key)!,
      );
      target.position = snapshot.position;
    }
    if (!pending.done)
      throw new SluiceError('SOURCE_READ', `snapshot chunk of unexpected stream ${pending.value.stream}`);
  } finally {
    await snapshot.close();
  }
  return needed.map(([key]) => key);
}

/** The table settings of one stream: its project-file settings, else the request's. */
function tableSettings(request: SyncRequest, own: StreamSettings | undefined): CdcTarget['table'] {
  const partitionBy = own?.partitionBy ?? request.partitionBy;
  const schemaPolicy = own?.schemaPolicy ?? request.schemaPolicy;
  const softDelete = own?.softDelete ?? request.softDelete;
  return {
    ...(partitionBy && { partitionBy }),
    ...(schemaPolicy && { schemaPolicy }),
    ...(softDelete !== undefined && { softDelete }),
  };
}

function streamReport(stream: string, applied: Applied, started: number): StreamReport {
  return {
    stream,
    status: 'succeeded',
    rowsRead: applied.rows,
    bytesRead: 0,
    rowsWritten: applied.rowsWritten,
    rowsQuarantined: 0,
    bytesWritten: applied.bytesWritten,
    filesWritten: applied.filesWritten,
    attempts: 1,
    // Every commit's row count was checked (cdc-apply.ts); content too where the writer proves it.
    verification: applied.commits > 0 ? 'passed' : 'not-run',
    ...(applied.commits > 0 && {
      verifiedBy: applied.contentChecked === applied.commits ? ('content' as const) : ('rows' as const),
    }),
    snapshotId: applied.snapshotId,
    durationMs: Date.now() - started,
  };
}

function summarise(runId: string, streams: StreamReport[], started: number): CdcReport {
  const sum = (pick: (s: StreamReport) => number) => streams.reduce((total, s) => total + pick(s), 0);
  return {
    runId,
    status: 'succeeded',
    streams,
    rowsRead: sum((s) => s.rowsRead),
    bytesRead: 0,
    rowsWritten: sum((s) => s.rowsWritten),
    rowsQuarantined: 0,
    verification:
      streams.length > 0 && streams.every((s) => s.verification === 'passed') ? 'passed' : 'not-run',
    bytesWritten: sum((s) => s.bytesWritten),
    durationMs: Date.now() - started,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cdc: {
      batches: 0,
      heartbeats: 0,
      transactions: 0,
      changes: 0,
      snapshotRows: 0,
      snapshotted: [],
      changesPerSecond: 0,
      latencyP50Ms: null,
      latencyP99Ms: null,
      position: null,
      caughtUp: false,
      sourceLagBytes: null,
    },
  };
}
