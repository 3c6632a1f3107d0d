/**
 * Partition transforms against the Iceberg spec's own published values (Appendix B hashes, the
 * transform examples), and the SQL DuckDB computes partition keys with against the independent
 * JS implementation, value by value over edge cases (negative numbers, pre-1970 instants,
 * empty and non-ASCII strings, 38-digit decimals).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/core/errors.js';
import { parsePartitionBy } from '../../../src/core/partition-fields.js';
import type { DuckDB } from '../../../src/engine/duckdb.js';
import { openDuckDB } from '../../../src/engine/duckdb.js';
import { duckdbTypeOfIceberg } from '../../../src/lake/iceberg-schema.js';
import type { Comparable } from '../../../src/lake/partitioning/comparable-value.js';
import { comparableFromText } from '../../../src/lake/partitioning/comparable-value.js';
import { murmur3x86_32 } from '../../../src/lake/partitioning/murmur3.js';
import { planPartitionSpec } from '../../../src/lake/partitioning/partition-spec.js';
import { valueOfKey, withPartitionKeys } from '../../../src/lake/partitioning/partition-sql.js';
import type { Transform } from '../../../src/lake/partitioning/partition-transform.js';
import {
  applyTransform,
  bucketBytes,
  resultType,
} from '../../../src/lake/partitioning/partition-transform.js';

let db: DuckDB;
beforeAll(async () => {
  db = await openDuckDB();
});
afterAll(() => db.close());

const value = (type: string, text: string): Comparable => {
  const parsed = comparableFromText(type, text);
  if (parsed === null) throw new Error(`unreadable ${type} ${text}`);
  return parsed;
};

describe('bucket hash: the spec\u2019s Appendix B values', () => {
  const cases: [string, string, number][] = [
    ['int', '34', 2017239379],
    ['long', '34', 2017239379],
    ['decimal(9,2)', '14.20', -500754589],
    ['date', '2017-11-16', -653330422],
    ['time', '22:31:08', -662762989],
    ['timestamp', '2017-11-16 22:31:08', -2047944441],
    ['timestamptz', '2017-11-16 14:31:08-08', -2047944441],
    ['string', 'iceberg', 1210000089],
    ['binary', '\\x00010203', -188683207],
  ];
  it.each(cases)('hash(%s %s) = %d in JS', (type, text, expected) => {
    expect(murmur3x86_32(bucketBytes(type, value(type, text)))).toBe(expected);
  });
  it('hashes a uuid\u2019s 16 bytes as the spec does', () => {
    const bytes = Buffer.from('f79c3e09677c4bbda4793f349cb785e7', 'hex');
    expect(murmur3x86_32(bytes)).toBe(1488055340);
  });
  it.each(cases)('bucket of %s %s in DuckDB SQL matches the spec hash', async (type, text, expected) => {
    const buckets = 2147483647;
    const [key] = await sqlKeys({ kind: 'bucket', buckets }, type, [text]);
    expect(key).toBe(String((expected & 0x7fffffff) % buckets));
  });
});

describe('transforms: the spec\u2019s examples', () => {
  const cases: [Transform, string, string, Comparable][] = [
    [{ kind: 'bucket', buckets: 16 }, 'int', '34', 3n],
    [{ kind: 'truncate', width: 10 }, 'int', '1', 0n],
    [{ kind: 'truncate', width: 10 }, 'int', '-1', -10n],
    [{ kind: 'truncate', width: 10 }, 'long', '-1', -10n],
    [{ kind: 'truncate', width: 50 }, 'decimal(9,2)', '10.65', 1050n],
    [{ kind: 'truncate', width: 3 }, 'string', 'iceberg', Buffer.from('ice')],
    [{ kind: 'truncate', width: 2 }, 'string', '日本語', Buffer.from('日本')],
    [{ kind: 'month' }, 'date', '2017-12-01', 575n],
    [{ kind: 'hour' }, 'timestamp', '2017-12-01 18:12:55.038194', 420042n],
    [{ kind: 'year' }, 'date', '1969-12-31', -1n],
    [{ kind: 'day' }, 'timestamptz', '1969-12-31 23:59:59.999999+00', -1n],
    [{ kind: 'hour' }, 'timestamp', '1969-12-31 23:59:59', -1n],
  ];
  it.each(cases)('%o of %s %s', (transform, type, text, expected) => {
    expect(applyTransform(transform, type, value(type, text))).toEqual(expected);
  });
});

/** Every transform × type pair Sluice writes, over edge values: SQL keys equal the JS transform. */
const SAMPLES: Record<string, string[]> = {
  int: ['0', '1', '-1', '34', '-2147483648', '2147483647', '123456'],
  long: ['0', '-1', '34', '9007199254740993', '-9223372036854775808', '9223372036854775807'],
  'decimal(38,9)': [
    '0.000000000',
    '14.200000000',
    '-0.000000001',
    '99999999999999999999999999999.999999999',
    '-129.000000000',
  ],
  'decimal(9,2)': ['14.20', '-14.20', '0.00', '-0.01', '1234567.89'],
  date: ['1970-01-01', '1969-12-31', '2017-11-16', '2000-02-29', '0001-01-01', '9999-12-31'],
  time: ['00:00:00', '22:31:08', '23:59:59.999999'],
  timestamp: [
    '1970-01-01 00:00:00',
    '1969-12-31 23:59:59.999999',
    '2017-11-16 22:31:08',
    '2024-02-29 12:00:00.5',
  ],
  timestamptz: [
    '1970-01-01 00:00:00+00',
    '1969-12-31 23:30:00+00',
    '2017-11-16 14:31:08-08',
    '2024-12-31 23:59:59.999999+00',
  ],
  string: ['', 'a', 'iceberg', 'ünïcødé 日本語 🎉', 'abcd', 'abcde'],
  binary: ['\\x', '\\x00', '\\x00010203', '\\xdeadbeef77'],
  boolean: ['true', 'false'],
};
const TRANSFORMS: Transform[] = [
  { kind: 'identity' },
  { kind: 'year' },
  { kind: 'month' },
  { kind: 'day' },
  { kind: 'hour' },
  { kind: 'bucket', buckets: 16 },
  { kind: 'bucket', buckets: 1000 },
  { kind: 'truncate', width: 3 },
  { kind: 'truncate', width: 100 },
];

describe('partition keys computed in DuckDB equal the JS transforms', () => {
  for (const [type, texts] of Object.entries(SAMPLES)) {
    for (const transform of TRANSFORMS) {
      if (!applies(transform, type)) continue;
      it(`${JSON.stringify(transform)} of ${type}`, async () => {
        const keys = await sqlKeys(transform, type, texts);
        const fromSql = keys.map((key) => valueOfKey(resultType(transform, type), key));
        expect(fromSql).toEqual(texts.map((text) => applyTransform(transform, type, value(type, text))));
      });
    }
  }
});

describe('declaring partitions', () => {
  it('parses every transform, plain and quoted names', () => {
    expect(
      parsePartitionBy('day(placed_at), bucket(16, buyer_id), truncate(4,"unit price"), status, identity(x)'),
    ).toEqual([
      { transform: 'day', column: 'placed_at' },
      { transform: 'bucket', column: 'buyer_id', param: 16 },
      { transform: 'truncate', column: 'unit price', param: 4 },
      { transform: 'identity', column: 'status' },
      { transform: 'identity', column: 'x' },
    ]);
  });
  it.each(['bucket(16', 'week(x)', 'bucket(0, x)', 'day()', 'bucket(x)', 'a b'])(
    'refuses %s with a hint',
    (text) => {
      const error = thrown(() => parsePartitionBy(text));
      expect(isSluiceError(error, 'USAGE')).toBe(true);
      expect((error as { hint: string }).hint).toContain('bucket(N, col)');
    },
  );
  it('refuses a transform that does not fit the column type, naming column, type and transform', () => {
    const schema = {
      type: 'struct' as const,
      'schema-id': 0,
      fields: [{ id: 1, name: 'buyer', required: false, type: 'string' }],
    };
    const error = thrown(() =>
      planPartitionSpec(null, schema, parsePartitionBy('day(buyer)'), 'shop.orders'),
    );
    expect(isSluiceError(error, 'USAGE')).toBe(true);
    expect((error as Error).message).toBe(
      'cannot partition shop.orders by day(buyer): column "buyer" is string, and day applies to date, timestamp and timestamptz',
    );
    expect((error as { hint: string }).hint).toContain('transform that fits string');
  });
  it('gives partition fields ids from 1000 and Java\u2019s names', () => {
    const schema = {
      type: 'struct' as const,
      'schema-id': 0,
      fields: [
        { id: 1, name: 'placed_at', required: false, type: 'timestamptz' },
        { id: 2, name: 'buyer_id', required: false, type: 'long' },
      ],
    };
    const plan = planPartitionSpec(
      null,
      schema,
      parsePartitionBy('day(placed_at), bucket(16, buyer_id), buyer_id'),
      't',
    );
    expect(plan.spec).toEqual({
      'spec-id': 0,
      fields: [
        { 'source-id': 1, 'field-id': 1000, name: 'placed_at_day', transform: 'day' },
        { 'source-id': 2, 'field-id': 1001, name: 'buyer_id_bucket', transform: 'bucket[16]' },
        { 'source-id': 2, 'field-id': 1002, name: 'buyer_id', transform: 'identity' },
      ],
    });
    expect(plan.lastPartitionId).toBe(1002);
  });
});

function applies(transform: Transform, type: string): boolean {
  const temporal = ['date', 'timestamp', 'timestamptz'];
  switch (transform.kind) {
    case 'identity':
      return true;
    case 'year':
    case 'month':
    case 'day':
      return temporal.includes(type);
    case 'hour':
      return type === 'timestamp' || type === 'timestamptz';
    case 'bucket':
      return type !== 'boolean';
    case 'truncate':
      return ['int', 'long', 'string', 'binary'].includes(type) || type.startsWith('decimal');
  }
}

/** A typed SQL literal of canonical text. */
function literal(type: string, text: string): string {
  const duckType = duckdbTypeOfIceberg(type);
  if (type === 'binary') return `unhex('${text.slice(2)}')`;
  return `CAST('${text.replaceAll("'", "''")}' AS ${duckType})`;
}

/** The partition keys DuckDB computes for literal values, through the same SQL the writer runs. */
async function sqlKeys(
  transform: Transform,
  type: string,
  texts: readonly string[],
): Promise<(string | null)[]> {
  const source = `SELECT ${texts.map((text, i) => `${literal(type, text)} AS c${i}`).join(', ')}`;
  const requests = texts.map((_, i) => ({
    transform,
    sourceType: type,
    column: `c${i}`,
    label: 'c',
    as: `k${i}`,
  }));
  const sql = `SELECT ${texts.map((_, i) => `CAST(k${i} AS VARCHAR)`).join(', ')} FROM (${withPartitionKeys(source, requests)})`;
  const [row] = (await db.query(sql)).rows;
  return row!.map((key) => (key === null ? null : String(key)));
}

/** What `action` throws (the test fails when it throws nothing). */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
