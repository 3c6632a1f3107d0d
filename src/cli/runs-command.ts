import type { Command } from 'commander';
import { openControlDb } from '../control/open-control-db.js';
import { RunChunksRepository } from '../control/run-chunks-repository.js';
import type { RunRecord } from '../control/runs-repository.js';
import { RUN_STALE_MS, RunsRepository } from '../control/runs-repository.js';
import { SluiceError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { isGoneHere } from '../sync/stream-lease.js';
import { controlMissing, resolveControl } from './control-option.js';
import type { ControlChoice } from './control-option.js';
import { formatBytes, formatDuration, info, printJson, printTable } from './output.js';
import { positiveInt } from './parse-options.js';

interface RunsFlags {
  control?: string;
  lake?: string;
  json?: boolean;
  limit?: string;
}

const CONTROL_HELP = 'control database: sqlite:<file> | postgres://… (default: as sync chooses it)';
const LAKE_HELP = "read the runs recorded in this local lake's own control database";

export function registerRuns(program: Command): void {
  const runs = program
    .command('runs')
    .description('list sync runs recorded in the control database, newest first')
    .option('--limit <n>', 'how many runs', '20')
    .option('--control <url>', CONTROL_HELP)
    .option('--lake <dir>', LAKE_HELP)
    .option('--json', 'print the runs as JSON')
    .addHelpText(
      'after',
      `
Examples:
  sluice runs --limit 5
  sluice runs --lake ./lake --json
  sluice runs show run_01JD3Q7Z8W6XKJ2M4N5P6R7S8T

A run whose process was killed or crashed shows as abandoned once its heartbeat is a minute
old, or at once when its process (on this machine) no longer exists.`,
    )
    .action(async (flags: RunsFlags, command: Command) => {
      const limit = positiveInt('--limit', flags.limit) ?? 20;
      const choice = await resolveControl(flags, command.optsWithGlobals<{ config: string }>().config);
      if (controlMissing(choice)) {
        if (flags.json) printJson([]);
        else info(`no runs recorded yet (no control database at ${choice.file})`);
        return;
      }
      const list = await withRuns(choice, (repo) => repo.listRuns(limit));
      if (flags.json) {
        printJson(list.map(({ report: _report, ...run }) => run));
        return;
      }
      if (list.length === 0) {
        info(`no runs recorded yet in ${redactUrl(choice.url)}`);
        return;
      }
      printTable(
        [
          'run',
          'started',
          'status',
          'rows read',
          'rows written',
          'bytes',
          'time',
          'verified',
          'source → destination',
        ],
        list.map((r) => [
          r.id,
          r.startedAt,
          r.status,
          r.rowsRead,
          r.rowsWritten,
          r.bytesWritten === null ? '-' : formatBytes(r.bytesWritten),
          r.durationMs === null ? '-' : formatDuration(r.durationMs),
          r.verification ?? '-',
          `${r.source} → ${r.destination}`,
        ]),
      );
    });

  runs
    .command('show')
    .description('show one run: totals, each stream, each staged chunk')
    .argument('<id>', 'a run id, as `sluice runs` lists them')
    .option('--control <url>', CONTROL_HELP)
    .option('--lake <dir>', LAKE_HELP)
    .option('--json', 'print the run as JSON')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .action(async (id: string, _local: RunsFlags, command: Command) => {
      // `runs` declares the same options, and commander gives them to it when they follow `show`.
      const flags = command.optsWithGlobals<RunsFlags & { config: string }>();
      const choice = await resolveControl(flags, flags.config);
      if (controlMissing(choice)) throw runNotFound(id, choice);
      const detail = await withRuns(choice, async (repo, chunks) => {
        const run = await repo.getRun(id);
        return run && { ...run, chunks: await chunks.list(id) };
      });
      if (!detail) throw runNotFound(id, choice);
      if (flags.json) {
        printJson(detail);
        return;
      }
      printRun(detail);
      const checkedBy = verifiedByStream(detail.report);
      if (detail.streams.length > 0) {
        process.stdout.write('\n');
        printTable(
          [
            'stream',
            'status',
            'rows read',
            'rows written',
            'quarantined',
            'bytes',
            'files',
            'tries',
            'verified',
            'snapshot',
            'time',
          ],
          detail.streams.map((s) => [
            s.stream,
            s.status,
            s.rowsRead,
            s.rows,
            s.rowsQuarantined,
            s.bytes === null ? '-' : formatBytes(s.bytes),
            s.files,
            s.attempts,
            // With what the run-time check compared, from the stored report: content or rows.
            s.verification === 'passed' && checkedBy.has(s.stream)
              ? `passed (${checkedBy.get(s.stream)})`
              : (s.verification ?? '-'),
            s.snapshotId ?? '-',
            s.durationMs === null ? '-' : formatDuration(s.durationMs),
          ]),
        );
        for (const s of detail.streams) if (s.error) info(`error: ${s.stream}: ${s.error}`);
      }
      if (detail.chunks.length > 0) {
        process.stdout.write('\n');
        printTable(
          ['stream', 'chunk', 'rows', 'bytes', 'sha256', 'position'],
          detail.chunks.map((c) => [
            c.stream,
            c.index,
            c.rows,
            formatBytes(c.bytes),
            c.contentSha256,
            c.endPosition === null ? '-' : JSON.stringify(c.endPosition),
          ]),
        );
      }
    });
}

async function withRuns<T>(
  choice: ControlChoice,
  fn: (runs: RunsRepository, chunks: RunChunksRepository) => Promise<T>,
): Promise<T> {
  const db = await openControlDb(choice.url);
  try {
    const runs = new RunsRepository(db);
    // A run whose process was killed would otherwise show as running forever. Listing must still
    // work where the control database cannot be written (a read-only copy, a reporting role).
    await runs.markAbandoned({ staleMs: RUN_STALE_MS, isGone: isGoneHere }).catch(() => []);
    return await fn(runs, new RunChunksRepository(db));
  } finally {
    await db.close();
  }
}

function printRun(run: RunRecord): void {
  const lines: [string, string][] = [
    ['run', run.id],
    ['status', run.status + (run.errorCode ? ` (${run.errorCode})` : '')],
    ['started', run.startedAt],
    ['finished', run.finishedAt ?? '-'],
    ['source', run.source],
    ['destination', run.destination],
    ['mode', run.mode],
    [
      'rows',
      `${run.rowsRead ?? '-'} read, ${run.rowsWritten ?? '-'} written, ${run.rowsQuarantined ?? '-'} quarantined`,
    ],
    [
      'bytes',
      `${run.bytesRead === null ? '-' : formatBytes(run.bytesRead)} read, ${run.bytesWritten === null ? '-' : formatBytes(run.bytesWritten)} written`,
    ],
    ['duration', run.durationMs === null ? '-' : formatDuration(run.durationMs)],
    ['peak memory', run.peakRssBytes === null ? '-' : formatBytes(run.peakRssBytes)],
    ['verification', run.verification ?? '-'],
  ];
  if (run.errorMessage) lines.push(['error', run.errorMessage]);
  const width = Math.max(...lines.map(([label]) => label.length));
  process.stdout.write(lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n');
}

function runNotFound(id: string, choice: ControlChoice): SluiceError {
  return new SluiceError('USAGE', `no run ${id} in ${redactUrl(choice.url)}`, {
    hint: '`sluice runs` lists the recorded runs; pass --control or --lake if the run was recorded elsewhere',
  });
}

/** Each stream's `verifiedBy` in a stored run report (sync-report.ts); empty for older reports. */
function verifiedByStream(report: unknown): Map<string, string> {
  const streams = (report as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) return new Map();
  return new Map(
    streams.flatMap((stream: { stream?: unknown; verifiedBy?: unknown }) =>
      typeof stream.stream === 'string' && typeof stream.verifiedBy === 'string'
        ? [[stream.stream, stream.verifiedBy] as const]
        : [],
    ),
  );
}
