/**
 * Column bounds in Iceberg's single-value serialization, from the statistics text DuckDB
 * reports while writing Parquet. Temporal bounds are checked against DuckDB's own integer
 * conversions of the same values (BC dates, far-future years, offsets), the rest against the
 * spec's byte layouts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDB } from '../../src/engine/duckdb.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { serializeBound } from '../../src/lake/single-value.js';

let db: DuckDB;
let dir: string;

beforeAll(async () => {
  db = await openDuckDB({ threads: 1 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-bounds-'));
});

afterAll(async () => {
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** min/max statistics text DuckDB reports for `values` (SQL expressions) written to Parquet. */
async function statsText(values: string[]): Promise<{ min: string; max: string }> {
  const target = path.join(dir, `${Math.random().toString(36).slice(2)}.parquet`);
  const rows = await db.queryJson(
    `COPY (SELECT * FROM (VALUES ${values.map((value) => `(${value})`).join(', ')}) t(v)) TO '${target}' (FORMAT parquet, RETURN_STATS)`,
  );
  const columns = rows[0]![4] as { key: string; value: { key: string; value: string }[] }[];
  const stats = Object.fromEntries(columns[0]!.value.map((entry) => [entry.key, entry.value]));
  return { min: stats.min!, max: stats.max! };
}

describe('temporal bounds agree with DuckDB', () => {
  const cases: [string, string, string[], (v: string) => string][] = [
    ['date', '4', ["DATE '0044-03-15 (BC)'", "DATE '200000-01-01'"], (v) => `(${v}) - DATE '1970-01-01'`],
    ['date', '4', ["DATE '1969-12-31'", "DATE '1970-01-01'"], (v) => `(${v}) - DATE '1970-01-01'`],
    ['time', '8', ["TIME '00:00:00'", "TIME '23:59:59.999999'"], (v) => `epoch_us(DATE '1970-01-01' + ${v})`],
    [
      'timestamp',
      '8',
      ['make_timestamp(-43, 3, 15, 10, 0, 0.5)', "TIMESTAMP '9999-12-31 23:59:59.999999'"],
      (v) => `epoch_us(${v})`,
    ],
    [
      'timestamptz',
      '8',
      ["TIMESTAMPTZ '1969-12-31 23:59:59.999999+00'", "TIMESTAMPTZ '2024-06-30 23:00:00+05:30'"],
      (v) => `epoch_us(${v})`,
    ],
    [
      'timestamptz',
      '8',
      [
        "TIMESTAMPTZ '0001-03-15 10:00:00.25+00' - INTERVAL 88 YEAR",
        "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'",
      ],
      (v) => `epoch_us(${v})`,
    ],
  ];

  it.each(cases)('%s', async (type, width, values, toInteger) => {
    const { min, max } = await statsText(values);
    const [[low, high]] = (await db.query(`SELECT ${toInteger(values[0]!)}, ${toInteger(values[1]!)}`))
      .rows as [[bigint | number, bigint | number]];
    const read = (bytes: Buffer | null) =>
      width === '4' ? BigInt(bytes!.readInt32LE()) : bytes!.readBigInt64LE();
    expect([read(serializeBound(type, min, 'lower')), read(serializeBound(type, max, 'upper'))]).toEqual([
      BigInt(low),
      BigInt(high),
    ]);
  });
});

describe('spec byte layouts', () => {
  it('serializes integers, booleans and floats little-endian', () => {
    expect(serializeBound('int', '-2', 'lower')).toEqual(Buffer.from([0xfe, 0xff, 0xff, 0xff]));
    expect(serializeBound('long', '9223372036854775807', 'upper')!.readBigInt64LE()).toBe(
      9223372036854775807n,
    );
    expect(serializeBound('boolean', 'true', 'upper')).toEqual(Buffer.from([1]));
    expect(serializeBound('double', '-inf', 'lower')!.readDoubleLE()).toBe(-Infinity);
    expect(serializeBound('float', '0.1', 'lower')!.readFloatLE()).toBe(Math.fround(0.1));
  });

  it('keeps -0.0 below and +0.0 above, because DuckDB statistics do not tell them apart', async () => {
    const { min, max } = await statsText(['CAST(-0.0 AS DOUBLE)', 'CAST(0.0 AS DOUBLE)']);
    expect(Object.is(serializeBound('double', min, 'lower')!.readDoubleLE(), -0)).toBe(true);
    expect(Object.is(serializeBound('double', max, 'upper')!.readDoubleLE(), 0)).toBe(true);
  });

  it('serializes decimals as minimal two’s-complement big-endian unscaled values', () => {
    expect(serializeBound('decimal(10,2)', '0.00', 'lower')).toEqual(Buffer.from([0x00]));
    expect(serializeBound('decimal(10,2)', '-0.01', 'lower')).toEqual(Buffer.from([0xff]));
    expect(serializeBound('decimal(10,2)', '1.28', 'upper')).toEqual(Buffer.from([0x00, 0x80]));
    expect(serializeBound('decimal(10,2)', '-1.29', 'lower')).toEqual(Buffer.from([0xff, 0x7f]));
    const big = serializeBound('decimal(38,0)', '99999999999999999999999999999999999999', 'upper')!;
    expect(BigInt(`0x${big.toString('hex')}`)).toBe(10n ** 38n - 1n);
  });

  it('truncates long strings to 16 code points, rounding the upper bound up', () => {
    expect(serializeBound('string', 'short', 'upper')!.toString()).toBe('short');
    expect(serializeBound('string', 'a'.repeat(20), 'lower')!.toString()).toBe('a'.repeat(16));
    expect(serializeBound('string', 'a'.repeat(20), 'upper')!.toString()).toBe(`${'a'.repeat(15)}b`);
    expect(serializeBound('string', '日'.repeat(20), 'upper')!.toString()).toBe(`${'日'.repeat(15)}旦`);
    expect(serializeBound('string', `${'a'.repeat(15)}\u{10ffff}x`, 'upper')!.toString()).toBe(
      `${'a'.repeat(14)}b`,
    );
    expect(serializeBound('string', '\u{10ffff}'.repeat(17), 'upper')).toBeNull();
  });

  it('truncates long binary values to 16 bytes, rounding the upper bound up', () => {
    expect(serializeBound('binary', 'DEAD', 'upper')).toEqual(Buffer.from([0xde, 0xad]));
    expect(serializeBound('binary', '00'.repeat(17), 'upper')).toEqual(
      Buffer.from([...Array(15).fill(0), 1]),
    );
    expect(serializeBound('binary', 'ff'.repeat(17), 'upper')).toBeNull();
  });

  it('leaves out what it cannot read exactly', () => {
    expect(serializeBound('timestamp', 'infinity', 'upper')).toBeNull();
    expect(serializeBound('decimal(10,2)', '1.234', 'upper')).toBeNull();
    expect(serializeBound('double', 'nan', 'upper')).toBeNull();
  });
});
