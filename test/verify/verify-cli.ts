/** `sluice verify --json` run through the real CLI, for the verify tests. */
import { expect } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

/** One table of the `--json` report. */
export interface JsonTable {
  table: string;
  status: string;
  sourceRows: number;
  destinationRows: number;
  missing: unknown[];
  extra: unknown[];
  changed: unknown[];
  notes: string[];
}

/** The `--json` report. */
export interface JsonReport {
  identical: boolean;
  tables: JsonTable[];
}

/** Runs `sluice verify --from … --to … --json [extra…]`; nothing may reach stderr. */
export async function verifyJson(
  from: string,
  to: string,
  ...extra: string[]
): Promise<{ code: number; report: JsonReport }> {
  const result = await runCli(['verify', '--from', from, '--to', to, '--json', ...extra]);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
}

/**
 * The report of one table found identical, compared by its primary key `id`: what a verify right
 * after a sync must print (no schema note, so every column was paired and hashed).
 */
export function identicalById(table: string, rows: number): JsonReport {
  return {
    identical: true,
    tables: [
      {
        table,
        status: 'identical',
        sourceRows: rows,
        destinationRows: rows,
        missing: [],
        extra: [],
        changed: [],
        notes: ['compared by the primary key (id)'],
      },
    ],
  };
}
