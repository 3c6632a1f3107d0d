/**
 * The DuckDB-file destination: the shared SQL destination suite, the exact values DuckDB holds
 * for every canonical type (independent expectations from the staged text), the file lock held
 * by another process, and URL parsing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBFileDestination, duckdbFileOf } from '../../src/destinations/duckdb/duckdb-destination.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { ALL_TYPES, ALL_TYPES_DUCKDB_TYPES, rowsBetween, stageChunk } from '../lake/lake-fixtures.js';
import {
  duckdbComparableSelect,
  expectedDuckdbRow,
  normaliseDuckdbRow,
} from '../lake/reader-expectations.js';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { sqlDestinationSuite } from './sql-destination-suite.js';

let dir: string;
let file: string;
beforeAll(async () => {
  // A space and a `#` in the path: the file name must reach DuckDB unmangled.
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice duckdb #'));
  file = path.join(dir, 'nested', 'warehouse.duckdb');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function withFile<T>(
  target: string,
  action: (db: Awaited<ReturnType<typeof openDuckDB>>) => Promise<T>,
) {
  const db = await openDuckDB({ path: target });
  try {
    return await action(db);
  } finally {
    db.close();
  }
}

sqlDestinationSuite({
  label: 'DuckDB',
  dialect: 'duckdb',
  open: () => new DuckDBFileDestination(file),
  withSql: (action) => withFile(file, (db) => action((sql) => db.queryObjects(sql))),
});

describe('DuckDB destination: values and types', () => {
  it('holds every canonical value exactly, in the types duckdbType() names', async () => {
    const target = path.join(dir, 'values.duckdb');
    const rows = rowsBetween(1, 300);
    const stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-stage-'));
    const destination = new DuckDBFileDestination(target);
    try {
      const writer = await destination.openStream({
        namespace: 'shop',
        name: 'all types',
        columns: ALL_TYPES,
        primaryKey: ['id'],
        disposition: 'replace',
        runId: 'r',
      });
      await writer.write(await stageChunk(stageDir, 0, rows));
      await writer.commit(null);
    } finally {
      await destination.close();
      await fs.rm(stageDir, { recursive: true, force: true });
    }
    await withFile(target, async (db) => {
      const result = await db.query(`SELECT ${duckdbComparableSelect()} FROM shop."all types" ORDER BY id`);
      expect(result.rows.map(normaliseDuckdbRow)).toEqual(rows.map(expectedDuckdbRow));
      const types = await db.query(
        "SELECT data_type FROM duckdb_columns() WHERE table_name = 'all types' ORDER BY column_index",
      );
      expect(types.rows.map((row) => row[0])).toEqual(ALL_TYPES_DUCKDB_TYPES);
      const key = await db.query(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = 'all types' AND constraint_type = 'PRIMARY KEY'",
      );
      expect(key.rows).toHaveLength(1);
    });
  });
});

describe('DuckDB destination: one process at a time', () => {
  it('fails check() with a clear, retryable error while another process holds the file', async () => {
    const target = path.join(dir, 'locked.duckdb');
    await withFile(target, async () => undefined);
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const db = await DuckDBInstance.create(${JSON.stringify(target)});
         await db.connect();
         process.stdout.write('ready\\n');
         setTimeout(() => {}, 60000);`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (data: Buffer) => data.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const destination = new DuckDBFileDestination(target);
      const error = await destination.check().catch((e: unknown) => e);
      await destination.close();
      expect(error).toMatchObject({
        code: 'DESTINATION_WRITE',
        retryable: true,
        message: expect.stringMatching(/in use by another process/),
        hint: expect.stringMatching(/one process at a time/),
      });
    } finally {
      holder.kill();
    }
  });
});

describe('duckdb:<file> URLs', () => {
  it('resolves paths and refuses an empty one or :memory:', () => {
    expect(duckdbFileOf('duckdb:./x.duckdb')).toBe(path.resolve('x.duckdb'));
    expect(duckdbFileOf('duckdb:/tmp/a b.duckdb')).toBe('/tmp/a b.duckdb');
    for (const url of ['duckdb:', 'duckdb::memory:']) {
      expect(() => duckdbFileOf(url)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });
});
