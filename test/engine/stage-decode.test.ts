/**
 * The stage CSV dialect read back by DuckDB: NULL vs empty string, quoting, every canonical
 * type decoded exactly, and the failures that must not be silent (malformed rows, values a
 * plain cast would round or reinterpret).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalType } from '../../src/core/canonical-types.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import type { DuckDB, QueryValue } from '../../src/engine/duckdb.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import {
  STAGE_MAX_ROW_BYTES,
  stageBufferBytes,
  stageCsvSource,
  stageDecodeExpression,
  stageFieldName,
} from '../../src/engine/stage-decode.js';

let db: DuckDB;
let dir: string;

beforeAll(async () => {
  db = await openDuckDB({ threads: 2 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-decode-'));
});

afterAll(async () => {
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function stage(text: string): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  await fs.writeFile(file, text);
  return file;
}

/** Decodes one staged value of `type` and renders it as text DuckDB prints (exact for every type). */
async function decode(type: CanonicalType, value: string | null): Promise<QueryValue> {
  const file = await stage(encodeStageRow([value]));
  const expression = stageDecodeExpression(type, stageFieldName(0), 'v');
  const result = await db.query(`SELECT CAST(${expression} AS VARCHAR) FROM ${stageCsvSource(file, 1)}`);
  return result.rows[0]![0]!;
}

describe('stage CSV reading', () => {
  it('keeps NULL (empty unquoted) apart from the empty string (""), and quotes intact', async () => {
    const file = await stage(encodeStageRow([null, '', 'a,"b"\nc']) + encodeStageRow(['x', null, '']));
    const result = await db.query(`SELECT c0, c1, c2 FROM ${stageCsvSource(file, 3)}`);
    expect(result.rows).toEqual([
      [null, '', 'a,"b"\nc'],
      ['x', null, ''],
    ]);
  });

  it.each([
    ['too few fields', 'a,b\nc\n'],
    ['too many fields', 'a,b\nc,d,e\n'],
    ['an unterminated quote', 'a,b\n"c,d\n'],
  ])('fails a chunk with %s', async (_, text) => {
    const file = await stage(text);
    await expect(db.query(`SELECT * FROM ${stageCsvSource(file, 2)}`)).rejects.toMatchObject({
      code: 'QUERY',
    });
  });

  it('reads rows longer than DuckDB’s default 2 MB line limit', async () => {
    const file = await stage(encodeStageRow(['x'.repeat(5_000_000), '1']));
    const result = await db.query(`SELECT length(c0), c1 FROM ${stageCsvSource(file, 2)}`);
    expect(result.rows).toEqual([[5_000_000n, '1']]);
  });
});

describe('read buffers sized to the chunk', () => {
  it('grows the buffer to twice the longest row, from 8 MiB up to the stage maximum', () => {
    expect(stageBufferBytes(100)).toBe(8 << 20);
    expect(stageBufferBytes(5_000_000)).toBe(16 << 20);
    expect(stageBufferBytes(20 << 20)).toBe(64 << 20);
    expect(stageBufferBytes(undefined)).toBe(STAGE_MAX_ROW_BYTES);
  });

  it('reads a row longer than the smallest buffer when the chunk says how long it is', async () => {
    const row = encodeStageRow(['x'.repeat(9_000_000), '1']);
    const file = await stage(row);
    const read = (maxRowBytes: number) =>
      db.query(`SELECT length(c0), c1 FROM ${stageCsvSource(file, 2, maxRowBytes)}`);
    expect((await read(Buffer.byteLength(row))).rows).toEqual([[9_000_000n, '1']]);
    // The size is really applied: a chunk that under-reports its rows fails instead of guessing.
    await expect(read(100)).rejects.toMatchObject({ code: 'QUERY' });
  });
});

describe('decoding canonical text', () => {
  it.each<[CanonicalType, string, string]>([
    [{ kind: 'boolean' }, 't', 'true'],
    [{ kind: 'boolean' }, 'f', 'false'],
    [{ kind: 'int32' }, '-2147483648', '-2147483648'],
    [{ kind: 'int64' }, '9223372036854775807', '9223372036854775807'],
    [{ kind: 'float32' }, '3.4028235e+38', '3.4028235e+38'],
    [{ kind: 'float64' }, 'NaN', 'nan'],
    [{ kind: 'float64' }, '-Infinity', '-inf'],
    [{ kind: 'float64' }, '5e-324', '5e-324'],
    [
      { kind: 'decimal', precision: 38, scale: 9 },
      '-12345678901234567890123456789.123456789',
      '-12345678901234567890123456789.123456789',
    ],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '1.5', '1.50'],
    // Texts the cast does not render back unchanged take the checked path, and keep their value.
    [{ kind: 'int64' }, '007', '7'],
    [{ kind: 'int32' }, '-0', '0'],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '-0.5', '-0.50'],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '-00012.30', '-12.30'],
    [{ kind: 'decimal', precision: 18, scale: 0 }, '-999999999999999999', '-999999999999999999'],
    [{ kind: 'binary' }, '\\xdeadBEEF', '\\xDE\\xAD\\xBE\\xEF'],
    [{ kind: 'binary' }, '\\x', ''],
    [{ kind: 'date' }, '0001-01-01', '0001-01-01'],
    [{ kind: 'time' }, '23:59:59.999999', '23:59:59.999999'],
    [{ kind: 'timestamp' }, '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999'],
    [{ kind: 'timestamptz' }, '2024-06-30 23:00:00+05:30', '2024-06-30 17:30:00+00'],
    [{ kind: 'timestamptz' }, '1960-06-01 00:00:00.5-08', '1960-06-01 08:00:00.5+00'],
    [{ kind: 'uuid' }, '123e4567-e89b-12d3-a456-426614174000', '123e4567-e89b-12d3-a456-426614174000'],
    [{ kind: 'json' }, '{"a": [1, "x,y"]}', '{"a": [1, "x,y"]}'],
    [{ kind: 'string' }, '', ''],
  ])('%j %s', async (type, text, expected) => {
    expect(await decode(type, text)).toBe(expected);
  });

  it.each<CanonicalType>([
    { kind: 'boolean' },
    { kind: 'int64' },
    { kind: 'binary' },
    { kind: 'timestamptz' },
  ])('keeps NULL for %j', async (type) => {
    expect(await decode(type, null)).toBeNull();
  });

  it.each<[CanonicalType, string, RegExp]>([
    [{ kind: 'int32' }, '1.5', /not an integer/],
    [{ kind: 'int64' }, '1e3', /not an integer/],
    [{ kind: 'int64' }, '+7', /not an integer/],
    [{ kind: 'int64' }, ' 7', /not an integer/],
    [{ kind: 'int32' }, '2147483648', /INT32|int32|out of range|Could not convert/i],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '+1.50', /at most 2 fraction digits/],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '.5', /at most 2 fraction digits/],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '1.239', /at most 2 fraction digits/],
    [{ kind: 'decimal', precision: 10, scale: 2 }, '123456789.00', /DECIMAL\(10,2\)/],
    [{ kind: 'boolean' }, 'yes', /'t' or 'f'/],
    [{ kind: 'binary' }, 'deadbeef', /hex/],
    [{ kind: 'binary' }, '\\xZZ', /hex/i],
    [{ kind: 'date' }, '2024-02-30', /date/i],
  ])('refuses %j %s instead of changing it', async (type, text, message) => {
    await expect(decode(type, text)).rejects.toThrow(message);
  });
});
