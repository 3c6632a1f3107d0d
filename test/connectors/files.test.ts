/**
 * The file source on local disk: the conformance suite over a glob of CSV files, then each
 * format and dialect the issue names, compared value by value with what DuckDB (an independent
 * reader) decodes from the staged chunks.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesConnectorDefinition } from '../../src/connectors/files/files-connector.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { runSync } from '../../src/sync/run-sync.js';
import { sourceConformance } from '../conformance/source-conformance.js';
import { columnKinds, readFileSource } from '../helpers/file-source.js';

let dir: string;
const at = (...parts: string[]) => path.join(dir, ...parts);

/** Runs SQL in a throwaway DuckDB (to make Parquet and large CSV fixtures). */
async function duckdb(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-'));
  await mkdir(at('orders'));
  // Three files of 1,000 rows each, for the conformance suite (a glob over several files).
  for (const part of [0, 1, 2]) {
    await duckdb(
      `COPY (SELECT ${part * 1000} + i AS id, 'item ' || i AS label, i * 0.25 AS price, DATE '2024-01-01' + i::INT AS day
         FROM range(1, 1001) t(i)) TO '${at('orders', `part-${part}.csv`)}' (HEADER true)`,
    );
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file source conformance (a glob of three CSV files)', () => {
  sourceConformance({
    create: () => connectorForUrl(`file:${at('orders')}/*.csv`),
    capabilities: filesConnectorDefinition.capabilities,
    knownTables: { orders: { primaryKey: [], rows: 3000 } },
    splitTable: { name: 'orders', chunkBytes: 16 * 1024 },
  });
});

describe('file source: CSV dialects and encodings', () => {
  it('reads a header, quotes with embedded newlines and doubled quotes, "" as empty and an empty field as NULL', async () => {
    await writeFile(at('quoted.csv'), 'id,name,note\n1,"a ""q""",x\n2,"multi\nline",\n3,"",y\n');
    const read = await readFileSource(`file:${at('quoted.csv')}`);
    expect(read.schema).toMatchObject({ namespace: 'files', name: 'quoted' });
    expect(columnKinds(read.schema)).toEqual({ id: 'int64', name: 'string', note: 'string' });
    expect(read.rows).toEqual([
      ['1', 'a "q"', 'x'],
      ['2', 'multi\nline', null],
      ['3', '', 'y'],
    ]);
    expect(read.quarantine).toEqual([]);
  });

  it('reads a file without a header (columns column0, column1, …)', async () => {
    await writeFile(at('plain.csv'), '1,2.5,x\n3,4.5,y\n');
    const read = await readFileSource(`file:${at('plain.csv')}`);
    expect(columnKinds(read.schema)).toEqual({
      column0: 'int64',
      column1: 'decimal(2,1)',
      column2: 'string',
    });
    expect(read.rows).toEqual([
      ['1', '2.5', 'x'],
      ['3', '4.5', 'y'],
    ]);
  });

  it('sniffs ";" with dates, and reads tab-separated CRLF files with timestamps and booleans', async () => {
    await writeFile(at('semi.csv'), 'a;b;c\n1;"x;y";2024-01-02\n2;"z";2024-02-29\n');
    const semi = await readFileSource(`file:${at('semi.csv')}`);
    expect(columnKinds(semi.schema)).toEqual({ a: 'int64', b: 'string', c: 'date' });
    expect(semi.rows).toEqual([
      ['1', 'x;y', '2024-01-02'],
      ['2', 'z', '2024-02-29'],
    ]);
    await writeFile(
      at('tabs.tsv'),
      'k\tat\tok\r\n1\t2020-01-01 10:00:00.5\ttrue\r\n2\t2020-01-02 00:00:00\tfalse\r\n',
    );
    const tabs = await readFileSource(`file:${at('tabs.tsv')}`);
    expect(columnKinds(tabs.schema)).toEqual({ k: 'int64', at: 'timestamp', ok: 'boolean' });
    expect(tabs.rows).toEqual([
      ['1', '2020-01-01 10:00:00.5', 't'],
      ['2', '2020-01-02 00:00:00', 'f'],
    ]);
  });

  it('decodes windows-1252 (?encoding=latin1) and UTF-16 with either byte order mark', async () => {
    await writeFile(
      at('latin.csv'),
      Buffer.from([
        ...Buffer.from('name;city\nJos'),
        0xe9,
        ...Buffer.from(';M'),
        0xfc,
        ...Buffer.from('nchen\nA;'),
        0x80,
        ...Buffer.from('uro\n'),
      ]),
    );
    const latin = await readFileSource(`file:${at('latin.csv')}?encoding=latin1`);
    expect(latin.rows).toEqual([
      ['José', 'München'],
      ['A', '€uro'],
    ]);
    const text = 'id,name\n1,Zoë\n2,日本\n';
    await writeFile(at('le.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    await writeFile(
      at('be.csv'),
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
    );
    for (const file of ['le.csv', 'be.csv']) {
      const read = await readFileSource(`file:${at(file)}`);
      expect(read.rows, file).toEqual([
        ['1', 'Zoë'],
        ['2', '日本'],
      ]);
    }
  });

  it('reads gzip-compressed CSV', async () => {
    await writeFile(at('zipped.csv.gz'), gzipSync('id,word\n1,alpha\n2,"be,ta"\n'));
    const read = await readFileSource(`file:${at('zipped.csv.gz')}`);
    expect(read.schema.name).toBe('zipped');
    expect(read.rows).toEqual([
      ['1', 'alpha'],
      ['2', 'be,ta'],
    ]);
  });
});

describe('file source: JSON and Parquet', () => {
  it('reads NDJSON with nested objects as json (their own text), arrays of documents and .jsonl.gz', async () => {
    await writeFile(
      at('events.ndjson'),
      '{"id":1,"user":{"name":"a","tags":[1,2]},"ok":true}\n{"id":2,"user":{"name":"b"},"extra":"x"}\n',
    );
    const read = await readFileSource(`file:${at('events.ndjson')}`);
    expect(columnKinds(read.schema)).toEqual({ id: 'int64', user: 'json', ok: 'boolean', extra: 'string' });
    expect(read.rows).toEqual([
      ['1', '{"name":"a","tags":[1,2]}', 't', null],
      ['2', '{"name":"b"}', null, 'x'],
    ]);
    await writeFile(at('array.json'), ' [{"a": 1.5}, {"a": -2}]');
    expect((await readFileSource(`file:${at('array.json')}`)).rows).toEqual([['1.5'], ['-2.0']]);
    await writeFile(at('lines.jsonl.gz'), gzipSync('{"v":"x"}\n{"v":null}\n'));
    expect((await readFileSource(`file:${at('lines.jsonl.gz')}`)).rows).toEqual([['x'], [null]]);
  });

  it('reads Parquet written by DuckDB with every type mapped to its canonical type', async () => {
    await duckdb(
      `COPY (SELECT 1::INTEGER AS i, 9007199254740993::BIGINT AS b, 0.1::DOUBLE AS d, 'NaN'::DOUBLE AS nan,
           12.50::DECIMAL(10,2) AS m, true AS t, DATE '2024-02-29' AS day, TIMESTAMP '2024-01-01 10:11:12.123456' AS ts,
           TIMESTAMPTZ '2024-01-01 10:00:00+02' AS tz, '\\x00\\xFF'::BLOB AS bin, '' AS empty, NULL::VARCHAR AS nothing,
           {'a': 1, 'b': [1, 2]} AS nested, [1, 2, 3] AS list, 18446744073709551615::UBIGINT AS big)
         TO '${at('types.parquet')}' (FORMAT parquet)`,
    );
    const read = await readFileSource(`file:${at('types.parquet')}`);
    expect(columnKinds(read.schema)).toEqual({
      i: 'int32',
      b: 'int64',
      d: 'float64',
      nan: 'float64',
      m: 'decimal(10,2)',
      t: 'boolean',
      day: 'date',
      ts: 'timestamp',
      tz: 'timestamptz',
      bin: 'binary',
      empty: 'string',
      nothing: 'string',
      nested: 'json',
      list: 'json',
      big: 'decimal(20,0)',
    });
    expect(read.rows).toEqual([
      [
        '1',
        '9007199254740993',
        '0.1',
        'NaN',
        '12.50',
        't',
        '2024-02-29',
        '2024-01-01 10:11:12.123456',
        '2024-01-01 08:00:00+00',
        '\\x00ff',
        '',
        null,
        '{"a":1,"b":[1,2]}',
        '[1,2,3]',
        '18446744073709551615',
      ],
    ]);
  });
});

describe('file source: globs and schemas across files', () => {
  it('unions columns by name, widens BIGINT and DECIMAL with a note, and ignores the types of a header-only file', async () => {
    await mkdir(at('mixed', 'nested'), { recursive: true });
    await writeFile(at('mixed', 'a.csv'), 'id,amount\n1,10\n2,20\n');
    await writeFile(at('mixed', 'b.csv'), 'id,amount,city\n3,2.5,Oslo\n');
    await writeFile(at('mixed', 'c.csv'), 'id,amount,city\n');
    await writeFile(at('mixed', 'nested', 'd.csv'), 'id,amount\n4,40\n');
    await writeFile(at('mixed', '.hidden.csv'), 'nope\n');
    const flat = await readFileSource(`file:${at('mixed')}/*.csv`);
    expect(flat.schema.name).toBe('mixed');
    expect(columnKinds(flat.schema)).toEqual({ id: 'int64', amount: 'decimal(20,1)', city: 'string' });
    expect(flat.schema.columns.find((c) => c.name === 'amount')?.type).toEqual({
      kind: 'decimal',
      precision: 20,
      scale: 1,
    });
    expect(flat.rows).toEqual([
      ['1', '10.0', null],
      ['2', '20.0', null],
      ['3', '2.5', 'Oslo'],
    ]);
    const deep = await readFileSource(`file:${at('mixed')}/**/*.csv?table=all_mixed`);
    expect(deep.schema.name).toBe('all_mixed');
    expect(deep.rows.map((row) => row[0])).toEqual(['1', '2', '3', '4']);
  });

  it('a glob that matches nothing is SOURCE_NOT_FOUND with a hint, a file of unknown type a USAGE error', async () => {
    const none = await connectorForUrl(`file:${at('nothing')}/*.csv`)
      .check()
      .catch((e: unknown) => e);
    expect(isSluiceError(none, 'SOURCE_NOT_FOUND'), String(none)).toBe(true);
    await writeFile(at('notes.md'), '# x\n');
    const unknown = await readFileSource(`file:${at('notes.md')}`).catch((e: unknown) => e);
    expect(isSluiceError(unknown, 'USAGE'), String(unknown)).toBe(true);
    expect((unknown as { hint: string }).hint).toMatch(/\?format=/);
  });
});

describe('file source: CSV numbers are decimal-safe', () => {
  it('types a column of decimal literals decimal(p,s) from the whole file, digit for digit', async () => {
    // The widest value comes after the sniffer's sample: the scale must still cover it.
    const rows = [
      '0.1',
      '12345678901234567.89',
      '-0.5',
      ...Array.from({ length: 3000 }, (_, i) => `${i}.5`),
      '7.125',
    ];
    await writeFile(at('money.csv'), `id,amount\n${rows.map((v, i) => `${i},${v}`).join('\n')}\n`);
    const read = await readFileSource(`file:${at('money.csv')}`);
    expect(read.schema.columns.find((c) => c.name === 'amount')?.type).toEqual({
      kind: 'decimal',
      precision: 20,
      scale: 3,
    });
    expect(read.quarantine).toEqual([]);
    expect(read.rows.slice(0, 3).map((row) => row[1])).toEqual(['0.100', '12345678901234567.890', '-0.500']);
    expect(read.rows.at(-1)?.[1]).toBe('7.125');

    // And so in the lake: a decimal column holding the exact values.
    const lake = at('money-lake');
    const report = await runSync({
      from: `file:${at('money.csv')}`,
      to: `lake:${lake}`,
      tables: 'all',
      retry: { attempts: 1 },
    });
    expect(report.status, JSON.stringify(report.streams)).toBe('succeeded');
    const { rows: lakeRows } = await queryLake(
      lake,
      `SELECT typeof(amount), CAST(amount AS VARCHAR) FROM files.money WHERE id IN (0, 1, 2) ORDER BY id`,
    );
    expect(lakeRows).toEqual([
      ['DECIMAL(20,3)', '0.100'],
      ['DECIMAL(20,3)', '12345678901234567.890'],
      ['DECIMAL(20,3)', '-0.500'],
    ]);
  });

  it('carries decimals wider than 38 digits as text, and keeps float literals floats unless a decimal would lose digits', async () => {
    const wide = `1${'0'.repeat(40)}.25`;
    await writeFile(
      at('numbers.csv'),
      `wide,sci,mixed\n${wide},1.5e-5,1e3\n2.5,NaN,12345678901234567.89\n3,0.1,4\n`,
    );
    const read = await readFileSource(`file:${at('numbers.csv')}`);
    expect(columnKinds(read.schema)).toEqual({ wide: 'string', sci: 'float64', mixed: 'string' });
    expect(read.rows).toEqual([
      [wide, '1.5e-05', '1e3'],
      ['2.5', 'NaN', '12345678901234567.89'],
      ['3', '0.1', '4'],
    ]);
  });

  it('widens floats with decimals or 64-bit integers across files to text, never to a lossy double', async () => {
    const { widenFileTypes } = await import('../../src/connectors/files/files-types.js');
    expect(widenFileTypes('DOUBLE', 'DECIMAL(19,2)')).toMatchObject({ type: 'VARCHAR' });
    expect(widenFileTypes('BIGINT', 'DOUBLE')).toMatchObject({ type: 'VARCHAR' });
    expect(widenFileTypes('INTEGER', 'DOUBLE')).toMatchObject({ type: 'DOUBLE' });
    expect(widenFileTypes('FLOAT', 'DOUBLE')).toMatchObject({ type: 'DOUBLE' });
  });
});
