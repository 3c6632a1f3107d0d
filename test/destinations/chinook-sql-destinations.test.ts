/**
 * Chinook (SQLite and PostgreSQL editions) into a DuckDB file and into PostgreSQL, through the
 * real CLI and through the library: every row of every table compared by content hash with the
 * source; then append twice (every row doubled), replace (exact) and merge after changing source
 * rows (exact), with the state row recording each run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { DuckDBFileDestination, duckdbFileOf } from '../../src/destinations/duckdb/duckdb-destination.js';
import { PostgresDestination } from '../../src/destinations/postgres/postgres-destination.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncRequest } from '../../src/sync/sync-report.js';
import type { RowHash } from '../../src/verify/row-diff.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { CHINOOK_SQLITE, loadChinook } from '../helpers/chinook.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { copyRowHashes } from '../helpers/sql-destination-diff.js';
import { serviceAvailable } from '../helpers/services.js';

const SQLITE_URL = `sqlite:${CHINOOK_SQLITE}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-chinook-sql-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function discover(url: string): Promise<StreamSchema[]> {
  const connector = connectorForUrl(url);
  try {
    return await connector.discover();
  } finally {
    await connector.close();
  }
}

/** Row hashes of a table wherever it lives: a SQLite file, a PostgreSQL database or a DuckDB file. */
type Side = { sqlite: string } | { postgres: string; schema: string } | { duckdb: string; schema: string };

async function rowHashes(side: Side, stream: StreamSchema): Promise<RowHash[]> {
  if ('sqlite' in side) {
    const { DatabaseSync } = nodeSqlite();
    const db = new DatabaseSync(side.sqlite, { readOnly: true });
    try {
      return sqliteRowHashes(db, { namespace: 'main', name: stream.name }, stream.columns, stream.primaryKey);
    } finally {
      db.close();
    }
  }
  return copyRowHashes(side, stream);
}

/** Every stream's rows at the destination equal the source's, each row as many times as `copies`. */
async function expectSameContent(
  source: Side,
  destination: Side,
  streams: readonly StreamSchema[],
  copies = 1,
): Promise<void> {
  for (const stream of streams) {
    const expected = (await rowHashes(source, stream)).flatMap((row) => Array<RowHash>(copies).fill(row));
    const actual = await rowHashes(destination, stream);
    expect({ table: stream.name, ...diffRowHashes(expected, actual) }).toEqual({
      table: stream.name,
      missing: [],
      extra: [],
      changed: [],
    });
    expect(actual.length, stream.name).toBe(expected.length);
    expect(actual.length, stream.name).toBeGreaterThan(0);
  }
}

async function cliSync(args: string[]): Promise<{ status: string; runId: string; streams: unknown[] }> {
  const result = await runCli(['sync', ...args, '--json', '--control', `sqlite:${dir}/control.db`]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { status: string; runId: string; streams: unknown[] };
}

async function librarySync(request: Omit<SyncRequest, 'control'>) {
  const report = await runSync({ ...request, control: `sqlite:${dir}/control.db` });
  expect(report.streams.filter((stream) => stream.status !== 'succeeded')).toEqual([]);
  // A DuckDB file proves the content of an append or replace inside its transaction; PostgreSQL
  // and merges prove row counts (sync-report.ts `verifiedBy`).
  const proved = request.to.startsWith('duckdb:') && request.disposition !== 'merge';
  for (const stream of report.streams) expect(stream.verifiedBy).toBe(proved ? 'content' : 'rows');
  return report;
}

describe('Chinook from SQLite into a DuckDB file (CLI)', () => {
  it('syncs all 11 tables with identical content', async () => {
    const file = path.join(dir, 'sqlite.duckdb');
    const report = await cliSync(['--from', SQLITE_URL, '--to', `duckdb:${file}`, '--all']);
    expect(report.streams).toHaveLength(11);
    await expectSameContent(
      { sqlite: CHINOOK_SQLITE },
      { duckdb: file, schema: 'main' },
      await discover(SQLITE_URL),
    );
  });

  it('refuses a second process while the file is open, with a hint (exit 1)', async () => {
    const file = path.join(dir, 'sqlite.duckdb');
    const holder = await openDuckDB({ path: file });
    try {
      const result = await runCli([
        'sync',
        '--from',
        SQLITE_URL,
        '--to',
        `duckdb:${file}`,
        '--tables',
        'Genre',
        '--control',
        `sqlite:${dir}/control.db`,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/in use by another process/);
      expect(result.stderr).toMatch(/^hint: .*one process at a time/m);
    } finally {
      holder.close();
    }
  });
});

describe('merge needs a key', () => {
  it('refuses to merge a table without a primary key before reading anything (exit 2)', async () => {
    const file = path.join(dir, 'keyless.sqlite');
    const { DatabaseSync } = nodeSqlite();
    const db = new DatabaseSync(file);
    db.exec("CREATE TABLE events (at TEXT, what TEXT); INSERT INTO events VALUES ('2024-01-01', 'x');");
    db.close();
    const target = path.join(dir, 'keyless.duckdb');
    const result = await runCli([
      'sync',
      '--from',
      `sqlite:${file}`,
      '--to',
      `duckdb:${target}`,
      '--all',
      '--disposition',
      'merge',
      '--control',
      `sqlite:${dir}/control.db`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot merge main\.events: it has no primary key/);
    expect(result.stderr).toMatch(/^hint: .*--primary-key/m);
  });
});

const pgUp = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!pgUp)('Chinook into PostgreSQL and DuckDB', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let sourceUrl: string;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      createTestDatabase('chinook_sql_src'),
      createTestDatabase('chinook_sql_dest'),
    ]);
    await loadChinook(source);
    sourceUrl = `${source.url}?schema=public`;
  });
  afterAll(async () => {
    await Promise.all([source?.drop(), target?.drop()]);
  });

  it('PostgreSQL → PostgreSQL (CLI, schema = source namespace): identical content', async () => {
    const report = await cliSync(['--from', sourceUrl, '--to', target.url, '--all']);
    expect(report.streams).toHaveLength(11);
    await expectSameContent(
      { postgres: source.url, schema: 'public' },
      { postgres: target.url, schema: 'public' },
      await discover(sourceUrl),
    );
  });

  it('SQLite → PostgreSQL (library, ?schema=): identical content', async () => {
    await librarySync({ from: SQLITE_URL, to: `${target.url}?schema=from_sqlite`, tables: 'all' });
    await expectSameContent(
      { sqlite: CHINOOK_SQLITE },
      { postgres: target.url, schema: 'from_sqlite' },
      await discover(SQLITE_URL),
    );
  });

  it('PostgreSQL → DuckDB file (library): identical content', async () => {
    const file = path.join(dir, 'pg.duckdb');
    await librarySync({ from: sourceUrl, to: `duckdb:${file}`, tables: 'all' });
    await expectSameContent(
      { postgres: source.url, schema: 'public' },
      { duckdb: file, schema: 'public' },
      await discover(sourceUrl),
    );
  });

  it('never prints the destination password', async () => {
    const result = await runCli([
      'sync',
      '--from',
      SQLITE_URL,
      '--to',
      'postgres://app:s3cr3t-pw@127.0.0.1:1/shop',
      '--all',
      '--control',
      `sqlite:${dir}/control.db`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to the PostgreSQL destination/);
    expect(result.stderr + result.stdout).not.toContain('s3cr3t-pw');
  });

  describe.each([
    { label: 'PostgreSQL', url: () => `${target.url}?schema=dispositions`, schema: 'dispositions' },
    { label: 'DuckDB', url: () => `duckdb:${path.join(dir, 'dispositions.duckdb')}`, schema: 'public' },
  ])('dispositions into $label', ({ label, url, schema }) => {
    let merging: TestDatabase;
    let mergingUrl: string;
    let streams: StreamSchema[];
    const destinationSide = (): Side =>
      label === 'PostgreSQL'
        ? { postgres: target.url, schema }
        : { duckdb: url().slice('duckdb:'.length), schema };
    const sourceSide = (): Side => ({ postgres: merging.url, schema: 'public' });
    const tables = ['genre', 'track'];

    beforeAll(async () => {
      // A source of its own: merge changes its rows.
      merging = await createTestDatabase(`chinook_merge_${label}`);
      await loadChinook(merging);
      mergingUrl = `${merging.url}?schema=public`;
      streams = (await discover(mergingUrl)).filter((stream) => tables.includes(stream.name));
    });
    afterAll(async () => {
      await merging?.drop();
    });

    async function lastCommit(name: string) {
      const destination =
        label === 'PostgreSQL'
          ? PostgresDestination.fromUrl(url())
          : new DuckDBFileDestination(duckdbFileOf(url()));
      try {
        return await destination.lastCommit('public', name);
      } finally {
        await destination.close();
      }
    }

    it('append twice doubles every row (CLI)', async () => {
      for (let i = 0; i < 2; i++) {
        await cliSync([
          '--from',
          mergingUrl,
          '--to',
          url(),
          '--tables',
          tables.join(','),
          '--disposition',
          'append',
        ]);
      }
      await expectSameContent(sourceSide(), destinationSide(), streams, 2);
    });

    it('replace leaves exactly the source rows (library)', async () => {
      const report = await librarySync({ from: mergingUrl, to: url(), tables, disposition: 'replace' });
      await expectSameContent(sourceSide(), destinationSide(), streams);
      expect(await lastCommit('track')).toMatchObject({
        version: 3,
        runId: report.runId,
        disposition: 'replace',
        rowsWritten: 3503,
        totalRows: 3503,
      });
    });

    it('merge after changing source rows gives exactly the source rows (CLI)', async () => {
      await merging.sql(`
        UPDATE track SET name = name || ' (remastered)', unit_price = unit_price + 0.01 WHERE track_id % 7 = 0;
        UPDATE genre SET name = 'Rock & Roll' WHERE genre_id = 1;
        INSERT INTO genre (genre_id, name) VALUES (26, 'Sluice Jazz'), (27, NULL);
        INSERT INTO track (track_id, name, media_type_id, genre_id, milliseconds, unit_price)
          VALUES (4000, 'New track ✓', 1, 26, 1000, 0.99);
      `);
      const report = await cliSync([
        '--from',
        mergingUrl,
        '--to',
        url(),
        '--tables',
        tables.join(','),
        '--disposition',
        'merge',
      ]);
      await expectSameContent(sourceSide(), destinationSide(), streams);
      expect(await lastCommit('genre')).toMatchObject({
        version: 4,
        runId: report.runId,
        disposition: 'merge',
        rowsWritten: 27,
        totalRows: 27,
      });
    });

    it('merge keeps rows the source deleted (merge never deletes)', async () => {
      await merging.sql(`DELETE FROM genre WHERE genre_id = 27`);
      await cliSync(['--from', mergingUrl, '--to', url(), '--tables', 'genre', '--disposition', 'merge']);
      const genre = streams.filter((stream) => stream.name === 'genre');
      const diff = diffRowHashes(
        await rowHashes(sourceSide(), genre[0]!),
        await rowHashes(destinationSide(), genre[0]!),
      );
      expect(diff).toEqual({ missing: [], extra: ['27'], changed: [] });
    });
  });
});
