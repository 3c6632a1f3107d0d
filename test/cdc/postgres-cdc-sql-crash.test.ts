/**
 * The crash sequence of `postgres-cdc-crash.test.ts` (eight clients writing; Sluice SIGKILLed
 * twice, its replication connection cut once, then SIGTERM) with a DuckDB file as destination:
 * each restart resumes from the position in `_sluice_state`, committed with the rows, and a
 * final `--until-caught-up` run leaves the file equal to PostgreSQL row by row.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { diffSqlCopy } from '../helpers/sql-destination-diff.js';
import { runPostgresCrashScenario } from './postgres-workload.js';
import type { CdcCliReport } from './pg-cdc-helpers.js';
import { okReport, scratchLake } from './pg-cdc-helpers.js';

let server: EmbeddedPostgresServer;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ logical: true, databases: ['cdc_sql_crash'] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

it('keeps a DuckDB file equal to PostgreSQL under a concurrent workload, across two SIGKILLs', async () => {
  const url = server.url('cdc_sql_crash');
  const scratch = scratchLake('cdc-sql-crash');
  const file = path.join(path.dirname(scratch.lake), 'crash.duckdb');
  const target = { ...scratch, to: `duckdb:${file}` };
  await runPostgresCrashScenario(server, 'cdc_sql_crash', target);
  const last = okReport<CdcCliReport>(
    await runCli([
      'sync',
      '--from',
      url,
      '--to',
      target.to,
      '--all',
      '--mode',
      'cdc',
      '--until-caught-up',
      '--wait',
      '60s',
      '--json',
      '--control',
      target.control,
    ]),
  );
  expect(last.cdc.caughtUp).toBe(true);
  // Only the first run snapshots; every restart resumed from the file's committed position.
  expect(last.cdc.snapshotted).toEqual([]);
  for (const table of ['accounts', 'events']) {
    const diff = await diffSqlCopy(url, table, { duckdb: file, schema: 'public' });
    expect({ table, ...diff }).toMatchObject({ table, missing: [], extra: [], changed: [] });
    expect(diff.copyRows).toBe(diff.sourceRows);
  }
}, 300_000);
