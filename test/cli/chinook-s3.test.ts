/**
 * Chinook from SQLite into a lake on S3-compatible storage (s3rver on 127.0.0.1), with the real
 * CLI: `sync --to lake:s3://…` (settings in the URL, credentials from the AWS environment
 * variables), then `tables` and `query` with `--lake s3://…`, and every row of every table
 * compared by content hash. The catalog lives in an SQLite control database named with
 * `--control`, as an S3 lake has no local folder to keep one in. A project file with an `s3:`
 * block (credentials included) reaches the same lake without any environment.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { sqliteRowHashes } from '../../src/verify/sqlite-row-hash.js';
import { CHINOOK_SQLITE, CHINOOK_TABLES, chinookSqliteName } from '../helpers/chinook.js';
import { diffAgainstLake, expectIdentical } from '../helpers/lake-content.js';
import { runCli } from '../helpers/run-cli.js';
import type { S3rverHandle } from '../helpers/s3rver.js';
import { startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'chinook-lake';
let s3: S3rverHandle;
let dir: string;
let lake: string;
let control: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-chinook-s3-'));
  lake = `s3://${BUCKET}/warehouse?endpoint=${s3.endpoint}`;
  control = `sqlite:${path.join(dir, 'control.db')}`;
  env = { ...s3.env, SLUICE_CACHE_DIR: path.join(dir, 'cache') };
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

async function discover(): Promise<StreamSchema[]> {
  const connector = connectorForUrl(`sqlite:${CHINOOK_SQLITE}`);
  try {
    return await connector.discover();
  } finally {
    await connector.close();
  }
}

describe('Chinook from SQLite into lake:s3://', () => {
  it('syncs all 11 tables through the CLI', async () => {
    const sync = await runCli(
      [
        'sync',
        '--from',
        `sqlite:${CHINOOK_SQLITE}`,
        '--to',
        `lake:${lake}`,
        '--all',
        '--json',
        '--control',
        control,
      ],
      { env },
    );
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    const report = JSON.parse(sync.stdout) as { status: string; streams: unknown[] };
    expect(report).toMatchObject({ status: 'succeeded' });
    expect(report.streams).toHaveLength(11);
  });

  it('`sluice tables --lake s3://…` lists them with the source counts', async () => {
    const tables = await runCli(['tables', '--lake', lake, '--control', control, '--json'], { env });
    expect(tables.stderr).toBe('');
    expect(tables.code).toBe(0);
    const listed = JSON.parse(tables.stdout) as { table: string; totalRecords: number }[];
    expect(Object.fromEntries(listed.map((t) => [t.table, t.totalRecords]))).toEqual(
      Object.fromEntries(
        Object.entries(CHINOOK_TABLES).map(([snake, t]) => [`main.${chinookSqliteName(snake)}`, t.rows]),
      ),
    );
  });

  it('`sluice history … --lake s3://…` shows the commit', async () => {
    const history = await runCli(['history', 'main.Genre', '--lake', lake, '--control', control, '--json'], {
      env,
    });
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject([{ operation: 'overwrite', totalRecords: 25 }]);
  });

  it('`sluice query --lake s3://…` answers from local copies, row for row as SQLite does', async () => {
    const sql = `SELECT g.Name AS genre, count(*) AS tracks, sum(t.Milliseconds) AS ms
      FROM main.Track t JOIN main.Genre g ON g.GenreId = t.GenreId GROUP BY g.Name ORDER BY g.Name`;
    const query = await runCli(['query', '--lake', lake, '--control', control, '--format', 'json', sql], {
      env,
    });
    expect(query.stderr).toBe('');
    expect(query.code).toBe(0);
    const { DatabaseSync } = nodeSqlite();
    const source = new DatabaseSync(CHINOOK_SQLITE, { readOnly: true });
    try {
      const expected = source.prepare(sql).all() as { genre: string; tracks: number; ms: number }[];
      expect(expected).toHaveLength(25);
      expect(JSON.parse(query.stdout)).toEqual(expected.map((row) => ({ ...row })));
    } finally {
      source.close();
    }
  });

  it('holds exactly the source rows in every table', async () => {
    const { DatabaseSync } = nodeSqlite();
    const source = new DatabaseSync(CHINOOK_SQLITE, { readOnly: true });
    try {
      const diffs = await diffAgainstLake(
        { url: lake, s3: s3.settings },
        await discover(),
        async (stream, columns) =>
          sqliteRowHashes(source, { namespace: 'main', name: stream.name }, columns, stream.primaryKey),
        { control, copies: { cacheDir: path.join(dir, 'cache') } },
      );
      expectIdentical(diffs);
    } finally {
      source.close();
    }
  });

  it('a project file with an s3: block reaches the lake without AWS environment variables', async () => {
    await writeFile(
      path.join(dir, 'sluice.yml'),
      `version: 1
control: ${control}
connections:
  chinook: { url: "sqlite:${CHINOOK_SQLITE}" }
  lake:
    url: "lake:s3://${BUCKET}/from-project"
    s3: { endpoint: "${s3.endpoint}", accessKeyId: "\${KEY}", secretAccessKey: "\${SECRET}" }
syncs:
  - { from: chinook, to: lake, tables: [Genre, MediaType] }
`,
    );
    const projectEnv = { KEY: 'S3RVER', SECRET: 'S3RVER', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    const sync = await runCli(['sync', '--json'], { cwd: dir, env: projectEnv });
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    const tables = await runCli(['tables', '--json'], { cwd: dir, env: projectEnv });
    expect(tables.code).toBe(0);
    expect(
      (JSON.parse(tables.stdout) as { table: string; totalRecords: number }[]).map((t) => [
        t.table,
        t.totalRecords,
      ]),
    ).toEqual([
      ['main.Genre', CHINOOK_TABLES.genre!.rows],
      ['main.MediaType', CHINOOK_TABLES.media_type!.rows],
    ]);
  });

  it('a missing bucket fails with a hint to create it', async () => {
    const result = await runCli(
      ['tables', '--lake', `s3://no-such-bucket/x?endpoint=${s3.endpoint}`, '--control', control],
      { env },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /hint: bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+: create it/,
    );
  });
});
