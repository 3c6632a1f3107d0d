/**
 * CSV number columns are typed from every value of the file, not from the sniffer's sample
 * (csv-numbers.ts). Before, a column sniffed as BIGINT from its first 20,480 rows read a later
 * `1.5` as 2 and a later 20-digit number was quarantined; the load reported its content as
 * checked, since both sides of the check read the same rounded values.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLake } from '../../src/lake/lake-query.js';
import { runSync } from '../../src/sync/run-sync.js';
import { readFileSource } from '../helpers/file-source.js';

/** Rows before the interesting values: more than the sniffer's sample. */
const SAMPLE_ROWS = 30_000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-numbers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CSV of `id,amount` whose first rows hold the integer 7, then `values`. */
async function integersThen(name: string, values: readonly string[]): Promise<string> {
  const file = path.join(dir, `${name}.csv`);
  const all = [...Array.from({ length: SAMPLE_ROWS }, () => '7'), ...values];
  await writeFile(file, `id,amount\n${all.map((v, i) => `${i},${v}`).join('\n')}\n`);
  return file;
}

describe('a column of integers with other numbers after the sample', () => {
  it.each([
    // A fraction: a decimal wide enough for every value, each value exact.
    ['fraction', ['1.5', '-12.25'], { kind: 'decimal', precision: 4, scale: 2 }, ['1.50', '-12.25']],
    // More digits than BIGINT holds: a decimal of that many digits.
    [
      'wide',
      ['99999999999999999999', '-9223372036854775809'],
      { kind: 'decimal', precision: 20, scale: 0 },
      ['99999999999999999999', '-9223372036854775809'],
    ],
    // BIGINT's own limits still fit.
    [
      'limits',
      ['9223372036854775807', '-9223372036854775808'],
      { kind: 'int64' },
      ['9223372036854775807', '-9223372036854775808'],
    ],
    // Padding and signs are not digits.
    ['padded', ['007', '+8', ' -9 '], { kind: 'int64' }, ['7', '8', '-9']],
    // A float literal: a double, which holds every value here exactly.
    ['float', ['1e3', '2.5'], { kind: 'float64' }, ['1000.0', '2.5']],
    // A float literal beside a 17-digit integer: text, spelled as in the file.
    ['text', ['1e3', '12345678901234567'], { kind: 'string' }, ['1e3', '12345678901234567']],
  ])('%s: %j → %j', async (name, values, type, staged) => {
    const read = await readFileSource(`file:${await integersThen(name, values)}`);
    expect(read.schema.columns.find((c) => c.name === 'amount')?.type).toEqual(type);
    expect(read.quarantine).toEqual([]);
    expect(read.rows).toHaveLength(SAMPLE_ROWS + values.length);
    expect(read.rows.slice(SAMPLE_ROWS).map((row) => row[1])).toEqual(staged);
  });

  it('keeps a column that is not a number a number column, and quarantines the odd value', async () => {
    const read = await readFileSource(`file:${await integersThen('word', ['x', '8'])}`);
    expect(read.schema.columns.find((c) => c.name === 'amount')?.type).toEqual({ kind: 'int64' });
    expect(read.rows.slice(SAMPLE_ROWS).map((row) => row[1])).toEqual(['8']);
    expect(read.quarantine).toHaveLength(1);
    expect(read.quarantine[0]?.[3]).toBe(`${SAMPLE_ROWS},x`);
  });

  it('lands exactly in the lake through typed Parquet chunks', async () => {
    const file = await integersThen('lake', ['1.5', '99999999999999999999']);
    const lake = path.join(dir, 'lake');
    const control = `sqlite:${path.join(dir, 'control.db')}`;
    const report = await runSync({
      from: `file:${file}`,
      to: `lake:${lake}`,
      tables: 'all',
      mode: 'full',
      control,
      retry: { attempts: 1 },
    });
    expect(report.status).toBe('succeeded');
    const result = await queryLake(
      lake,
      `SELECT CAST(amount AS VARCHAR) FROM files.lake WHERE id >= ${SAMPLE_ROWS - 1} ORDER BY id`,
      { control },
    );
    expect(result.rows).toEqual([['7.0'], ['1.5'], ['99999999999999999999.0']]);
  });
});
