/**
 * Draft of the marketplace demo's flow, from the pieces in this folder and src/verify (the lead
 * writes the real demo.ts): an embedded PostgreSQL with a million-order marketplace, a full sync
 * of every table into a local lake, a content check of every table, one day of changes, a second
 * sync and a second check. Run: `npx tsx examples/marketplace/demo-draft.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { discoverPostgresSchema } from '../../src/connectors/postgres/postgres-discover.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { attachLake } from '../../src/lake/lake-query.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { runSync } from '../../src/sync/run-sync.js';
import { compareTable, type TableComparison } from '../../src/verify/compare-tables.js';
import { pgRows } from '../../src/verify/fingerprint-queries.js';
import { startEmbeddedPostgres } from './embedded-server.js';
import { applyDayOfChanges, createMarketplace } from './load-marketplace.js';

const started = performance.now();
function say(text: string): void {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);
}

/** Fingerprints every table in PostgreSQL and in the lake (through DuckDB views) and reports. */
async function verify(client: pg.Client, lakeRoot: string): Promise<boolean> {
  const duck = await openDuckDB();
  try {
    await attachLake(duck, LakeCatalog.open(lakeRoot));
    const lake = { dialect: 'duckdb' as const, run: (sql: string) => duck.queryObjects(sql) };
    const source = { dialect: 'postgres' as const, run: pgRows(client) };
    const results: TableComparison[] = [];
    for (const table of await discoverPostgresSchema(client, 'public')) {
      results.push(await compareTable(source, lake, table));
    }
    for (const result of results) {
      const mark = result.equal ? 'identical' : 'DIFFERENT';
      say(`  ${result.table.padEnd(24)} ${String(result.source.rows).padStart(9)} rows  ${mark}`);
      if (result.diff) say(`    differing keys: ${JSON.stringify(result.diff).slice(0, 200)}`);
    }
    return results.every((result) => result.equal);
  } finally {
    duck.close();
  }
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sluice-demo-'));
const lakeRoot = path.join(work, 'lake');
const server = await startEmbeddedPostgres({ databases: ['marketplace'] });
const client = new pg.Client({ connectionString: server.url('marketplace') });
try {
  await client.connect();
  say('generating the marketplace (1 M orders, 2.8 M order items, …)');
  const timings = await createMarketplace(client);
  say(`generated in ${timings.generate.toFixed(1)} s (+ ${timings.vacuum.toFixed(1)} s VACUUM ANALYZE)`);

  const sync = () =>
    runSync({
      from: server.url('marketplace'),
      to: `lake:${lakeRoot}`,
      tables: 'all',
      control: `sqlite:${path.join(work, 'control.db')}`,
    });
  const first = await sync();
  say(`sync 1: ${first.status}, ${first.rowsWritten} rows in ${(first.durationMs / 1000).toFixed(1)} s`);
  const firstOk = await verify(client, lakeRoot);

  const changeSeconds = await applyDayOfChanges(client);
  say(`a day of changes applied in ${changeSeconds.toFixed(1)} s`);
  const second = await sync();
  say(`sync 2: ${second.status}, ${second.rowsWritten} rows in ${(second.durationMs / 1000).toFixed(1)} s`);
  const secondOk = await verify(client, lakeRoot);

  say(firstOk && secondOk ? 'the lake matches the source, row for row' : 'the lake differs from the source');
  process.exitCode = firstOk && secondOk ? 0 : 1;
} finally {
  await client.end();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
