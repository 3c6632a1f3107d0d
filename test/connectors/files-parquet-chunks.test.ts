/**
 * The file source staging typed Parquet chunks (`StreamPlan.stagedFormats` with `parquet`): every
 * value must read back through `chunkQuery` exactly as the stage CSV of the same files decodes
 * (same types, same values: quotes, newlines, "" vs NULL, NaN and -0.0, decimals, time zones,
 * bytes, nested values, widened types, columns some files lack), with the same quarantined rows
 * and the same positions; and a Parquet chunk whose column has another type is refused.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import type {
  StagedChunk,
  StagedFormat,
  StreamPlan,
  SourcePosition,
  SyncMode,
} from '../../src/core/stream.js';
import { chunkQuery } from '../../src/engine/chunk-query.js';
import type { DuckDB } from '../../src/engine/duckdb.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { decodeStagedCsv } from '../conformance/source-conformance.js';

let dir: string;
let db: DuckDB;
const at = (...parts: string[]) => path.join(dir, ...parts);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-parquet-'));
  db = await openDuckDB();
  await writeFile(
    at('typed.csv'),
    'id,price,ratio,name,at,day,ok\n' +
      '1,12.50,1e3,"a ""q""",2024-01-01 10:00:00+02,2024-01-01,true\n' +
      '2,0.125,NaN,"multi\nline",2024-06-30 23:59:59.123456+00,2024-02-29,false\n' +
      '3,,-0.0,"",,,\n' +
      '5,1,2,x\n' +
      '4,-7,inf,plain,1999-12-31 23:00:00-05:30,1999-12-31,true\n',
  );
  await writeFile(
    at('nested.ndjson'),
    '{"id": 1, "tags": ["a", "b"], "meta": {"k": 1, "s": "x"}}\n{"id": 2, "tags": [], "meta": null}\n',
  );
  await db.run(
    `COPY (SELECT i::TINYINT AS tiny, (i * 9007199254740993)::UBIGINT AS ubig, ('\\x00\\xff' || i::VARCHAR)::BLOB AS bytes,
       make_timestamp(1700000000000000 + i * 1000000)::TIMESTAMP_S AS ts_s, ('00000000-0000-0000-0000-00000000000' || i)::UUID AS id,
       TIME '12:34:56.789' AS t,
       CASE i WHEN 1 THEN 'NaN'::FLOAT WHEN 2 THEN '-0.0'::FLOAT ELSE 'inf'::FLOAT END AS f,
       INTERVAL (i) DAY AS span, {'a': i, 'b': [i, NULL]} AS st, make_timestamp(1700000000000000)::TIMESTAMP_NS AS ns
     FROM range(1, 4) t(i)) TO '${at('typed.parquet')}' (FORMAT parquet)`,
  );
  // One file of several row groups, staged as several Parquet chunks.
  await mkdir(at('large'));
  await db.run(
    `COPY (SELECT i AS id, 'row ' || i AS label, i / 100 AS amount FROM range(300000) t(i)) TO '${at('large', 'big.csv')}' (HEADER true)`,
  );
  // Several small files read as one group: a column only some have, and types widened across them.
  await mkdir(at('parts'));
  await writeFile(at('parts', 'a.csv'), 'id,n,extra\n1,5,x\n2,6,y\n');
  await writeFile(at('parts', 'b.csv'), 'id,n\n3,9999999999\n4,1,2\n');
  await writeFile(at('parts', 'c.csv'), 'id,n\n5,1.5e0\n');
});

afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

interface Read {
  chunks: StagedChunk[];
  /** Every row, typed by `chunkQuery`, as DuckDB's text of the whole row, sorted. */
  rows: string[];
  /** The quarantined rows (file, line, reason, raw). */
  quarantine: (string | null)[][];
  /** The DuckDB type of each column as read. */
  types: string[];
}

/** An `append` plan of the file stream into `stageDir` (full unless `mode` says otherwise). */
function appendPlan(
  schema: StreamPlan['schema'],
  stageDir: string,
  options: { mode?: SyncMode; chunkBytes: number; formats?: readonly StagedFormat[] | undefined },
): StreamPlan {
  return {
    schema,
    mode: options.mode ?? 'full',
    primaryKey: [],
    disposition: 'append',
    stageDir,
    chunkBytes: options.chunkBytes,
    ...(options.formats && { stagedFormats: options.formats }),
  };
}

async function readAs(
  url: string,
  formats: readonly StagedFormat[] | undefined,
  options: { mode?: SyncMode; from?: SourcePosition | null; chunkBytes?: number } = {},
): Promise<Read> {
  const connector = connectorForUrl(url);
  const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-parquet-stage-'));
  try {
    const [schema] = await connector.discover();
    if (!schema) throw new Error('no stream');
    const plan = appendPlan(schema, stageDir, {
      ...options,
      chunkBytes: options.chunkBytes ?? 64 * 1024 * 1024,
      formats,
    });
    const chunks: StagedChunk[] = [];
    for await (const chunk of connector.read(plan, options.from ?? null)) chunks.push(chunk);
    const fields = schema.columns.map((column, index) => ({
      index,
      type: column.type,
      as: column.name,
      label: column.name,
    }));
    const rows: string[] = [];
    let types: string[] = [];
    for (const chunk of chunks.filter((c) => c.rows > 0)) {
      const query = chunkQuery(chunk, schema.columns.length, fields);
      const read = await db.queryJson(`SELECT CAST(whole_row AS VARCHAR) FROM (${query}) whole_row`);
      expect(read.length, chunk.path).toBe(chunk.rows);
      for (const row of read) rows.push(String(row[0]));
      const [typeRow] = await db.queryJson(
        `SELECT ${fields.map((f) => `typeof("${f.as}")`).join(', ')} FROM (${query}) LIMIT 1`,
      );
      types = (typeRow ?? []).map(String);
    }
    const quarantineFiles = chunks.flatMap((c) => (c.quarantine ? [c.quarantine.path] : []));
    const instance = await (await import('@duckdb/node-api')).DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const quarantine = quarantineFiles.length ? await decodeStagedCsv(connection, quarantineFiles, 4) : [];
      return { chunks, rows: rows.sort(), quarantine, types };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    await connector.close();
    await rm(stageDir, { recursive: true, force: true });
  }
}

/** Reads `url` both ways and expects the same rows, types and quarantine; returns the Parquet read. */
async function expectSameBothWays(url: string, rows: number): Promise<Read> {
  const csv = await readAs(url, undefined);
  const parquet = await readAs(url, ['csv', 'parquet']);
  expect(csv.chunks.every((c) => (c.format ?? 'csv') === 'csv')).toBe(true);
  expect(parquet.chunks.filter((c) => c.rows > 0).every((c) => c.format === 'parquet')).toBe(true);
  expect(parquet.rows).toHaveLength(rows);
  expect(parquet.rows).toEqual(csv.rows);
  expect(parquet.types).toEqual(csv.types);
  expect(parquet.quarantine).toEqual(csv.quarantine);
  return parquet;
}

describe('file source: Parquet chunks read as the stage CSV decodes', () => {
  it('CSV: quotes, newlines, "" and NULL, float literals, decimals, time zones, and a quarantined row', async () => {
    const read = await expectSameBothWays(`file:${at('typed.csv')}`, 4);
    expect(read.types).toEqual([
      'BIGINT',
      'DECIMAL(5,3)',
      'DOUBLE',
      'VARCHAR',
      'TIMESTAMP WITH TIME ZONE',
      'DATE',
      'BOOLEAN',
    ]);
    expect(read.rows).toContain(
      "{'id': 3, 'price': NULL, 'ratio': -0.0, 'name': '', 'at': NULL, 'day': NULL, 'ok': NULL}",
    );
    expect(read.quarantine.map(([file, line]) => [file, line])).toEqual([[at('typed.csv'), '6']]);
  });

  it('NDJSON: nested values as JSON text', async () => {
    await expectSameBothWays(`file:${at('nested.ndjson')}`, 2);
  });

  it('Parquet: narrow and unsigned integers, bytes, second timestamps, uuids, floats, intervals, structs, nanoseconds', async () => {
    const read = await expectSameBothWays(`file:${at('typed.parquet')}`, 3);
    expect(read.types).toEqual([
      'INTEGER',
      'DECIMAL(20,0)',
      'BLOB',
      'TIMESTAMP',
      'VARCHAR',
      'TIME',
      'FLOAT',
      'VARCHAR',
      'VARCHAR',
      'VARCHAR',
    ]);
  });

  it('a glob of small files: one group, a column some files lack, types widened, bad values quarantined', async () => {
    const read = await expectSameBothWays(`file:${at('parts')}/*.csv`, 4);
    expect(read.chunks.filter((c) => c.rows > 0)).toHaveLength(1);
    expect(read.quarantine.map(([file, line]) => [file, line])).toEqual([[at('parts', 'b.csv'), '3']]);
  });

  it('a large file becomes several Parquet chunks of about chunkBytes, the last carrying its position', async () => {
    const url = `file:${at('large')}/*.csv`;
    const csv = await readAs(url, undefined, { mode: 'incremental' });
    const parquet = await readAs(url, ['parquet'], { mode: 'incremental', chunkBytes: 1024 * 1024 });
    const data = parquet.chunks.filter((c) => c.rows > 0);
    expect(data.length).toBeGreaterThanOrEqual(2);
    expect(data.map((c) => c.index)).toEqual(data.map((_, i) => i));
    // Only the file's last chunk covers it: a run stopped before it reads the file again.
    const final = JSON.stringify(csv.chunks.at(-1)?.position);
    expect(data.slice(0, -1).map((c) => JSON.stringify(c.position) === final)).not.toContain(true);
    expect(JSON.stringify(data.at(-1)?.position)).toBe(final);
    expect(parquet.chunks.at(-1)?.position).toEqual(csv.chunks.at(-1)?.position);
    expect(parquet.rows).toHaveLength(300000);
    expect(parquet.rows).toEqual(csv.rows);
  });

  it('a header-only file, a file of bad rows only and a gzip file', async () => {
    await mkdir(at('odd'));
    await writeFile(at('odd', 'a-header.csv'), 'id,name\n');
    await writeFile(at('odd', 'b-bad.csv'), 'id,name\n1,x,extra\n2\n');
    await writeFile(at('odd', 'c-good.csv.gz'), gzipSync('id,name\n3,"y"\n4,z\n'));
    const read = await expectSameBothWays(`file:${at('odd')}/*`, 2);
    expect(read.quarantine.map(([file, line]) => [file, line])).toEqual([
      [at('odd', 'b-bad.csv'), '2'],
      [at('odd', 'b-bad.csv'), '3'],
    ]);
  });

  it('a group that cannot be read fails with SOURCE_READ naming its files', async () => {
    await mkdir(at('vanishing'));
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      await writeFile(at('vanishing', `${name}.csv`), 'id,name\n1,x\n');
    }
    const connector = connectorForUrl(`file:${at('vanishing')}/*.csv`);
    const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-parquet-fail-'));
    try {
      const [schema] = await connector.discover();
      await rm(at('vanishing', 'e.csv'));
      const plan = appendPlan(schema!, stageDir, { chunkBytes: 1024 * 1024, formats: ['parquet'] });
      const error = await (async () => {
        for await (const chunk of connector.read(plan, null)) void chunk;
      })().catch((e: unknown) => e);
      expect(isSluiceError(error, 'SOURCE_READ')).toBe(true);
      expect(String((error as Error).message)).toContain(
        `reading ${at('vanishing', 'a.csv')}, ${at('vanishing', 'b.csv')}, ${at('vanishing', 'c.csv')} (or one of 2 more read with them) failed`,
      );
      // Nothing staged is left behind.
      expect(await readdir(stageDir)).toEqual([]);
    } finally {
      await connector.close();
      await rm(stageDir, { recursive: true, force: true });
    }
  });

  it('a windows-1252 file read through its UTF-8 copy', async () => {
    await writeFile(at('latin.csv'), Buffer.from('id,name\n1,caf\xe9\n2,na\xefve\n', 'latin1'));
    const read = await expectSameBothWays(`file:${at('latin.csv')}?encoding=latin1`, 2);
    expect(read.rows).toContain("{'id': 1, 'name': café}");
  });

  it('stopping a read early leaves only the chunk yielded', async () => {
    const connector = connectorForUrl(`file:${at('large')}/*.csv`);
    const stageDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-parquet-stop-'));
    try {
      const [schema] = await connector.discover();
      const plan = appendPlan(schema!, stageDir, { chunkBytes: 1024 * 1024, formats: ['parquet'] });
      for await (const chunk of connector.read(plan, null)) {
        expect(chunk.index).toBe(0);
        break;
      }
      expect(await readdir(stageDir)).toEqual(['chunk-000000.parquet']);
    } finally {
      await connector.close();
      await rm(stageDir, { recursive: true, force: true });
    }
  });

  it('an incremental read ends at the same position, and the next read finds nothing new', async () => {
    const url = `file:${at('parts')}/*.csv`;
    const csv = await readAs(url, undefined, { mode: 'incremental' });
    const parquet = await readAs(url, ['parquet'], { mode: 'incremental', chunkBytes: 10 });
    expect(parquet.chunks.at(-1)?.position).toEqual(csv.chunks.at(-1)?.position);
    // chunkBytes smaller than a file: every file is a group of its own, its last chunk covering it.
    expect(parquet.chunks.filter((c) => c.rows > 0).map((c) => c.rows)).toEqual([2, 1, 1]);
    const again = await readAs(url, ['parquet'], {
      mode: 'incremental',
      from: parquet.chunks.at(-1)?.position ?? null,
    });
    expect(again.rows).toEqual([]);
  });
});

describe('chunkQuery on a Parquet chunk', () => {
  it('refuses a column whose type is not the canonical one instead of casting it', async () => {
    const file = at('wrong.parquet');
    await db.run(`COPY (SELECT 1.239::DOUBLE AS c0) TO '${file}' (FORMAT parquet)`);
    const query = chunkQuery({ path: file, format: 'parquet' }, 1, [
      { index: 0, type: { kind: 'decimal', precision: 10, scale: 2 }, as: 'amount', label: 'amount' },
    ]);
    await expect(db.queryJson(query)).rejects.toThrow(
      /column "amount": staged Parquet holds DOUBLE, not DECIMAL\(10,2\)/,
    );
  });
});
