/** Shared pieces of the PostgreSQL CDC tests: a logical embedded server, CLI runs, lake diffs. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCli } from '../helpers/run-cli.js';
import type { CliResult } from '../helpers/run-cli.js';

/** A scratch lake directory and its control database. */
export function scratchLake(prefix: string): { lake: string; control: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  return { lake: path.join(dir, 'lake'), control: `sqlite:${path.join(dir, 'control.db')}` };
}

/** `sluice sync --mode cdc --until-caught-up --json` of `tables` (all when empty). */
export function cdcSync(
  from: string,
  target: { lake: string; control: string },
  extra: string[] = [],
  tables: string[] = [],
): Promise<CliResult> {
  return runCli([
    'sync',
    '--from',
    from,
    '--to',
    `lake:${target.lake}`,
    ...(tables.length > 0 ? ['--tables', tables.join(',')] : ['--all']),
    '--mode',
    'cdc',
    '--until-caught-up',
    '--json',
    '--control',
    target.control,
    ...extra,
  ]);
}

/** Runs SQL statements on one connection, in order. */
export async function sql(url: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The parsed JSON report of a CLI run that must have succeeded. */
export function okReport<T = CdcCliReport>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`sluice exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

/** The part of `sluice sync --mode cdc --json` the tests read. */
export interface CdcCliReport {
  status: string;
  cdc: {
    batches: number;
    changes: number;
    snapshotted: string[];
    snapshotRows: number;
    caughtUp: boolean;
    position: { lsn: string } | null;
    latencyP99Ms: number | null;
  };
}
