/**
 * `sluice cdc status|drop --from <source>` and the CDC part of `sluice sync --mode cdc`
 * (its flags, the signal handling, the report). The run itself is src/sync/run-cdc.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { CaptureStatus } from '../cdc/change-capture.js';
import type { CdcReport } from '../sync/cdc-report.js';
import { captureForSource, runCdc } from '../sync/run-cdc.js';
import type { SyncRequest } from '../sync/sync-report.js';
import { formatBytes, formatCount, formatDuration, info, printJson, printTable } from './output.js';
import { positiveInt } from './parse-options.js';

/** The flags `sluice sync` takes for --mode cdc. */
export interface CdcSyncFlags {
  untilCaughtUp?: boolean;
  resnapshot?: boolean;
  batchRows?: string;
  batchMs?: string;
}

/** Adds the --mode cdc flags to `sluice sync`. */
export function addCdcSyncOptions(command: Command): Command {
  return command
    .option('--until-caught-up', 'cdc: apply every change up to the log position current at start, then exit')
    .option(
      '--resnapshot',
      'cdc: take a new initial snapshot of the tables (after a lost slot or an unapplyable change)',
    )
    .option(
      '--batch-rows <n>',
      'cdc: end a batch (one commit per table) after this many row changes (default 200000)',
    )
    .option('--batch-ms <ms>', 'cdc: end a non-empty batch after this many milliseconds (default 1000)')
    .addHelpText(
      'after',
      `
Change data capture (--mode cdc; PostgreSQL with wal_level=logical, MySQL/MariaDB with a row binlog):
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --all --mode cdc
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --all --mode cdc --until-caught-up
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --tables orders --mode cdc --resnapshot
  sluice cdc status --from postgres://app@localhost/shop`,
    );
}

/**
 * Runs `sluice sync --mode cdc`: continuously until SIGINT/SIGTERM (finishing the batch in
 * progress, then exit 0) or, with --until-caught-up, until the position current at start.
 */
export async function runCdcSync(
  request: SyncRequest,
  flags: CdcSyncFlags & { json?: boolean },
): Promise<CdcReport> {
  const batchRows = positiveInt('--batch-rows', flags.batchRows);
  const batchMs = positiveInt('--batch-ms', flags.batchMs);
  const controller = new AbortController();
  const stop = () => {
    if (!flags.json) info('stopping after the batch in progress…');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const report = await runCdc({
      ...request,
      signal: controller.signal,
      ...(flags.untilCaughtUp && { untilCaughtUp: true }),
      ...(flags.resnapshot && { resnapshot: true }),
      ...(batchRows !== undefined && { batchRows }),
      ...(batchMs !== undefined && { batchMs }),
      ...(!flags.json && {
        onProgress: (e) =>
          info(
            e.phase === 'retry'
              ? `retrying: ${e.message ?? ''}`
              : `${e.stream}: committed ${formatCount(e.rows)} changes`,
          ),
      }),
    });
    if (flags.json) printJson(report);
    else printCdcReport(report);
    return report;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function printCdcReport(report: CdcReport): void {
  const c = report.cdc;
  if (c.snapshotted.length > 0)
    info(`initial snapshot: ${c.snapshotted.join(', ')} (${formatCount(c.snapshotRows)} rows)`);
  const latency =
    c.latencyP50Ms === null
      ? 'no transactions'
      : `latency p50 ${formatDuration(c.latencyP50Ms)}, p99 ${formatDuration(c.latencyP99Ms ?? 0)}`;
  info(
    `run ${report.runId} ${report.status}: ${c.batches} batches, ${formatCount(c.transactions)} transactions, ` +
      `${formatCount(c.changes)} changes (${formatCount(c.changesPerSecond)}/s), ${latency}, ` +
      `position ${c.position ? JSON.stringify(c.position) : '-'}${c.caughtUp ? ', caught up' : ''}, ` +
      (c.sourceLagBytes === null ? '' : `source keeps ${formatBytes(c.sourceLagBytes)} of log, `) +
      `${formatBytes(report.bytesWritten)} in ${formatDuration(report.durationMs)}`,
  );
}

export function registerCdc(program: Command): void {
  const cdc = program
    .command('cdc')
    .description(
      'inspect or remove what change data capture keeps on a source (PostgreSQL: slot, publication; MySQL/MariaDB: nothing, its position is in the destination)',
    );
  cdc
    .command('status')
    .description('position, lag and health of what Sluice reads: the replication slot, or the binlog')
    .requiredOption(
      '--from <source>',
      'postgres://user:pass@host:port/db[?schema=s] | mysql://user:pass@host:port/db (also mariadb://)',
    )
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice cdc status --from postgres://app@localhost/shop\n  sluice cdc status --from postgres://app@localhost/shop --json\n  sluice cdc status --from mysql://repl@localhost/shop',
    )
    .action(async (flags: { from: string; json?: boolean }) => {
      const status = await withCapture(flags.from, (capture) => capture.status());
      if (flags.json) printJson(status);
      else printStatus(status);
    });
  cdc
    .command('drop')
    .description(
      'remove the replication slot and publication (the next cdc sync needs --resnapshot); nothing to remove for MySQL/MariaDB',
    )
    .requiredOption(
      '--from <source>',
      'postgres://user:pass@host:port/db[?schema=s] | mysql://user:pass@host:port/db (also mariadb://)',
    )
    .option('--json', 'print what was dropped as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice cdc drop --from postgres://app@localhost/shop\n  sluice cdc drop --from postgres://app@localhost/shop --json',
    )
    .action(async (flags: { from: string; json?: boolean }) => {
      const status = await withCapture(flags.from, async (capture) => {
        const before = await capture.status();
        await capture.drop();
        return before;
      });
      // Binlog capture (MySQL) keeps nothing on the server: its position is committed with the data.
      const keepsState = status.source !== 'mysql';
      const dropped = {
        slot: status.name,
        existed: keepsState && status.health !== 'missing',
        details: status.details,
      };
      if (flags.json) printJson(dropped);
      else
        info(
          dropped.existed
            ? `dropped ${status.name} and its publication`
            : keepsState
              ? `${status.name} did not exist; nothing to drop`
              : `${status.source} change capture keeps nothing on the server (the position is committed with the data); nothing to drop`,
        );
    });
}

async function withCapture<T>(
  from: string,
  use: (capture: ReturnType<typeof captureForSource>) => Promise<T>,
): Promise<T> {
  const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-cdc-'));
  const capture = captureForSource(from, stageDir);
  try {
    return await use(capture);
  } finally {
    await capture.close();
    await rm(stageDir, { recursive: true, force: true });
  }
}

function printStatus(status: CaptureStatus): void {
  printTable(
    ['slot', 'health', 'active', 'confirmed', 'current', 'lag'],
    [
      [
        status.name,
        status.health,
        status.active ?? '-',
        status.confirmed ? JSON.stringify(status.confirmed) : '-',
        JSON.stringify(status.current),
        status.lagBytes === null ? '-' : formatBytes(status.lagBytes),
      ],
    ],
  );
  for (const [key, value] of Object.entries(status.details)) info(`${key}: ${String(value)}`);
}
