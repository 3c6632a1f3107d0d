import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  decimalFromDouble,
  decimalFromInteger,
  formatFloat32,
  formatFloat64,
} from '../../src/connectors/canonical-text.js';
import { canonicalDate, canonicalTime, canonicalTimestamp } from '../../src/connectors/datetime-text.js';
import { MACHINE_PG } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('PostgreSQL', 5432);

/** Doubles across the notation switch points, subnormals, extremes and random bit patterns. */
function sampleDoubles(): number[] {
  const values = [
    0.1,
    1 / 3,
    1e-4,
    9.9e-5,
    1e-5,
    1e14,
    99999999999999.9,
    1e15,
    123456789012345.6,
    1e21,
    1e22,
  ];
  values.push(
    5e-324,
    2.2250738585072014e-308,
    Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    0.5,
    100,
    1.5e300,
  );
  const view = new DataView(new ArrayBuffer(8));
  let seed = 12345;
  while (values.length < 2000) {
    // A fixed LCG keeps the sample reproducible.
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    view.setUint32(0, seed * 2);
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    view.setUint32(4, seed * 2 + 1);
    const value = view.getFloat64(0);
    if (Number.isFinite(value)) values.push(value);
  }
  return values.flatMap((v) => [v, -v]);
}

describe.skipIf(!up)('formatFloat64 against PostgreSQL', () => {
  it('prints every sample exactly as PostgreSQL float8 does with extra_float_digits=3', async () => {
    const values = sampleDoubles();
    const client = new pg.Client({ ...MACHINE_PG, database: 'postgres' });
    await client.connect();
    try {
      await client.query('SET extra_float_digits = 3');
      // Sent as shortest round-trip text, which PostgreSQL parses to the same double.
      const { rows } = await client.query<{ t: string }>('SELECT unnest($1::float8[])::text AS t', [
        values.map((v) => String(v)),
      ]);
      expect(values.map(formatFloat64)).toEqual(rows.map((r) => r.t));
    } finally {
      await client.end();
    }
  });
});

/** float32 values: the notation switch points, ties, integers near 2^24 and beyond, random bit patterns. */
function sampleFloats(): number[] {
  const values = [0.1, 1 / 3, 1e-4, 9.9e-5, 1e6, 999999, 123456.7, 3784.53125, 16777217, 25979518976];
  values.push(3.4028235e38, 1.17549435e-38, 1.4e-45, 1.0000001, 12.35);
  const view = new DataView(new ArrayBuffer(4));
  let seed = 777;
  while (values.length < 5000) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    view.setUint32(0, seed * 2 + (seed & 1));
    const value = view.getFloat32(0);
    if (Number.isFinite(value)) values.push(value);
  }
  return values.map(Math.fround).flatMap((v) => [v, -v]);
}

describe.skipIf(!up)('formatFloat32 against PostgreSQL', () => {
  it('prints every sample exactly as PostgreSQL float4 does with extra_float_digits=3', async () => {
    const values = sampleFloats();
    const client = new pg.Client({ ...MACHINE_PG, database: 'postgres' });
    await client.connect();
    try {
      await client.query('SET extra_float_digits = 3');
      // float8 text → float4 is exact here: every sample is a float32 widened to a double.
      const { rows } = await client.query<{ t: string }>('SELECT unnest($1::float8[])::float4::text AS t', [
        values.map((v) => String(v)),
      ]);
      expect(values.map(formatFloat32)).toEqual(rows.map((r) => r.t));
    } finally {
      await client.end();
    }
  });
});

describe('canonical text', () => {
  it('formats special floats', () => {
    expect([NaN, Infinity, -Infinity, 0, -0].map(formatFloat32)).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      '0',
      '-0',
    ]);
    expect([NaN, Infinity, -Infinity, 0, -0].map(formatFloat64)).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      '0',
      '-0',
    ]);
  });

  it('decimalFromDouble keeps the written value or refuses', () => {
    expect(decimalFromDouble(0.99, 10, 2)).toBe('0.99');
    expect(decimalFromDouble(1.5e-7, 10, 8)).toBe('0.00000015');
    expect(decimalFromDouble(-12.5, 4, 1)).toBe('-12.5');
    expect(decimalFromDouble(1e3, 4, 0)).toBe('1000');
    expect(decimalFromDouble(0, 3, 3)).toBe('0.000');
    expect(decimalFromDouble(0.995, 10, 2)).toBeNull();
    expect(decimalFromDouble(10000, 4, 0)).toBeNull();
    expect(decimalFromDouble(1e21, 38, 0)).toBe('1' + '0'.repeat(21));
    expect(decimalFromDouble(NaN, 10, 2)).toBeNull();
  });

  it('decimalFromInteger checks integer digits against precision - scale', () => {
    expect(decimalFromInteger(-123n, 5, 2)).toBe('-123.00');
    expect(decimalFromInteger(1234n, 5, 2)).toBeNull();
    expect(decimalFromInteger(0n, 2, 2)).toBe('0.00');
    expect(decimalFromInteger(2n ** 63n - 1n, 19, 0)).toBe('9223372036854775807');
  });

  it('accepts only real dates and times and spells them as PostgreSQL does', () => {
    expect(canonicalDate('2000-02-29')).toBe('2000-02-29');
    expect(
      ['1900-02-29', '2021-04-31', '2021-13-01', '0000-01-01', '2021-1-01', ' 2021-01-01'].map(canonicalDate),
    ).toEqual([null, null, null, null, null, null]);
    expect(canonicalTime('07:05')).toBe('07:05:00');
    expect(canonicalTime('07:05:09.500000')).toBe('07:05:09.5');
    expect(canonicalTime('07:05:09.000')).toBe('07:05:09');
    expect(['24:00:00', '12:60', '12:00:60', '12:00:00.1234567', '1:00'].map(canonicalTime)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(canonicalTimestamp('2021-01-02T03:04:05.678')).toBe('2021-01-02 03:04:05.678');
    expect(canonicalTimestamp('2021-01-02')).toBe('2021-01-02 00:00:00');
    expect(canonicalTimestamp('2021-01-02 03:04:05Z')).toBeNull();
    expect(canonicalTimestamp('2021-01-02 03:04:05+00:00')).toBeNull();
    expect(canonicalTimestamp('2021-01-02x03:04')).toBeNull();
  });
});
