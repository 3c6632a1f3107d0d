/**
 * The done-when test: a concurrent workload (many clients; inserts, updates of the same
 * rows, deletes, rolled-back and long transactions) runs against PostgreSQL while
 * `sluice sync --mode cdc` streams it into a lake; Sluice is killed with SIGKILL twice mid-stream
 * and restarted, has its replication connection cut (and resumes by itself), then is stopped with SIGTERM, and a final `--until-caught-up` run must leave the
 * lake equal to the source, row by row.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../helpers/embedded-postgres.js';
import { IDENTICAL, diffPostgresTable } from '../helpers/postgres-lake-diff.js';
import { runPostgresCrashScenario } from './postgres-workload.js';
import { cdcSync, okReport, scratchLake } from './pg-cdc-helpers.js';

let server: EmbeddedPostgresServer;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ logical: true, databases: ['cdc_crash'] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

it('keeps the lake equal to PostgreSQL under a concurrent workload, across two SIGKILLs', async () => {
  const url = server.url('cdc_crash');
  const target = scratchLake('cdc-crash');
  await runPostgresCrashScenario(server, 'cdc_crash', target);
  const last = okReport(await cdcSync(url, target, ['--wait', '60s']));
  expect(last.cdc.caughtUp).toBe(true);
  for (const table of ['accounts', 'events']) {
    const diff = await diffPostgresTable(url, target.lake, table);
    expect(diff).toMatchObject(IDENTICAL);
    expect(diff.lakeRows).toBe(diff.sourceRows);
  }
}, 300_000);
