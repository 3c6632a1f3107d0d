/**
 * CSV date and time columns are typed from every value of the file, not from the sniffer's
 * sample (csv-temporals.ts): DuckDB's cast keeps what fits the sniffed type and drops the rest
 * (a time of day in a DATE column, an offset in a TIMESTAMP one, nanoseconds), so a column with
 * such a value after the sample is text, spelled as in the file. Values in the type's exact form
 * keep the type.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSource } from '../helpers/file-source.js';

/** Rows before the interesting values: more than the sniffer's sample. */
const SAMPLE_ROWS = 30_000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-temporals-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SAMPLES = {
  date: '2020-01-01',
  time: '10:00:00',
  timestamp: '2020-01-01 10:00:00',
  timestamptz: '2020-01-01 10:00:00+00',
} as const;

describe('a date or time column with other values after the sample', () => {
  it.each([
    // Text the cast would change: the column is text, every value as in the file.
    ['timestamp', ['2020-01-01 10:00:00+02:00'], { kind: 'string' }, ['2020-01-01 10:00:00+02:00']],
    // Naive values and one with an offset: neither type holds both meanings.
    ['timestamp', ['2020-01-01 10:00:00Z'], { kind: 'string' }, ['2020-01-01 10:00:00Z']],
    ['timestamp', ['2020-01-01 10:00:00.123456789'], { kind: 'string' }, ['2020-01-01 10:00:00.123456789']],
    [
      'timestamptz',
      ['2020-01-01 10:00:00.1234567+00'],
      { kind: 'string' },
      ['2020-01-01 10:00:00.1234567+00'],
    ],
    ['time', ['10:00:00+02'], { kind: 'string' }, ['10:00:00+02']],
    ['time', ['24:00:00'], { kind: 'string' }, ['24:00:00']],
    // Text in the exact form keeps the type, with the value it names.
    ['date', ['2020-2-3', ' 2020-12-31 '], { kind: 'date' }, ['2020-02-03', '2020-12-31']],
    [
      'timestamp',
      ['2020-01-01T10:00:00.5', '2020-01-01 10:00:00.123456000'],
      { kind: 'timestamp' },
      ['2020-01-01 10:00:00.5', '2020-01-01 10:00:00.123456'],
    ],
    [
      'timestamptz',
      ['2020-01-01 10:00:00-05:30', '2020-01-01T10:00:00Z'],
      { kind: 'timestamptz' },
      ['2020-01-01 15:30:00+00', '2020-01-01 10:00:00+00'],
    ],
    ['time', ['9:30', '23:59:59.999999'], { kind: 'time' }, ['09:30:00', '23:59:59.999999']],
  ] as const)('%s then %j → %j', async (kind, values, type, staged) => {
    const file = path.join(dir, `${kind}-${values[0]?.replace(/[^0-9a-z]/gi, '')}.csv`);
    const all = [...Array.from({ length: SAMPLE_ROWS }, () => SAMPLES[kind]), ...values];
    await writeFile(file, `id,at\n${all.map((v, i) => `${i},${v}`).join('\n')}\n`);
    const read = await readFileSource(`file:${file}`);
    expect(read.schema.columns.find((c) => c.name === 'at')?.type).toEqual(type);
    expect(read.quarantine).toEqual([]);
    expect(read.rows).toHaveLength(SAMPLE_ROWS + values.length);
    expect(read.rows.slice(SAMPLE_ROWS).map((row) => row[1])).toEqual(staged);
  });

  // DuckDB's sniffer reads these dates with the format `%Y-%m-%d`, whose parse refuses text
  // after the date: such a row is quarantined, not cut to its date.
  it('keeps a date column and quarantines a value that is no date or more than one', async () => {
    const file = path.join(dir, 'date-word.csv');
    const odd = ['soon', '2020-01-02 10:30:00', '0044-03-15 BC'];
    const all = [...Array.from({ length: SAMPLE_ROWS }, () => SAMPLES.date), ...odd, '2021-05-06'];
    await writeFile(file, `id,at\n${all.map((v, i) => `${i},${v}`).join('\n')}\n`);
    const read = await readFileSource(`file:${file}`);
    expect(read.schema.columns.find((c) => c.name === 'at')?.type).toEqual({ kind: 'date' });
    expect(read.rows.slice(SAMPLE_ROWS).map((row) => row[1])).toEqual(['2021-05-06']);
    expect(read.quarantine.map((row) => row[3])).toEqual(odd.map((v, i) => `${SAMPLE_ROWS + i},${v}`));
  });
});

describe('JSON date and time fields', () => {
  it('are timestamptz when every timestamp carries an offset, text when the read would cut them', async () => {
    const file = path.join(dir, 'events.ndjson');
    const lines = [
      { id: 1, at: '2020-01-01T10:00:00.000Z', clock: '10:00:00.1234567', day: '2020-01-01' },
      { id: 2, at: '2020-06-01T10:30:00.123Z', clock: '11:00:00', day: '2020-01-02' },
    ];
    await writeFile(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const read = await readFileSource(`file:${file}`);
    const types = Object.fromEntries(read.schema.columns.map((c) => [c.name, c.type.kind]));
    expect(types).toEqual({ id: 'int64', at: 'timestamptz', clock: 'string', day: 'date' });
    expect(read.rows).toEqual([
      ['1', '2020-01-01 10:00:00+00', '10:00:00.1234567', '2020-01-01'],
      ['2', '2020-06-01 10:30:00.123+00', '11:00:00', '2020-01-02'],
    ]);
  });
});
