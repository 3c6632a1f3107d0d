/**
 * Time travel and table operations end to end through the real CLI: a SQLite source synced into
 * a lake three times (replace, append, append), then `query --as-of`, `compact`, `rollback`,
 * `expire` and `orphans`, each checked by the table's content, row by row, before and after;
 * bad input (an unknown snapshot, a missing option) exits 2 with a hint. Also where the catalog
 * is found: the lake's own control database from any directory, the project's for its lake.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let source: string;
let lake: string;

interface HistoryEntry {
  snapshotId: string;
  operation: string;
  isCurrent: boolean;
  totalRecords: number;
  committedAt: string;
}

/** Replaces the source table's rows with `ids` (name = `item <id>`). */
async function setSource(ids: number[]): Promise<void> {
  const db = new (nodeSqlite().DatabaseSync)(source);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, price REAL)');
    db.exec('DELETE FROM items');
    const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
    for (const id of ids) insert.run(id, `item ${id}`, id * 1.5);
  } finally {
    db.close();
  }
}

async function cli(args: string[], cwd?: string) {
  return runCli(args, cwd === undefined ? {} : { cwd });
}

async function ok(args: string[], cwd?: string): Promise<unknown> {
  const result = await cli([...args, '--json'], cwd);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as unknown;
}

async function sync(disposition: 'replace' | 'append'): Promise<void> {
  await ok([
    'sync',
    '--from',
    `sqlite:${source}`,
    '--to',
    `lake:${lake}`,
    '--tables',
    'items',
    '--disposition',
    disposition,
  ]);
}

/** Every row of main.items (optionally as of a point), in id order, as the CLI prints them. */
async function items(...asOf: string[]): Promise<unknown> {
  return ok([
    'query',
    '--lake',
    lake,
    ...asOf.flatMap((point) => ['--as-of', point]),
    'SELECT * FROM main.items ORDER BY id',
  ]);
}

function expectedRows(ids: number[]) {
  return ids.map((id) => ({ id, name: `item ${id}`, price: id * 1.5 }));
}

async function history(): Promise<HistoryEntry[]> {
  return ((await ok(['history', 'main.items', '--lake', lake])) as HistoryEntry[]).reverse();
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-ops-'));
  source = path.join(dir, 'source.db');
  lake = path.join(dir, 'lake');
  await setSource(range(1, 3));
  await sync('replace');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await setSource([4, 5]);
  await sync('append');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await setSource([6]);
  await sync('append');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('lake operations through the CLI', () => {
  it('keeps its catalog inside the lake, found from any directory', async () => {
    expect((await fs.stat(path.join(lake, '_sluice', 'control.db'))).isFile()).toBe(true);
    const tables = (await ok(['tables', '--lake', lake], os.tmpdir())) as {
      table: string;
      registered: boolean;
    }[];
    expect(tables.map((t) => [t.table, t.registered])).toEqual([['main.items', true]]);
  });

  it('reads tables as of a snapshot or an instant', async () => {
    const [first, second, third] = await history();
    expect(await items()).toEqual(expectedRows(range(1, 6)));
    expect(await items(first!.snapshotId)).toEqual(expectedRows(range(1, 3)));
    expect(await items(`main.items=${second!.snapshotId}`)).toEqual(expectedRows(range(1, 5)));
    expect(await items(second!.committedAt)).toEqual(expectedRows(range(1, 5)));
    expect(await items(third!.committedAt)).toEqual(expectedRows(range(1, 6)));

    const before = await cli(['query', '--lake', lake, '--as-of', '2000-01-01', 'SELECT * FROM main.items']);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/main\.items|items/);

    const unknown = await cli(['query', '--lake', lake, '--as-of', '123', 'SELECT 1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no table in the lake has snapshot 123/);
    expect(unknown.stderr).toMatch(/hint: .*sluice history/);
    const garbage = await cli(['query', '--lake', lake, '--as-of', 'yesterday', 'SELECT 1']);
    expect(garbage.code).toBe(2);
  });

  it('compacts small files into one with exactly the same rows', async () => {
    const before = await items();
    const filesBefore = ((await ok(['tables', '--lake', lake])) as { dataFiles: number }[])[0]!.dataFiles;
    expect(filesBefore).toBe(3);
    const result = (await ok(['compact', 'main.items', '--lake', lake])) as Record<string, unknown>;
    expect(result).toMatchObject({
      rewrittenFiles: 3,
      writtenFiles: 1,
      filesBefore: 3,
      filesAfter: 1,
      rows: 6,
    });
    expect(await items()).toEqual(before);
    const [table] = (await ok(['tables', '--lake', lake])) as { dataFiles: number; totalRecords: number }[];
    expect(table).toMatchObject({ dataFiles: 1, totalRecords: 6 });
    const current = (await history()).at(-1)!;
    expect(current).toMatchObject({ operation: 'replace', isCurrent: true, totalRecords: 6 });
    expect(await ok(['compact', 'main.items', '--lake', lake])).toMatchObject({
      snapshotId: null,
      filesBefore: 1,
    });
  });

  it('rolls back to an earlier snapshot and keeps history', async () => {
    const [, second] = await history();
    const result = await ok(['rollback', 'main.items', '--to', second!.snapshotId, '--lake', lake]);
    expect(result).toMatchObject({ to: second!.snapshotId, changed: true });
    expect(await items()).toEqual(expectedRows(range(1, 5)));
    const after = await history();
    expect(after).toHaveLength(4);
    expect(after.filter((entry) => entry.isCurrent).map((entry) => entry.snapshotId)).toEqual([
      second!.snapshotId,
    ]);

    const unknown = await cli(['rollback', 'main.items', '--to', '999', '--lake', lake]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/main\.items has no snapshot 999/);
    expect(unknown.stderr).toMatch(/hint: .*sluice history main\.items/);
    expect((await cli(['rollback', 'main.items', '--lake', lake])).code).toBe(2);
    expect(await items()).toEqual(expectedRows(range(1, 5)));
  });

  it('expires old snapshots, deleting only files no kept snapshot uses', async () => {
    const [first, second, third, compacted] = await history();
    const dataDir = path.join(lake, 'main', 'items', 'data');
    expect(await fs.readdir(dataDir)).toHaveLength(4);
    // Newest (the compaction) and the current one (after the rollback) stay.
    const result = await ok(['expire', 'main.items', '--keep', '1', '--lake', lake]);
    expect(result).toMatchObject({
      expired: [first!.snapshotId, third!.snapshotId],
      retained: 2,
      deleted: { dataFiles: 1, manifestLists: 2 },
    });
    expect((await history()).map((entry) => entry.snapshotId)).toEqual([
      second!.snapshotId,
      compacted!.snapshotId,
    ]);
    expect(await fs.readdir(dataDir)).toHaveLength(3);
    expect(await items()).toEqual(expectedRows(range(1, 5)));
    expect(await items(compacted!.snapshotId)).toEqual(expectedRows(range(1, 6)));
    const gone = await cli([
      'query',
      '--lake',
      lake,
      '--as-of',
      `main.items=${first!.snapshotId}`,
      'SELECT 1',
    ]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/has no snapshot/);
    expect((await cli(['expire', 'main.items', '--lake', lake])).code).toBe(2);
    expect((await cli(['expire', 'main.items', '--older-than', 'soon', '--lake', lake])).code).toBe(2);
    expect(await ok(['expire', 'main.items', '--older-than', '30d', '--lake', lake])).toMatchObject({
      expired: [],
    });
  });

  it('removes orphan files older than the grace period, and only those', async () => {
    const table = path.join(lake, 'main', 'items');
    await fs.writeFile(path.join(table, 'data', 'crashed-writer.parquet'), 'not referenced');
    await fs.writeFile(path.join(table, 'metadata', 'crashed-writer-m0.avro'), 'not referenced');
    const spared = (await ok(['orphans', 'main.items', '--lake', lake])) as {
      orphans: unknown[];
      tooYoung: number;
    };
    expect(spared).toMatchObject({ orphans: [], tooYoung: 2, deleted: 0 });
    const dry = (await ok(['orphans', 'main.items', '--older-than', '0s', '--dry-run', '--lake', lake])) as {
      orphans: { url: string }[];
      deleted: number;
    };
    expect(dry.orphans.map((o) => path.basename(o.url))).toEqual([
      'crashed-writer.parquet',
      'crashed-writer-m0.avro',
    ]);
    expect(dry.deleted).toBe(0);
    expect(await ok(['orphans', 'main.items', '--older-than', '0s', '--lake', lake])).toMatchObject({
      deleted: 2,
    });
    await expect(fs.stat(path.join(table, 'data', 'crashed-writer.parquet'))).rejects.toThrow();
    expect(await items()).toEqual(expectedRows(range(1, 5)));
    expect(await ok(['orphans', 'main.items', '--older-than', '0s', '--lake', lake])).toMatchObject({
      orphans: [],
    });
  });

  it('asks for --control before changing or syncing into a lake on S3', async () => {
    for (const args of [
      ['rollback', 'main.items', '--to', '1', '--lake', 's3://some-bucket/lake'],
      ['sync', '--from', `sqlite:${source}`, '--to', 'lake:s3://some-bucket/lake', '--all'],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/hint: .*--control postgres:\/\//);
    }
  });

  it("uses the project file's control database for the project's lake", async () => {
    const project = path.join(dir, 'project');
    await fs.mkdir(project);
    await fs.writeFile(
      path.join(project, 'sluice.yml'),
      `version: 1\ncontrol: sqlite:state/control.db\nconnections:\n  src:\n    url: sqlite:${source}\n  lake:\n    url: lake:./lake\nsyncs:\n  - from: src\n    to: lake\n`,
    );
    await ok(['sync'], project);
    expect((await fs.stat(path.join(project, 'state', 'control.db'))).isFile()).toBe(true);
    const listed = (await ok(['tables'], project)) as { table: string; registered: boolean }[];
    expect(listed.map((t) => [t.table, t.registered])).toEqual([['main.items', true]]);
    // Named from elsewhere without --control, the lake has no catalog of its own: read by path, with a note.
    const elsewhere = await cli(['tables', '--lake', path.join(project, 'lake')], os.tmpdir());
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stderr).toMatch(/note: not in this lake's catalog.*main\.items/);
    const withControl = await cli(
      [
        'tables',
        '--lake',
        path.join(project, 'lake'),
        '--control',
        `sqlite:${path.join(project, 'state', 'control.db')}`,
      ],
      os.tmpdir(),
    );
    expect(withControl.stderr).toBe('');
  });
});
