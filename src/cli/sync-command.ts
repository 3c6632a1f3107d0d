import type { Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import { parsePartitionBy } from '../core/partition-fields.js';
import { quarantineTableName } from '../core/quarantine.js';
import { parseQuarantineThreshold } from '../sync/quarantine-policy.js';
import { runSync } from '../sync/run-sync.js';
import { addCdcSyncOptions, runCdcSync } from './cdc-command.js';
import type { CdcSyncFlags } from './cdc-command.js';
import type { SyncProgress, SyncReport, SyncRequest } from '../sync/sync-report.js';
import { EXIT } from './exit-codes.js';
import { verifyEndpoints } from '../verify/verify-tables.js';
import { reportJson } from '../verify/verify-report.js';
import { printVerifyReport } from './verify-command.js';
import { formatBytes, formatCount, formatDuration, info, printJson, printTable } from './output.js';
import { commaList, oneOf, parseDuration, positiveInt } from './parse-options.js';
import { projectSyncRequests } from './project-syncs.js';

interface SyncFlags extends CdcSyncFlags {
  from?: string;
  to?: string;
  tables?: string;
  all?: boolean;
  mode?: string;
  cursor?: string;
  softDeleteColumn?: string;
  reconcileDeletes?: boolean;
  quarantinePolicy?: string;
  quarantineThreshold?: string;
  primaryKey?: string;
  disposition?: string;
  partitionBy?: string;
  schemaPolicy?: string;
  softDelete?: boolean;
  control?: string;
  json?: boolean;
  wait?: string;
  chunkRows?: string;
  verify?: boolean;
}

export function registerSync(program: Command): void {
  // The cdc flags and their help section come after the general ones, as a reader scans them.
  const sync = program
    .command('sync')
    .description('copy tables from a source into a destination as one atomic snapshot per table')
    .argument('[name]', 'a sync defined in the project file (default: all of them)')
    .option(
      '--from <source>',
      'postgres://user:pass@host:port/db[?schema=s] | mysql://user:pass@host:port/db (also mariadb://) | sqlite:<path> | file:<path or glob> | s3://bucket/prefix/<glob>',
    )
    .option(
      '--to <destination>',
      'lake:<dir> | lake:s3://bucket/prefix | duckdb:<file> | postgres://user:pass@host:port/db[?schema=s]',
    )
    .option('--tables <list>', 'comma-separated tables, as name or namespace.name')
    .option('--all', 'every table of the source (schema)')
    .option(
      '--mode <mode>',
      'full | incremental | cdc (incremental: postgres://, mysql:// and sqlite: by --cursor; file: and s3://, new and changed files)',
    )
    .option(
      '--cursor <column>',
      'cursor column for incremental mode (postgres://, mysql:// and sqlite: sources; timestamp, date, integer or decimal; rows are merged by key)',
    )
    .option(
      '--soft-delete-column <column>',
      'incremental by cursor: rows where this column is set (non-NULL, or true) are deleted from the destination',
    )
    .option(
      '--reconcile-deletes',
      'incremental by cursor: also read every primary key in the same snapshot and delete the rows the source no longer has',
    )
    .option(
      '--quarantine-policy <policy>',
      'warn | fail: with fail, a table whose rows that cannot be loaded exceed --quarantine-threshold fails and commits nothing (default warn: load the rest, count the others)',
    )
    .option(
      '--quarantine-threshold <n|p%>',
      'rows that may be quarantined before the policy applies: a count (100) or a percentage of the rows read (0.5%); default 0',
    )
    .option('--primary-key <columns>', 'comma-separated key columns (default: the source primary key)')
    .option(
      '--disposition <how>',
      'replace | append | merge (default: replace for full mode; merge upserts and deletes by primary key)',
    )
    .option(
      '--partition-by <fields>',
      'partition lake tables: "day(placed_at), bucket(16, buyer_id)" (identity(col) or col, year, month, day, hour, bucket(N, col), truncate(W, col))',
    )
    .option(
      '--schema-policy <policy>',
      'when source columns differ from the table: evolve (add columns, widen types; default) | freeze | discard_columns',
    )
    .option(
      '--soft-delete',
      'merge: keep deleted rows, setting their _sluice_deleted_at, instead of removing them',
    )
    .option(
      '--control <url>',
      "control database (runs, state, the lake catalog): sqlite:<file> | postgres://… (default: a local lake's own <lake>/_sluice/control.db, else .sluice/control.db)",
    )
    .option(
      '--chunk-rows <n>',
      "full loads into a lake: rows per key range committed to the table's staging branch, so a crash resumes after the last one (default 1000000)",
    )
    .option(
      '--verify',
      'after the sync, compare every synced table with the source row by row, as sluice verify does; exit 1 on a difference (for a source nobody changes meanwhile, e.g. a migration)',
    )
    .option('--json', 'print the run report as JSON on stdout (with --verify, its report under "verify")')
    .option(
      '--wait <duration>',
      'when another run is syncing a table, wait up to this long for it (e.g. 30s, 10m); default: fail at once',
    )
    .addHelpText(
      'after',
      `
Without --from/--to, runs the syncs of the project file (--config, default sluice.yml).
Passwords can come from the environment: --from "postgres://app:$SHOP_PASSWORD@db/shop".

Examples:
  sluice sync --from sqlite:Chinook.sqlite --to lake:./lake --all
  sluice sync --from postgres://app@localhost/shop?schema=sales --to lake:./lake --tables orders,customers
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --tables orders --disposition append --json
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --tables orders --disposition merge --partition-by "day(placed_at)"
  sluice sync --from "file:./exports/orders/*.csv.gz" --to lake:./lake --all --mode incremental
  sluice sync --from mysql://app@localhost/shop --to lake:./lake --tables orders --mode incremental --cursor updated_at --reconcile-deletes
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --tables orders --mode incremental --cursor updated_at
  sluice sync --from postgres://app@localhost/shop --to lake:./lake --all --mode cdc --until-caught-up
  sluice sync --from "postgres://app@localhost/shop?parallelism=4" --to lake:./lake --tables events --chunk-rows 500000

A full load into a lake commits each finished key range to the table's staging branch
(sluice-load); killed or cut off, the next run resumes after the last committed range, and
readers see the previous version until the whole load is published.`,
    );
  addCdcSyncOptions(sync).action(async (name: string | undefined, flags: SyncFlags, command: Command) => {
    const globals = command.optsWithGlobals<{ config: string }>();
    const waitMs = parseDuration('--wait', flags.wait);
    const chunkRows = positiveInt('--chunk-rows', flags.chunkRows);
    const requests = await resolveRequests(name, flags, globals.config);
    let failed = false;
    for (const request of requests) {
      if (request.mode === 'cdc') {
        if (flags.verify) {
          throw new SluiceError('USAGE', '--verify does not apply to --mode cdc', {
            hint: 'a change stream never stops changing; compare a quiet moment with sluice verify --from … --to …',
          });
        }
        const lease = waitMs !== undefined ? { lease: { waitMs } } : {};
        failed ||= (await runCdcSync({ ...request, ...lease }, flags)).status === 'failed';
        continue;
      }
      const report = await runSync({
        ...request,
        ...(waitMs !== undefined && { lease: { waitMs } }),
        ...(chunkRows !== undefined && { chunkRows }),
        ...(flags.json ? {} : { onProgress: printProgress }),
      });
      // Every run checks what it moved (verifiedBy); --verify also reads the source again.
      const verified =
        flags.verify && report.status === 'succeeded'
          ? await verifyEndpoints({
              from: request.from,
              to: request.to,
              tables: report.streams.map((stream) => stream.stream),
              ...(request.primaryKey && { primaryKey: request.primaryKey }),
              ...(flags.json ? {} : { onTable: (table) => info(`verified ${table.table}: ${table.status}`) }),
            })
          : undefined;
      if (flags.json) printJson(verified ? { ...report, verify: reportJson(verified) } : report);
      else printReport(report);
      if (verified && !flags.json) printVerifyReport(verified, 10);
      failed ||= report.status === 'failed' || verified?.identical === false;
    }
    if (failed) process.exitCode = EXIT.failed;
  });
}

async function resolveRequests(
  name: string | undefined,
  flags: SyncFlags,
  configPath: string,
): Promise<SyncRequest[]> {
  const adHoc = flags.from !== undefined || flags.to !== undefined;
  if (!adHoc) return projectSyncRequests(configPath, name, flags.control);
  if (flags.from === undefined || flags.to === undefined) {
    throw new SluiceError('USAGE', `--${flags.from === undefined ? 'from' : 'to'} is missing`, {
      hint: 'an ad-hoc sync needs both: sluice sync --from <source> --to <destination> --all',
    });
  }
  if (name !== undefined) {
    throw new SluiceError('USAGE', `a sync name ("${name}") cannot be combined with --from/--to`, {
      hint: 'either run a project sync by name, or give --from and --to',
    });
  }
  const tables = commaList(flags.tables);
  if (tables && flags.all) {
    throw new SluiceError('USAGE', '--tables and --all cannot be combined', { hint: 'pick one' });
  }
  if (!tables && !flags.all) {
    throw new SluiceError('USAGE', 'say which tables to sync', {
      hint: 'add --all for every table, or --tables a,b',
    });
  }
  const mode = oneOf('--mode', flags.mode, ['full', 'incremental', 'cdc'] as const);
  const disposition = oneOf('--disposition', flags.disposition, ['append', 'replace', 'merge'] as const);
  const primaryKey = commaList(flags.primaryKey);
  const schemaPolicy = oneOf('--schema-policy', flags.schemaPolicy, [
    'evolve',
    'freeze',
    'discard_columns',
  ] as const);
  const partitionBy = flags.partitionBy === undefined ? undefined : parsePartitionBy(flags.partitionBy);
  return [
    {
      from: flags.from,
      to: flags.to,
      tables: tables ?? 'all',
      ...(mode && { mode }),
      ...(disposition && { disposition }),
      ...(flags.cursor !== undefined && { cursor: flags.cursor }),
      ...(flags.softDeleteColumn !== undefined && { softDeleteColumn: flags.softDeleteColumn }),
      ...(flags.reconcileDeletes && { reconcileDeletes: true }),
      ...quarantineFlags(flags),
      ...(primaryKey && { primaryKey }),
      ...(partitionBy && { partitionBy }),
      ...(schemaPolicy && { schemaPolicy }),
      ...(flags.softDelete && { softDelete: true }),
      ...(flags.control !== undefined && { control: flags.control }),
    },
  ];
}

/** The quarantine policy of the flags, checked here so a typo is a usage error before any read. */
function quarantineFlags(flags: SyncFlags): Pick<SyncRequest, 'quarantine'> {
  if (flags.quarantinePolicy === undefined && flags.quarantineThreshold === undefined) return {};
  const policy = oneOf('--quarantine-policy', flags.quarantinePolicy, ['warn', 'fail'] as const) ?? 'warn';
  if (flags.quarantineThreshold !== undefined) parseQuarantineThreshold(flags.quarantineThreshold);
  return {
    quarantine: {
      policy,
      ...(flags.quarantineThreshold !== undefined && { threshold: flags.quarantineThreshold }),
    },
  };
}

function printProgress(event: SyncProgress): void {
  const amount = `${formatCount(event.rows)} rows, ${formatBytes(event.bytes)} staged`;
  if (event.phase === 'start') info(`${event.stream}: reading…`);
  else if (event.phase === 'chunk') info(`${event.stream}: ${amount}`);
  else if (event.phase === 'commit') info(`${event.stream}: committing ${formatCount(event.rows)} rows`);
  else if (event.phase === 'failed') info(`${event.stream}: FAILED after ${amount}`);
  else if (event.phase === 'retry') info(`${event.stream}: ${event.message ?? 'retrying'}`);
}

function printReport(report: SyncReport): void {
  printTable(
    ['table', 'status', 'rows', 'bytes', 'files', 'snapshot', 'checked', 'time'],
    report.streams.map((s) => [
      s.stream,
      s.status,
      s.rowsWritten,
      formatBytes(s.bytesWritten),
      s.filesWritten,
      s.snapshotId ?? '-',
      // What the run-time check compared: content fingerprints, or row counts only.
      s.verification === 'passed' ? (s.verifiedBy ?? 'rows') : s.verification,
      formatDuration(s.durationMs),
    ]),
  );
  for (const s of report.streams) if (s.error) info(`error: ${s.stream}: ${s.error}`);
  for (const s of report.streams) {
    if (s.warning) info(`warning: ${s.warning}`);
    if (s.rowsQuarantined > 0 && s.status === 'succeeded') {
      info(
        `warning: ${s.stream}: ${formatCount(s.rowsQuarantined)} rows not loaded, see ${quarantineTableName(s.stream)} (file, line, reason)`,
      );
    }
  }
  const failed = report.streams.filter((s) => s.status === 'failed').length;
  info(
    `run ${report.runId} ${report.status}: ${report.streams.length} tables` +
      (failed > 0 ? ` (${failed} failed)` : '') +
      `, ${formatCount(report.rowsWritten)} rows, ${formatBytes(report.bytesWritten)} in ${formatDuration(report.durationMs)}` +
      `, peak memory ${formatBytes(report.peakRssBytes)}`,
  );
}
