import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Connector } from '../connectors/connector.js';
import { connectorForUrl } from '../connectors/registry.js';
import { SluiceError, isSluiceError, messageOf } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { Disposition, SourcePosition, StreamPlan, StreamSchema, SyncMode } from '../core/stream.js';
import type { Destination, StreamWriter } from '../destinations/destination.js';
import { destinationForUrl } from '../destinations/registry.js';
import { readAhead } from './read-ahead.js';
import { RunRecorder } from './run-recorder.js';
import { qualifiedName, selectStreams } from './select-streams.js';
import type { StreamReport, StreamSettings, SyncReport, SyncRequest } from './sync-report.js';

/** Staged chunk size: big enough for efficient Parquet files, small enough to keep disk use flat. */
const CHUNK_BYTES = 128 * 1024 * 1024;
/** Chunks the source may stage ahead of the destination (pipelining on two cores). */
const READ_AHEAD = 1;

/**
 * Runs one sync: plan the streams, then for each stream read → stage → load → commit, and record
 * the run in the control database. A failing stream is aborted (nothing of it becomes visible)
 * and the run carries on with the others; the report says which failed.
 */
export async function runSync(request: SyncRequest): Promise<SyncReport> {
  const connector = connectorForUrl(request.from);
  const destination = destinationForUrl(request.to);
  const recorder = await RunRecorder.open(request.control ?? 'sqlite:.sluice/control.db');
  const started = Date.now();
  try {
    await connector.check();
    await destination.check();
    const plans = selectStreams(await connector.discover(), request.tables).map((schema) =>
      planStream(schema, request),
    );
    const runId = await recorder.start({
      source: redact(request.from),
      destination: redact(request.to),
      mode: [...new Set(plans.map((p) => p.mode))].join(','),
    });
    const reports: StreamReport[] = [];
    try {
      for (const plan of plans) {
        const report = await syncStream(connector, destination, plan, runId, request);
        await recorder.recordStream(runId, report);
        reports.push(report);
      }
    } catch (error) {
      await recorder.fail(runId, error, summarise(runId, reports, started));
      throw error;
    }
    const report = summarise(runId, reports, started);
    await recorder.finish(report);
    return report;
  } finally {
    await Promise.allSettled([connector.close(), destination.close()]);
    await recorder.close();
  }
}

/** The plan for one stream: its settings (per-table, else the request's) checked before anything runs. */
function planStream(schema: StreamSchema, request: SyncRequest): Omit<StreamPlan, 'stageDir'> {
  const mode: SyncMode = request.mode ?? 'full';
  const settings: StreamSettings = request.settingsFor?.(schema.namespace, schema.name) ?? {
    mode,
    disposition: request.disposition ?? (mode === 'full' ? 'replace' : 'append'),
    ...(request.cursor !== undefined && { cursor: request.cursor }),
    ...(request.primaryKey !== undefined && { primaryKey: request.primaryKey }),
  };
  assertSupported(settings.mode, settings.disposition);
  return {
    schema,
    mode: settings.mode,
    disposition: settings.disposition,
    primaryKey: settings.primaryKey ?? schema.primaryKey,
    chunkBytes: CHUNK_BYTES,
    ...(settings.cursor !== undefined && { cursor: settings.cursor }),
  };
}

function assertSupported(mode: SyncMode, disposition: Disposition): void {
  if (mode !== 'full') {
    throw new SluiceError('NOT_SUPPORTED', `--mode ${mode} is not yet supported`, {
      hint:
        mode === 'incremental'
          ? 'incremental reads arrive with the source-connectors issue; use --mode full today'
          : 'change data capture arrives with the CDC issue; use --mode full today',
    });
  }
  if (disposition === 'merge') {
    throw new SluiceError('NOT_SUPPORTED', '--disposition merge is not yet supported', {
      hint: 'merge arrives with the lake-tables issue; use --disposition replace or append today',
    });
  }
}

async function syncStream(
  connector: Connector,
  destination: Destination,
  basePlan: Omit<StreamPlan, 'stageDir'>,
  runId: string,
  request: SyncRequest,
): Promise<StreamReport> {
  const schema: StreamSchema = basePlan.schema;
  const name = qualifiedName(schema);
  const started = Date.now();
  const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
  const progress = (phase: 'start' | 'chunk' | 'commit' | 'done' | 'failed', rows: number, bytes: number) =>
    request.onProgress?.({ stream: name, phase, rows, bytes });
  let rowsRead = 0;
  let bytesRead = 0;
  let writer: StreamWriter | undefined;
  try {
    writer = await destination.openStream({
      namespace: schema.namespace,
      name: schema.name,
      columns: schema.columns,
      primaryKey: basePlan.primaryKey,
      disposition: basePlan.disposition,
      runId,
    });
    progress('start', 0, 0);
    let position: SourcePosition | null = null;
    for await (const chunk of readAhead(connector.read({ ...basePlan, stageDir }, null), READ_AHEAD)) {
      await writer.write(chunk);
      rowsRead += chunk.rows;
      bytesRead += chunk.bytes;
      position = chunk.position;
      progress('chunk', rowsRead, bytesRead);
    }
    progress('commit', rowsRead, bytesRead);
    const result = await writer.commit(position);
    // Run-time check of what moved: every staged row must be in the commit.
    if (result.rowsWritten !== rowsRead) {
      throw new SluiceError(
        'VERIFY_MISMATCH',
        `${name}: read ${rowsRead} rows but the commit holds ${result.rowsWritten}`,
        {
          hint: 'this is a bug in Sluice; the snapshot is in history and can be inspected with `sluice history`',
        },
      );
    }
    progress('done', rowsRead, bytesRead);
    return {
      stream: name,
      status: 'succeeded',
      rowsRead,
      rowsWritten: result.rowsWritten,
      bytesWritten: result.bytesWritten,
      filesWritten: result.filesWritten,
      snapshotId: result.snapshotId,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    await writer?.abort().catch(() => undefined);
    progress('failed', rowsRead, bytesRead);
    if (isSluiceError(error) && error.isUsage) throw error;
    return {
      stream: name,
      status: 'failed',
      rowsRead,
      rowsWritten: 0,
      bytesWritten: 0,
      filesWritten: 0,
      snapshotId: null,
      durationMs: Date.now() - started,
      error: redact(messageOf(error)) + (isSluiceError(error) && error.hint ? ` (hint: ${error.hint})` : ''),
    };
  } finally {
    await rm(stageDir, { recursive: true, force: true });
  }
}

function summarise(runId: string, streams: StreamReport[], started: number): SyncReport {
  const sum = (pick: (s: StreamReport) => number) => streams.reduce((total, s) => total + pick(s), 0);
  return {
    runId,
    status: streams.every((s) => s.status === 'succeeded') ? 'succeeded' : 'failed',
    streams,
    rowsRead: sum((s) => s.rowsRead),
    rowsWritten: sum((s) => s.rowsWritten),
    bytesWritten: sum((s) => s.bytesWritten),
    durationMs: Date.now() - started,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
