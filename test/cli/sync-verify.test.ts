/**
 * `sluice sync --verify`: after the sync, the synced tables are compared with the source row by
 * row (as `sluice verify` does). Chinook (SQLite) into a lake: a full sync verifies identical
 * (exit 0, the verify report under "verify" in --json); a second `--disposition append` of the
 * same table doubles its rows: the sync succeeds, --verify reports the table different (exit 1);
 * --verify with --mode cdc is refused before anything runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { CHINOOK_SQLITE } from '../helpers/chinook.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sync-verify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface VerifiedReport extends SyncReport {
  verify: {
    identical: boolean;
    tables: { table: string; status: string; sourceRows: number; destinationRows: number }[];
  };
}

describe('sluice sync --verify', () => {
  const from = `sqlite:${CHINOOK_SQLITE}`;

  it('compares the synced tables with the source after the sync', async () => {
    const lake = `lake:${path.join(dir, 'lake')}`;
    const sync = (...extra: string[]) => runCli(['sync', '--from', from, '--to', lake, '--verify', ...extra]);
    const first = await sync('--tables', 'Genre,MediaType', '--json');
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as VerifiedReport;
    expect(report.status).toBe('succeeded');
    expect(report.verify.identical).toBe(true);
    expect(report.verify.tables.map((t) => [t.table, t.status, t.sourceRows, t.destinationRows])).toEqual([
      ['main.Genre', 'identical', 25, 25],
      ['main.MediaType', 'identical', 5, 5],
    ]);

    // Appending the same rows again doubles them: the sync itself succeeds, --verify does not.
    const again = await sync('--tables', 'Genre', '--disposition', 'append');
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/main\.Genre\s+different\s+25\s+50/);
    expect(again.stdout).toMatch(/different\n$/);
  });

  it('refuses --verify with --mode cdc', async () => {
    const result = await runCli([
      'sync',
      '--from',
      'postgres://postgres@127.0.0.1:5432/test',
      '--to',
      `lake:${path.join(dir, 'cdc')}`,
      '--all',
      '--mode',
      'cdc',
      '--verify',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--verify does not apply to --mode cdc');
  });
});
