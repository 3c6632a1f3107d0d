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
