/**
 * JSON numbers that DuckDB would load as another number (json-numbers.ts): DuckDB parses JSON
 * numbers as int64, uint64 or double and keeps no number's text, so a number no double prints back
 * as written changed silently — in a float column, and nested, where DuckDB prints the parsed
 * double back. Such a line of a newline-delimited file is now quarantined with the reason, and a
 * JSON array file holding one fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameNumber } from '../../src/connectors/files/json-numbers.js';
import { readFileSource } from '../helpers/file-source.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-json-numbers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JSON numbers a double cannot carry', () => {
  it('quarantines the lines of a newline-delimited file that hold one, and loads the rest exactly', async () => {
    const file = path.join(dir, 'amounts.ndjson');
    const lines = [
      '{"id":1,"amount":1.5,"meta":{"n":0.1}}',
      '{"id":2,"amount":12345678901234567,"meta":{"n":1}}',
      '{"id":3,"amount":2.25,"meta":{"n":123456789012345678901234567890}}',
      // A double's own shortest text and a nested int64 load as written.
      '{"id":4,"amount":0.30000000000000004,"meta":{"n":9007199254740993}}',
      '{"id":5,"amount":1e400,"meta":{}}',
      'not json',
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const read = await readFileSource(`file:${file}`);
    expect(read.rows).toEqual([
      ['1', '1.5', '{"n":0.1}'],
      ['4', '0.30000000000000004', '{"n":9007199254740993}'],
    ]);
    expect(read.quarantine.map(([, line, reason]) => [line, reason?.split(':')[0]])).toEqual([
      ['2', 'NUMBER CHANGES'],
      ['3', 'NUMBER CHANGES'],
      ['5', 'NUMBER CHANGES'],
      ['6', 'MALFORMED JSON'],
    ]);
    expect(read.quarantine[0]?.[2]).toContain('"amount" holds 12345678901234567');
    expect(read.quarantine[1]?.[2]).toContain('"n" (nested) holds 123456789012345678901234567890');
    expect(read.quarantine[0]?.[3]).toBe(lines[1]);
  });

  it('fails a JSON array file that holds one, naming the key and the number', async () => {
    const file = path.join(dir, 'array.json');
    await writeFile(file, '[{"id":1,"x":1.5},{"id":2,"x":12345678901234567.5}]');
    await expect(readFileSource(`file:${file}`)).rejects.toMatchObject({
      code: 'TYPE_UNSUPPORTED',
      message: expect.stringContaining('"x" holds 12345678901234567.5'),
    });
  });

  it('compares number texts by value', () => {
    expect(sameNumber('1.10', '1.1')).toBe(true);
    expect(sameNumber('1e2', '100')).toBe(true);
    expect(sameNumber('0.000012', '1.2e-05')).toBe(true);
    expect(sameNumber('-0.0', '-0')).toBe(true);
    expect(sameNumber('0', '-0')).toBe(false);
    expect(sameNumber('12345678901234567', '1.2345678901234568e+16')).toBe(false);
    expect(sameNumber('1e400', 'Infinity')).toBe(false);
  });
});
