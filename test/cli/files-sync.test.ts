/**
 * `sluice sync --from file:… | s3://…` end to end with the real CLI: the lake holds exactly the
 * files' good rows (compared row by row), bad rows are in `<table>__quarantine` with a warning,
 * and `--mode incremental` loads each file once.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamSchema } from '../../src/core/stream.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { expectedRowHashes } from '../helpers/expected-row-hashes.js';
import { diffAgainstLake, expectIdentical } from '../helpers/lake-content.js';
import { runCli } from '../helpers/run-cli.js';
import type { S3rverHandle } from '../helpers/s3rver.js';
import { startS3rver } from '../helpers/s3rver.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-cli-'));
  await mkdir(path.join(dir, 'sales'));
  await writeFile(path.join(dir, 'sales', 'q1.csv'), 'id;region;amount\n1;north;10.5\n2;south;"7,25"\n');
  await writeFile(path.join(dir, 'sales', 'q2.csv'), 'id;region;amount\n3;east;3\n4;west\n5;north;1\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The lake's table compared row by row with `rows` (canonical text), keyed by `id`. */
async function expectLake(
  lake: string,
  from: string,
  rows: (string | null)[][],
  env?: Record<string, string>,
): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let schema: StreamSchema | undefined;
  try {
    [schema] = await discoverSource(from);
  } finally {
    process.env = saved;
  }
  const stream = { ...schema!, primaryKey: ['id'] };
  expectIdentical(
    await diffAgainstLake(lake, [stream], async (s, columns) =>
      expectedRowHashes(columns, rows, s.primaryKey),
    ),
    1,
  );
}

describe('sluice sync from files', () => {
  it('syncs a glob of CSV files, quarantines the ragged row with a warning, and loads each file once', async () => {
    const lake = path.join(dir, 'lake');
    const from = `file:${dir}/sales/*.csv`;
    const run = (...extra: string[]) =>
      runCli(['sync', '--from', from, '--to', `lake:${lake}`, '--all', ...extra]);

    const first = await run('--mode', 'incremental');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(
      'warning: files.sales: 1 rows not loaded, see files.sales__quarantine (file, line, reason)',
    );
    const rows = [
      ['1', 'north', '10.5'],
      ['2', 'south', '7,25'],
      ['3', 'east', '3'],
      ['5', 'north', '1'],
    ];
    await expectLake(lake, from, rows);
    const quarantine = await queryLake(lake, 'SELECT file, line, raw FROM files.sales__quarantine');
    expect(quarantine.rows).toEqual([[path.join(dir, 'sales', 'q2.csv'), 3n, '4;west']]);

    const again = await run('--mode', 'incremental', '--json');
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as SyncReport;
    expect(report.streams[0]).toMatchObject({
      stream: 'files.sales',
      rowsWritten: 0,
      rowsQuarantined: 0,
      verifiedBy: 'content',
    });
    await expectLake(lake, from, rows);

    const tables = await runCli(['tables', '--lake', lake, '--json']);
    const listed = (JSON.parse(tables.stdout) as { table: string; totalRecords: number }[]).map((t) => [
      t.table,
      t.totalRecords,
    ]);
    expect(listed).toEqual([
      ['files.sales', 4],
      ['files.sales__quarantine', 1],
    ]);
  });

  it('runs an incremental file sync from a project file (relative path, no cursor)', async () => {
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'drops'), { recursive: true });
    await writeFile(path.join(project, 'drops', 'one.csv'), 'id,v\n1,a\n');
    await writeFile(
      path.join(project, 'sluice.yml'),
      [
        'version: 1',
        'connections:',
        '  drops: { url: "file:drops/*.csv" }',
        '  lake: { url: "lake:./lake" }',
        'syncs:',
        '  - { from: drops, to: lake, mode: incremental }',
        '',
      ].join('\n'),
    );
    const first = await runCli(['sync', '--json'], { cwd: project });
    expect(first.code, first.stderr).toBe(0);
    expect((JSON.parse(first.stdout) as SyncReport).streams[0]).toMatchObject({
      stream: 'files.drops',
      rowsWritten: 1,
    });
    await writeFile(path.join(project, 'drops', 'two.csv'), 'id,v\n2,b\n');
    const second = await runCli(['sync', '--json'], { cwd: project });
    expect((JSON.parse(second.stdout) as SyncReport).streams[0]).toMatchObject({ rowsWritten: 1 });
  });

  describe('from S3', () => {
    let s3: S3rverHandle;
    beforeAll(async () => {
      s3 = await startS3rver();
      await s3.createBucket('drop');
      const client = createS3Client(s3.settings);
      await client.send(
        new PutObjectCommand({
          Bucket: 'drop',
          Key: 'in/a.ndjson',
          Body: '{"id":1,"v":{"x":1}}\n{"id":2,"v":null}\n',
        }),
      );
      client.destroy();
    });
    afterAll(async () => {
      await s3?.close();
    });

    it('syncs s3://bucket/prefix/glob with credentials from the environment', async () => {
      const lake = path.join(dir, 's3-lake');
      const from = `s3://drop/in/*.ndjson?endpoint=${s3.endpoint}&table=events`;
      const result = await runCli(['sync', '--from', from, '--to', `lake:${lake}`, '--all', '--json'], {
        env: s3.env,
      });
      expect(result.code, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as SyncReport).streams[0]).toMatchObject({
        stream: 'files.events',
        rowsWritten: 2,
      });
      await expectLake(
        lake,
        from,
        [
          ['1', '{"x":1}'],
          ['2', null],
        ],
        s3.env,
      );
    });
  });
});
