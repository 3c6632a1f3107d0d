/** Shared pieces of the PostgreSQL CDC tests: a logical embedded server, CLI runs, lake diffs. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
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

/**
 * Changes to `items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)`
 * seeded with ids 1…500: 1 insert, 10 updates, 10 deletes, a row updated twice in one
 * transaction, a rolled-back insert, a key change (a delete and an insert): 25 row changes.
 */
export const ITEM_CHANGES = [
  "INSERT INTO items VALUES (501, 'new', 1.25, now())",
  "UPDATE items SET name = 'renamed' WHERE id <= 10",
  'DELETE FROM items WHERE id BETWEEN 20 AND 29',
  'BEGIN; UPDATE items SET price = 0 WHERE id = 1; UPDATE items SET price = 2 WHERE id = 1; COMMIT',
  "BEGIN; INSERT INTO items VALUES (999, 'rolled back', 0, now()); ROLLBACK",
  // A key change is a delete of the old key and an insert of the new one.
  'UPDATE items SET id = 700 WHERE id = 2',
] as const;

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
  /** The run's check outcome, and each stream's (with what it compared). */
  verification: string;
  streams: { stream: string; verification: string; verifiedBy?: string }[];
  cdc: {
    batches: number;
    transactions: number;
    changes: number;
    snapshotted: string[];
    snapshotRows: number;
    caughtUp: boolean;
    position: { lsn: string } | null;
    latencyP99Ms: number | null;
    sourceLagBytes: number | null;
  };
}

/**
 * A continuous `sluice sync --mode cdc` in a child process (`args`: tables and batching), into
 * `target.to` when given (a `duckdb:` or `postgres://` destination), else the scratch lake.
 */
export function startSluice(
  url: string,
  target: { lake: string; control: string; to?: string },
  args: string[],
) {
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin/sluice.js'),
      'sync',
      '--from',
      url,
      '--to',
      target.to ?? `lake:${target.lake}`,
      '--mode',
      'cdc',
      '--wait',
      '60s',
      '--control',
      target.control,
      ...args,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let commits = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    commits += text.split('committed').length - 1;
    for (const w of waiters.filter((w) => commits >= w.at)) w.resolve();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    /** Resolves after `n` more commits; rejects if the process exits first. */
    commits: (n: number) =>
      Promise.race([
        new Promise<void>((resolve) => waiters.push({ at: commits + n, resolve })),
        exited.then((code) => {
          throw new Error(`sluice exited (${code}) early:\n${stderr}`);
        }),
      ]),
  };
}
