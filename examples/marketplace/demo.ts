/**
 * `npm start`: the README's demo. An embedded PostgreSQL plays the on-premises database of an
 * online marketplace; Sluice syncs all of it into a local Iceberg lake, the source changes
 * (inserts, updates, deletes), Sluice syncs again, and after each sync every table is compared by
 * content between source and lake. Needs no services; removes its server at the end.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { formatBytes, formatCount, formatDuration, printTable } from '../../src/cli/output.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { startEmbeddedPostgres } from './embedded-server.js';
import { applyDayOfChanges, createMarketplace } from './load-marketplace.js';
import type { TableCheck } from './verify-lake.js';
import { compareSourceWithLake } from './verify-lake.js';

const LAKE = path.resolve('demo-lake');

const say = (text: string) => process.stdout.write(text + '\n');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const started = performance.now();
  say('Sluice demo: an online marketplace (embedded PostgreSQL) → an Apache Iceberg lake\n');

  let step = performance.now();
  const server = await startEmbeddedPostgres({ databases: ['marketplace'] });
  const sourceUrl = server.url('marketplace');
  try {
    say(`1. started PostgreSQL on 127.0.0.1:${server.port} in ${seconds(performance.now() - step)}`);

    step = performance.now();
    const client = new pg.Client({ connectionString: sourceUrl });
    await client.connect();
    let first: SyncReport;
    let firstCheck: TableCheck[];
    try {
      await createMarketplace(client);
      say(`2. generated the marketplace in-database in ${seconds(performance.now() - step)}`);
      await rm(LAKE, { recursive: true, force: true });

      first = await sync(sourceUrl, '3. full sync into the lake');
      firstCheck = await check(sourceUrl, '   content check');

      step = performance.now();
      await applyDayOfChanges(client);
      say(
        `\n4. a day of changes at the source (new orders, status and price updates, deletes) in ${seconds(performance.now() - step)}`,
      );
    } finally {
      await client.end();
    }

    const second = await sync(
      sourceUrl,
      '5. sync again (full refresh: a new snapshot per table, the old one kept)',
    );
    const secondCheck = await check(sourceUrl, '   content check');

    await summarise([first, second], firstCheck, secondCheck, performance.now() - started);
    return firstCheck.every((c) => c.equal) && secondCheck.every((c) => c.equal) ? 0 : 1;
  } finally {
    await server.stop();
  }
}

async function sync(sourceUrl: string, title: string): Promise<SyncReport> {
  say(`\n${title}`);
  const report = await runSync({ from: sourceUrl, to: `lake:${LAKE}`, tables: 'all' });
  for (const s of report.streams) {
    say(
      `   ${s.stream.padEnd(24)} ${formatCount(s.rowsWritten).padStart(10)} rows  ${formatBytes(s.bytesWritten).padStart(9)}  ${formatDuration(s.durationMs)}${s.error ? `  FAILED: ${s.error}` : ''}`,
    );
  }
  say(`   ${report.status} in ${seconds(report.durationMs)}`);
  if (report.status !== 'succeeded') throw new Error(`sync failed: run ${report.runId}`);
  return report;
}

async function check(sourceUrl: string, title: string): Promise<TableCheck[]> {
  const step = performance.now();
  const checks = await compareSourceWithLake(sourceUrl, LAKE, await discoverSource(sourceUrl));
  const different = checks.filter((c) => !c.equal);
  say(
    `${title}: ${different.length === 0 ? `all ${checks.length} tables equal the source, row by row` : `DIFFERENT: ${different.map((c) => c.table).join(', ')}`} (${seconds(performance.now() - step)})`,
  );
  return checks;
}

async function summarise(
  runs: SyncReport[],
  before: TableCheck[],
  after: TableCheck[],
  totalMs: number,
): Promise<void> {
  const tables = await LakeCatalog.open(LAKE).listTables();
  say('\nSummary');
  printTable(
    ['table', 'rows', 'lake bytes', 'files', 'snapshots', 'lake = source'],
    await Promise.all(
      tables.map(async (t) => {
        const name = `${t.namespace}.${t.name}`;
        const history = await LakeCatalog.open(LAKE).history(t);
        const equal =
          after.find((c) => c.table === name)?.equal && before.find((c) => c.table === name)?.equal;
        return [
          name,
          t.totalRecords,
          formatBytes(t.totalBytes),
          t.dataFiles,
          history.length,
          equal ? 'yes' : 'NO',
        ];
      }),
    ),
  );
  const rows = runs.reduce((n, r) => n + r.rowsWritten, 0);
  const bytes = runs.reduce((n, r) => n + r.bytesWritten, 0);
  const syncMs = runs.reduce((n, r) => n + r.durationMs, 0);
  const allEqual = [...before, ...after].every((c) => c.equal);
  say(
    `\n${tables.length} tables; ${formatCount(rows)} rows and ${formatBytes(bytes)} written in 2 syncs (${seconds(syncMs)} syncing); ` +
      `whole demo ${seconds(totalMs)}; peak memory ${formatBytes(process.resourceUsage().maxRSS * 1024)}`,
  );
  say(`lake content equals source content after both syncs: ${allEqual ? 'YES' : 'NO'}`);
  say(`\nThe lake stays in ${LAKE}; try:`);
  say(`  npx sluice tables --lake demo-lake`);
  say(`  npx sluice history public.orders --lake demo-lake`);
  say(
    `  npx sluice query --lake demo-lake "SELECT status, count(*), sum(total) FROM public.orders GROUP BY 1 ORDER BY 2 DESC"`,
  );
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
