/**
 * A stream covering every canonical type with the values that break writers: NULLs, empty
 * strings, quotes/commas/newlines, unicode, NaN/±Infinity/-0, int64 beyond 2^53, 38-digit
 * decimals, dates and timestamps before 1970 and near year 9999, offsets in timestamptz, binary
 * that is not UTF-8. Rows are canonical text, staged with `encodeStageRow`; helpers turn the
 * text into what each reader returns, independently of the code under test.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CanonicalColumn, CanonicalType } from '../../src/core/canonical-types.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import type { StagedChunk } from '../../src/core/stream.js';

/** A nullable column whose source type is its canonical kind. */
export const column = (name: string, type: CanonicalType): CanonicalColumn => ({
  name,
  type,
  nullable: true,
  sourceType: type.kind,
});

/** Column names include a space, a leading digit and a quote so Parquet names must be sanitised. */
export const ALL_TYPES: CanonicalColumn[] = [
  column('id', { kind: 'int64' }),
  column('flag', { kind: 'boolean' }),
  column('small int', { kind: 'int32' }),
  column('2nd big', { kind: 'int64' }),
  column('f32', { kind: 'float32' }),
  column('f64', { kind: 'float64' }),
  column('price', { kind: 'decimal', precision: 10, scale: 2 }),
  column('amount', { kind: 'decimal', precision: 38, scale: 9 }),
  column('name', { kind: 'string' }),
  column('payload', { kind: 'binary' }),
  column('day', { kind: 'date' }),
  column('at "time"', { kind: 'time' }),
  column('ts', { kind: 'timestamp' }),
  column('tstz', { kind: 'timestamptz' }),
  column('uid', { kind: 'uuid' }),
  column('doc', { kind: 'json' }),
];

/**
 * The DuckDB type each ALL_TYPES column must read back as, written out (not derived from the
 * code under test) so a wrong type mapping fails the tests that use it.
 */
export const ALL_TYPES_DUCKDB_TYPES: readonly string[] = [
  'BIGINT',
  'BOOLEAN',
  'INTEGER',
  'BIGINT',
  'FLOAT',
  'DOUBLE',
  'DECIMAL(10,2)',
  'DECIMAL(38,9)',
  'VARCHAR',
  'BLOB',
  'DATE',
  'TIME',
  'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE',
  'VARCHAR',
  'VARCHAR',
];

type Row = (string | null)[];

/** Hand-picked edge values, one row each, then NULLs everywhere but the id. */
const SPECIAL: Row[] = [
  [
    't',
    '-2147483648',
    '9223372036854775807',
    '3.4028235e+38',
    'NaN',
    '-99999999.99',
    '99999999999999999999999999999.999999999',
    'plain',
    '\\x00ff10',
    '1970-01-01',
    '00:00:00',
    '1970-01-01 00:00:00',
    '1970-01-01 00:00:00+00',
    '00000000-0000-0000-0000-000000000000',
    '{}',
  ],
  [
    'f',
    '2147483647',
    '-9223372036854775808',
    '-1.5e-45',
    'Infinity',
    '0.00',
    '-99999999999999999999999999999.999999999',
    '',
    '\\x',
    '0001-01-01',
    '23:59:59.999999',
    '0001-01-01 00:00:00',
    '0001-01-01 00:00:00+00',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '[]',
  ],
  [
    't',
    '0',
    '9007199254740993',
    'Infinity',
    '-Infinity',
    '0.01',
    '0.000000001',
    'say "hi", then\nnew line\r\nand tab\t',
    '\\xc328',
    '9999-12-31',
    '12:34:56.5',
    '9999-12-31 23:59:59.999999',
    '9999-12-31 23:59:59.999999+00',
    '123e4567-e89b-12d3-a456-426614174000',
    '{"a": [1, "x,y"], "b": null, "q": "\\""}',
  ],
  [
    'f',
    '-1',
    '-9007199254740993',
    '-0',
    '-0',
    '-0.01',
    '-0.000000001',
    'ünïcødé 日本語 🎉 ‮',
    '\\xdeadbeef',
    '1969-12-31',
    '00:00:00.000001',
    '1969-12-31 23:59:59.999999',
    '1969-12-31 23:59:59.999999+00',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '"just a string"',
  ],
  [
    't',
    '42',
    '1',
    '0.1',
    '5e-324',
    '12345678.90',
    '1.5',
    '""',
    '\\x22',
    '1900-02-28',
    '06:00:00',
    '1900-03-01 12:30:45.123456',
    '2024-06-30 23:00:00+05:30',
    '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    'null',
  ],
  [
    'f',
    '7',
    '-42',
    '1e-10',
    '1.7976931348623157e+308',
    '-0.50',
    '42',
    'a,b,"c"',
    '\\x0a0d2c22',
    '2000-02-29',
    '23:00:00',
    '1960-06-01 00:00:00.5',
    '1960-06-01 00:00:00.5-08',
    '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
    '{"nested": {"deep": [true, false, null]}}',
  ],
  [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
];

/** Canonical text of row `id` (ids from 1). The first rows are the edge cases, the rest ordinary data. */
export function rowText(id: number): Row {
  const special = SPECIAL[id - 1];
  if (special) return [String(id), ...special];
  const n = id * 7919;
  return [
    String(id),
    id % 3 === 0 ? 't' : 'f',
    String((n % 200000) - 100000),
    String(9_007_199_254_740_993n + BigInt(id) * 1_000_000_007n * (id % 2 === 0 ? 1n : -1n)),
    String(Math.fround((n % 1000) / 8)),
    String((n % 100000) / 1024),
    `${n % 100000}.${String(n % 100).padStart(2, '0')}`,
    `${n}.${String(n % 1_000_000_000).padStart(9, '0')}`,
    `row ${id}: ${'x'.repeat(id % 40)} 'quoted' "double" ${id % 5 === 0 ? '\n' : ''}`,
    `\\x${(n % 65536).toString(16).padStart(4, '0')}`,
    `20${String(id % 100).padStart(2, '0')}-0${(id % 9) + 1}-1${id % 10}`,
    `1${id % 10}:${String(id % 60).padStart(2, '0')}:0${id % 10}.${String(n % 1_000_000).padStart(6, '0')}`,
    `2024-01-0${(id % 9) + 1} 0${id % 10}:00:00.${String(n % 1_000_000).padStart(6, '0')}`,
    `2024-01-0${(id % 9) + 1} 0${id % 10}:00:00.${String(n % 1000).padStart(3, '0')}+0${id % 10}`,
    `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    JSON.stringify({ id, tags: ['a', 'b'], note: `row, ${id}` }),
  ];
}

/** Rows `from`…`to` (inclusive). */
export function rowsBetween(from: number, to: number): Row[] {
  return Array.from({ length: to - from + 1 }, (_, i) => rowText(from + i));
}

/** Stages rows as one chunk file in `dir`. */
export async function stageChunk(
  dir: string,
  index: number,
  rows: readonly (readonly (string | null)[])[],
): Promise<StagedChunk> {
  const file = path.join(dir, `chunk-${index}-${Math.random().toString(36).slice(2)}.csv`);
  const text = rows.map((row) => encodeStageRow(row)).join('');
  await fs.writeFile(file, text);
  return { index, path: file, rows: rows.length, bytes: Buffer.byteLength(text), position: null };
}

/** Microseconds since the epoch of canonical timestamp text (with or without an offset). */
export function textMicros(text: string): bigint {
  const match =
    /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!match) throw new Error(`bad timestamp text ${text}`);
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  let micros = BigInt(date.getTime()) * 1000n + BigInt((frac ?? '').padEnd(6, '0'));
  if (sign)
    micros -= BigInt((sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60)) * 1_000_000n;
  return micros;
}

/** Days since 1970-01-01 of canonical date text. */
export function textDays(text: string): number {
  return Number(textMicros(`${text} 00:00:00`) / 86_400_000_000n);
}

/** Microseconds since midnight of canonical time text. */
export function textTimeMicros(text: string): bigint {
  return textMicros(`1970-01-01 ${text}`);
}

/** The unscaled integer of canonical decimal text at `scale`. */
export function unscaled(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [whole = '', fraction = ''] = text.replace('-', '').split('.');
  const value = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -value : value;
}

/** Bytes of canonical binary text (`\x` + hex). */
export function textBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
}
