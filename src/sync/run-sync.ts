import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Connector, SourceCapabilities } from '../connectors/connector.js';
import { connectorForUrl } from '../connectors/registry.js';
import { SluiceError, isSluiceError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type {
  Disposition,
  SourcePosition,
  StagedChunk,
  StreamPlan,
  StreamSchema,
  SyncMode,
} from '../core/stream.js';
import { stagesParquet } from '../core/stream.js';
import type {
  Destination,
  DestinationStream,
  StagedLoadWriter,
  StreamWriter,
} from '../destinations/destination.js';
import { supportsDisposition } from '../destinations/destination.js';
import { defaultControlUrl } from '../destinations/control-url.js';
import { destinationForUrl } from '../destinations/registry.js';
import { ChunkFingerprints } from './chunk-fingerprints.js';
import type { KeyRangeSource } from '../connectors/key-range-read.js';
import { assertCommitCount, writeProved } from './run-checks.js';
import { fileSha256 } from './file-sha256.js';
import { runCdc } from './run-cdc.js';
import { failedStreamReport, runGuardedStream } from './guarded-stream.js';
import type { StreamAttempt } from './guarded-stream.js';
import { readAhead } from './read-ahead.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import { DEFAULT_CHUNK_ROWS, loadKeyRanges } from './resumable-load.js';
import type { RangeLoadOutcome } from './resumable-load.js';
import { loadIdentity, stagedLoadParts } from './staged-load-plan.js';
import { RunRecorder } from './run-recorder.js';
import { checkQuarantine } from './quarantine-policy.js';
import type { QuarantinePolicy } from './quarantine-policy.js';
import { QuarantineWriter } from './quarantine-writer.js';
import { assertCanReconcile, makeKeysDir, stageReconciledDeletes } from './reconcile-deletes.js';
import { qualifiedName, selectStreams } from './select-streams.js';
import { StageTyping } from './stage-typing.js';
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
  // Change data capture has its own loop (batches, slot acknowledgement): src/sync/run-cdc.ts.
  if (request.mode === 'cdc') return runCdc(request);
  const connector = connectorForUrl(request.from);
  // One control database for the run history and, for a lake, its catalog (control-url.ts).
  const control = request.control ?? defaultControlUrl(request.to);
  const destination = destinationForUrl(request.to, { ...request.destinationSettings, control });
  const recorder = await RunRecorder.open(control);
  const fingerprints = new ChunkFingerprints();
  const typing = new StageTyping();
  const started = Date.now();
  try {
    await connector.check();
    await destination.check();
    // check() fails fast on a wrong address; once the source answered, a lost connection is retried.
    const discovered = await withRetry(() => connector.discover(), { ...DEFAULT_RETRY, ...request.retry });
    const plans = selectStreams(discovered, request.tables).map((schema) =>
      planStream(schema, request, destination, connector.capabilities),
    );
    const runId = await recorder.start({
      source: redact(request.from),
      destination: redact(request.to),
      mode: [...new Set(plans.map((p) => p.mode))].join(','),
    });
    const reports: StreamReport[] = [];
    try {
      for (const plan of plans) {
        const stream = qualifiedName(plan.schema);
        const report = await runGuardedStream(
          {
            db: recorder.db,
            runId,
            destination: request.to,
            stream,
            ...(request.lease && { lease: request.lease }),
            ...(request.retry && { retry: request.retry }),
            onRetry: (message) =>
              request.onProgress?.({ stream, phase: 'retry', rows: 0, bytes: 0, message }),
          },
          (attempt) =>
            syncStream(
              connector,
              destination,
              plan,
              runId,
              request,
              { recorder, fingerprints, typing },
              attempt,
            ),
        );
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
    await Promise.allSettled([connector.close(), destination.close(), fingerprints.close(), typing.close()]);
    await recorder.close();
  }
}

/** A stream's read plan, with the settings of its destination table. */
type StreamRunPlan = Omit<StreamPlan, 'stageDir'> & {
  /** Partitioning, schema policy and soft delete, for `openStream`. */
  table: Pick<DestinationStream, 'partitionBy' | 'schemaPolicy' | 'softDelete'>;
  /** Delete destination rows whose key the source no longer has (reconcile-deletes.ts). */
  reconcileDeletes?: boolean;
  /** What quarantined rows do to the stream (quarantine-policy.ts). */
  quarantine?: QuarantinePolicy;
};

/** The plan for one stream: its settings (per-table, else the request's) checked before anything runs. */
function planStream(
  schema: StreamSchema,
  request: SyncRequest,
  destination: Destination,
  source: SourceCapabilities | undefined,
): StreamRunPlan {
  const mode: SyncMode = request.mode ?? 'full';
  const settings: StreamSettings = request.settingsFor?.(schema.namespace, schema.name) ?? {
    mode,
    disposition: request.disposition ?? defaultDisposition(mode, source),
    ...(request.cursor !== undefined && { cursor: request.cursor }),
    ...(request.softDeleteColumn !== undefined && { softDeleteColumn: request.softDeleteColumn }),
    ...(request.primaryKey !== undefined && { primaryKey: request.primaryKey }),
    ...(request.partitionBy !== undefined && { partitionBy: request.partitionBy }),
    ...(request.schemaPolicy !== undefined && { schemaPolicy: request.schemaPolicy }),
    ...(request.softDelete !== undefined && { softDelete: request.softDelete }),
    ...(request.reconcileDeletes !== undefined && { reconcileDeletes: request.reconcileDeletes }),
    ...(request.quarantine !== undefined && { quarantine: request.quarantine }),
  };
  const primaryKey = settings.primaryKey ?? schema.primaryKey;
  assertSupported(settings, destination, source);
  if (settings.reconcileDeletes) assertReconcilable(settings, schema, primaryKey, destination, source);
  if (settings.disposition === 'merge' && primaryKey.length === 0) {
    throw new SluiceError('USAGE', `cannot merge ${qualifiedName(schema)}: it has no primary key`, {
      hint: 'give the key columns with --primary-key (or primaryKey in sluice.yml), or use --disposition append or replace',
    });
  }
  return {
    schema,
    mode: settings.mode,
    disposition: settings.disposition,
    primaryKey,
    chunkBytes: CHUNK_BYTES,
    // What the destination reads: a files source then stages typed Parquet and parses its files once.
    ...(destination.capabilities?.stagedFormats && { stagedFormats: destination.capabilities.stagedFormats }),
    ...(settings.cursor !== undefined && { cursor: settings.cursor }),
    ...(settings.softDeleteColumn !== undefined && { softDeleteColumn: settings.softDeleteColumn }),
    ...(settings.reconcileDeletes && { reconcileDeletes: true }),
    ...(settings.quarantine !== undefined && { quarantine: settings.quarantine }),
    table: {
      ...(settings.partitionBy !== undefined && { partitionBy: settings.partitionBy }),
      ...(settings.schemaPolicy !== undefined && { schemaPolicy: settings.schemaPolicy }),
      ...(settings.softDelete !== undefined && { softDelete: settings.softDelete }),
    },
  };
}

/**
 * Replace for full reads; for incremental ones append when the source follows its files (each is
 * read once), merge when it follows a cursor (its reads overlap: see connectors/cursor-position.ts).
 */
function defaultDisposition(mode: SyncMode, source: SourceCapabilities | undefined): Disposition {
  if (mode === 'full') return 'replace';
  return source?.incrementalBy === 'file' ? 'append' : 'merge';
}

/** Key reconciliation needs a cursor read, a key, a source that stages keys and a destination that lists them. */
function assertReconcilable(
  settings: StreamSettings,
  schema: StreamSchema,
  primaryKey: readonly string[],
  destination: Destination,
  source: SourceCapabilities | undefined,
): void {
  const table = qualifiedName(schema);
  if (settings.mode !== 'incremental' || settings.cursor === undefined || !source?.reconcileDeletes) {
    throw new SluiceError(
      'USAGE',
      `--reconcile-deletes applies to cursor-based incremental syncs, not to ${table} here`,
      {
        hint: 'use it with --mode incremental --cursor <column> from postgres://, mysql:// or sqlite: (a full sync replaces the table anyway)',
      },
    );
  }
  if (primaryKey.length === 0) {
    throw new SluiceError('USAGE', `cannot reconcile deletes of ${table}: it has no primary key`, {
      hint: 'give the key columns with --primary-key (or primaryKey in sluice.yml)',
    });
  }
  assertCanReconcile(destination, table);
}

function assertSupported(
  { mode, disposition, cursor }: StreamSettings,
  destination: Destination,
  source: SourceCapabilities | undefined,
): void {
  if (mode === 'cdc' || (mode === 'incremental' && !source?.incremental)) {
    throw new SluiceError('NOT_SUPPORTED', `--mode ${mode} is not yet supported by this source`, {
      hint:
        mode === 'incremental'
          ? 'incremental reads work from postgres://, mysql://, mariadb:// and sqlite: (by a cursor column) and from file: and s3:// sources (new and changed files); use --mode full here'
          : 'change data capture runs a whole sync: sluice sync --from … --to … --mode cdc, or mode: cdc for the sync in sluice.yml',
    });
  }
  if (mode === 'incremental' && source?.incrementalBy !== 'file' && cursor === undefined) {
    throw new SluiceError('USAGE', 'incremental mode needs a cursor column', {
      hint: 'name it with --cursor <column> (or cursor: in sluice.yml)',
    });
  }
  // Cursor reads overlap on purpose (>= the position, below the safety horizon): only an upsert
  // by key loads them without duplicates.
  if (mode === 'incremental' && source?.incrementalBy !== 'file' && disposition !== 'merge') {
    throw new SluiceError('USAGE', `cursor-based incremental syncs load with merge, not ${disposition}`, {
      hint: 'use --disposition merge (or disposition: merge in sluice.yml; the default on the command line): rows at the cursor boundary are read again and must replace, not repeat, what was loaded',
    });
  }
  // The resume point lives with the data, in the destination's last commit.
  if (mode === 'incremental' && !destination.lastPosition) {
    throw new SluiceError('NOT_SUPPORTED', '--mode incremental is not yet supported by this destination', {
      hint: 'incremental syncs resume from the position of the last commit; write them to a lake:<dir>, duckdb:<file> or postgres:// destination',
    });
  }
  // Capabilities are data the destination declares, so this fails before anything is read.
  if (!supportsDisposition(destination, disposition)) {
    throw new SluiceError(
      'NOT_SUPPORTED',
      `--disposition ${disposition} is not yet supported by this destination`,
      {
        hint: 'merge works into lake:, duckdb:<file> and postgres://… destinations; use --disposition replace or append here',
      },
    );
  }
}

async function syncStream(
  connector: Connector,
  destination: Destination,
  basePlan: StreamRunPlan,
  runId: string,
  request: SyncRequest,
  {
    recorder,
    fingerprints,
    typing,
  }: { recorder: RunRecorder; fingerprints: ChunkFingerprints; typing: StageTyping },
  { attempt, lease }: StreamAttempt,
): Promise<StreamReport> {
  const schema: StreamSchema = basePlan.schema;
  const name = qualifiedName(schema);
  const started = Date.now();
  const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
  const keysDir = basePlan.reconcileDeletes ? await makeKeysDir(stageDir) : undefined;
  let rowsDeleted = 0;
  const progress = (phase: 'start' | 'chunk' | 'commit' | 'done' | 'failed', rows: number, bytes: number) =>
    request.onProgress?.({ stream: name, phase, rows, bytes });
  let rowsRead = 0;
  let bytesRead = 0;
  let writer: StreamWriter | undefined;
  let resumedLoad: RangeLoadOutcome | undefined;
  const quarantine = new QuarantineWriter(destination, {
    namespace: schema.namespace,
    name: schema.name,
    runId,
  });
  // Errors from the commit on are not retried: whether it published is then not certain.
  let committing = false;
  try {
    const streamSpec = {
      namespace: schema.namespace,
      name: schema.name,
      columns: schema.columns,
      primaryKey: basePlan.primaryKey,
      disposition: basePlan.disposition,
      runId,
      ...basePlan.table,
    };
    const staged = stagedLoadParts(connector, destination, basePlan);
    let stagedWriter: StagedLoadWriter | undefined;
    if (staged) {
      stagedWriter = await staged.openStagedLoad(streamSpec, loadIdentity(request.from, basePlan));
      writer = stagedWriter;
    } else {
      if (attempt > 1) await recorder.clearChunks(runId, name);
      writer = await destination.openStream(streamSpec);
    }
    progress('start', 0, 0);
    // An incremental read resumes from the position the table's current version was committed with.
    const from =
      basePlan.mode === 'incremental' ? ((await destination.lastPosition?.(schema)) ?? null) : null;
    let position: SourcePosition | null = from;
    let chunkOffset = 0;
    const load = async (chunk: StagedChunk, endPosition: SourcePosition | null) => {
      if (chunk.quarantine) await quarantine.write(chunk.quarantine);
      // Hashed before write() when the connector did not hash it while staging: the destination
      // may delete the staged file once it has loaded it.
      const contentSha256 = chunk.sha256 ?? (await fileSha256(chunk.path));
      if (writer) {
        await writeProved(
          writer,
          chunk,
          schema.columns,
          fingerprints,
          `${name} chunk ${chunkOffset + chunk.index}`,
        );
      }
      await recorder.recordChunk(runId, {
        stream: name,
        index: chunkOffset + chunk.index,
        rows: chunk.rows,
        bytes: chunk.bytes,
        contentSha256,
        startPosition: position,
        endPosition,
      });
      rowsRead += chunk.rows;
      bytesRead += chunk.bytes;
      position = chunk.position;
      progress('chunk', rowsRead, bytesRead);
    };
    // Chunks decoded once into typed Parquet when the destination reads it (stage-typing.ts).
    const typed = stagesParquet(basePlan) ? typing : undefined;
    if (staged && stagedWriter) {
      resumedLoad = await loadKeyRanges(
        typed ? typedKeyRanges(staged.source, typed, schema.columns) : staged.source,
        stagedWriter,
        {
          plan: { ...basePlan, stageDir },
          rowsPerRange: request.chunkRows ?? DEFAULT_CHUNK_ROWS,
          write: (chunk, range) => load(chunk, { range }),
          // Manifests of ranges an earlier try of this run committed stay; the others are read again.
          onResume: async (done) => {
            chunkOffset = await recorder.keepRangeChunks(runId, name, done);
          },
        },
      );
    } else {
      const read = connector.read(
        { ...basePlan, stageDir, ...(keysDir && { reconcileKeysDir: keysDir }) },
        from,
      );
      const chunks = typed
        ? typed.convertAll(
            read,
            schema.columns,
            (c) => c,
            (_, c) => c,
          )
        : read;
      for await (const chunk of readAhead(chunks, READ_AHEAD)) {
        await load(chunk, chunk.position);
      }
    }
    // Deletes found by key reconciliation join the same commit; the merge consumes them as staged rows.
    const deletes = keysDir
      ? await stageReconciledDeletes(destination, { ...basePlan, keysDir, stageDir, position })
      : null;
    if (deletes) {
      // Like any chunk: content-checked, counted in rowsRead, and recorded with its manifest.
      await load(deletes, deletes.position);
      rowsDeleted = deletes.rows;
    }
    // Over a `fail` policy's threshold nothing of the stream is committed (quarantine-policy.ts).
    const warning = checkQuarantine(basePlan.quarantine, name, quarantine.rows, rowsRead);
    progress('commit', rowsRead, bytesRead);
    await lease.assertHeld();
    committing = true;
    const rowsQuarantined = await quarantine.commit();
    const result = await writer.commit(position);
    // Run-time check of what moved: every staged row must be in the commit (a merge consumes them
    // all). A destination that proves content did so chunk by chunk and read its commit back.
    assertCommitCount(name, rowsRead, result, resumedLoad?.rowsResumed ?? 0);
    progress('done', rowsRead, bytesRead);
    return {
      stream: name,
      status: 'succeeded',
      rowsRead,
      bytesRead,
      rowsWritten: result.rowsWritten,
      rowsQuarantined,
      bytesWritten: result.bytesWritten,
      filesWritten: result.filesWritten,
      snapshotId: result.snapshotId,
      durationMs: Date.now() - started,
      attempts: attempt,
      verification: 'passed',
      verifiedBy: writer.contentColumns && result.contentChecked ? 'content' : 'rows',
      ...(keysDir && { rowsDeleted }),
      ...(warning !== undefined && { warning }),
      ...(resumedLoad && {
        ranges: resumedLoad.ranges,
        rangesSkipped: resumedLoad.rangesSkipped,
        rowsResumed: resumedLoad.rowsResumed,
      }),
    };
  } catch (error) {
    await writer?.abort().catch(() => undefined);
    await quarantine.abort().catch(() => undefined);
    // A retryable error before the commit goes up to runGuardedStream, which tries again.
    if (isSluiceError(error) && (error.isUsage || (error.retryable && !committing))) throw error;
    progress('failed', rowsRead, bytesRead);
    return {
      ...failedStreamReport(name, error, started, rowsRead, bytesRead),
      // Quarantined rows are counted even when the stream failed (they were not committed).
      rowsQuarantined: quarantine.rows,
      attempts: attempt,
    };
  } finally {
    await rm(stageDir, { recursive: true, force: true });
  }
}

/** `source` whose ranges' chunks arrive as typed Parquet chunks. */
function typedKeyRanges(
  source: KeyRangeSource,
  typing: StageTyping,
  columns: StreamSchema['columns'],
): KeyRangeSource {
  return {
    planKeyRanges: (plan, rowsPerRange, maxRanges) => source.planKeyRanges(plan, rowsPerRange, maxRanges),
    readKeyRanges: (plan, keys, ranges) =>
      typing.convertAll(
        source.readKeyRanges(plan, keys, ranges),
        columns,
        (event) => ('chunk' in event ? event.chunk : undefined),
        (event, chunk) => ({ ...event, chunk }),
      ),
  };
}

function summarise(runId: string, streams: StreamReport[], started: number): SyncReport {
  const sum = (pick: (s: StreamReport) => number) => streams.reduce((total, s) => total + pick(s), 0);
  return {
    runId,
    status: streams.every((s) => s.status === 'succeeded') ? 'succeeded' : 'failed',
    streams,
    rowsRead: sum((s) => s.rowsRead),
    bytesRead: sum((s) => s.bytesRead),
    rowsWritten: sum((s) => s.rowsWritten),
    rowsQuarantined: sum((s) => s.rowsQuarantined),
    verification: streams.some((s) => s.verification === 'failed')
      ? 'failed'
      : streams.length > 0 && streams.every((s) => s.verification === 'passed')
        ? 'passed'
        : 'not-run',
    bytesWritten: sum((s) => s.bytesWritten),
    durationMs: Date.now() - started,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
