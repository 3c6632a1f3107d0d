/**
 * `sluice verify` with DuckDB files and file sources as endpoints, each written or read by the
 * real `sluice sync`: PostgreSQL ↔ DuckDB and DuckDB ↔ lake identical after the syncs, then
 * PostgreSQL's planted changes (a microsecond, a decimal's last digit, '' for NULL, inserted and
 * deleted rows) found exactly in the DuckDB file; CSV files ↔ lake identical, then edits to
 * the files found exactly.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { runCli, syncAllToLake } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { identicalById, verifyJson } from './verify-cli.js';
import { PLANTED, createItems } from './verify-fixture.js';

const up = await serviceAvailable('PostgreSQL', 5432);
const ROWS = 200_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-verify-duckdb-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!up)('sluice verify: PostgreSQL ↔ DuckDB ↔ lake', () => {
  let db: TestDatabase;
  let duckdb: string;
  let lake: string;

  beforeAll(async () => {
    db = await createTestDatabase('verify_duckdb');
    await createItems(db, ROWS);
    duckdb = `duckdb:${path.join(dir, 'warehouse.duckdb')}`;
    const synced = await runCli([
      'sync',
      '--from',
      db.url,
      '--to',
      duckdb,
      '--all',
      '--json',
      '--control',
      `sqlite:${path.join(dir, 'control-duckdb.db')}`,
    ]);
    expect(synced.code, synced.stderr).toBe(0);
    lake = path.join(dir, 'lake');
    await syncAllToLake(db.url, lake, `sqlite:${path.join(dir, 'control-lake.db')}`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reports the synced tables identical: PostgreSQL ↔ DuckDB and DuckDB ↔ lake', async () => {
    const report = identicalById('public.items', ROWS);
    // The destination's bookkeeping table (_sluice_state) is not a table of the endpoint.
    expect(await verifyJson(db.url, duckdb)).toEqual({ code: 0, report });
    expect(await verifyJson(duckdb, `lake:${lake}`)).toEqual({ code: 0, report });
  });

  it('finds exactly the rows changed at the source since the sync', async () => {
    await db.sql(PLANTED.sql);
    const { code, report } = await verifyJson(db.url, duckdb);
    expect(code).toBe(1);
    expect(report.tables[0]).toMatchObject({
      status: 'different',
      missing: PLANTED.extra,
      extra: PLANTED.missing,
      changed: PLANTED.changed,
    });
  });

  it('fails clearly for a DuckDB file that does not exist', async () => {
    const result = await runCli([
      'verify',
      '--from',
      db.url,
      '--to',
      `duckdb:${path.join(dir, 'none.duckdb')}`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: no DuckDB database at .*none\.duckdb/m);
  });
});

describe('sluice verify: CSV files ↔ lake', () => {
  const header = 'id,label,amount,at\n';
  const line = (id: number, amount = `${id % 1000}.${String(id % 100).padStart(2, '0')}`, micros = id) =>
    `${id},"item ${id}, ok",${amount},2021-03-04 05:06:07.${String(micros % 1_000_000).padStart(6, '0')}\n`;
  const part = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('');
  let files: string;
  let lake: string;

  beforeAll(async () => {
    files = path.join(dir, 'exports');
    mkdirSync(files);
    writeFileSync(path.join(files, 'a.csv'), header + part(1, 1500));
    writeFileSync(path.join(files, 'b.csv'), header + part(1501, 3000));
    lake = path.join(dir, 'files-lake');
    await syncAllToLake(
      `file:${files}/*.csv?table=orders`,
      lake,
      `sqlite:${path.join(dir, 'control-files.db')}`,
    );
  });

  it('reports the files identical to the lake, by whole rows and by a declared key', async () => {
    const source = `file:${files}/*.csv?table=orders`;
    const keyless = await verifyJson(source, `lake:${lake}`);
    expect(keyless).toMatchObject({ code: 0, report: { identical: true } });
    expect(keyless.report.tables).toEqual([
      expect.objectContaining({ table: 'files.orders', status: 'identical', sourceRows: 3000 }),
    ]);
    expect(keyless.report.tables[0]?.notes.join('\n')).toMatch(/whole-row/);
    const keyed = await verifyJson(source, `lake:${lake}`, '--primary-key', 'id');
    expect(keyed).toMatchObject({ code: 0, report: { identical: true } });
  });

  it('finds exactly the rows edited in the files', async () => {
    const edited = part(1, 1500)
      .replace(line(7), line(7, '7.08'))
      .replace(line(70), line(70, undefined, 71))
      .replace(line(700), '');
    writeFileSync(path.join(files, 'a.csv'), header + edited + line(5000));
    const { code, report } = await verifyJson(
      `file:${files}/*.csv?table=orders`,
      `lake:${lake}`,
      '--primary-key',
      'id',
    );
    expect(code).toBe(1);
    expect(report.tables[0]).toMatchObject({
      status: 'different',
      sourceRows: 3000,
      destinationRows: 3000,
      missing: ['5000'],
      extra: ['700'],
      changed: [
        { key: '7', columns: ['amount'] },
        { key: '70', columns: ['at'] },
      ],
    });
  });
});
