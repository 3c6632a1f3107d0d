/**
 * Bad input in files: ragged rows, invalid UTF-8, values that do not parse and malformed JSON
 * lines are quarantined one by one (file, physical line, reason, raw text) while every other
 * row loads; input that cannot be read at all is a precise error. Never a silently short table.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import { readFileSource } from '../helpers/file-source.js';

let dir: string;
const at = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-bad-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CSV with a quoted newline before its bad rows, so record numbers and line numbers differ. */
const RAGGED = [
  Buffer.from('id,name,amount\n1,alice,1.5\n2,"two\nlines",2\n3,carol\n4,dave,4,extra\n5,'),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('bad,5\n6,"",6\n'),
];

describe('quarantine of bad CSV rows', () => {
  it('quarantines exactly the ragged and invalid UTF-8 lines with file, line, reason and raw text, and loads the rest', async () => {
    const file = at('ragged.csv');
    await writeFile(file, Buffer.concat(RAGGED));
    const read = await readFileSource(`file:${file}`);
    expect(read.rows).toEqual([
      ['1', 'alice', '1.5'],
      ['2', 'two\nlines', '2.0'],
      ['6', '', '6.0'],
    ]);
    expect(read.quarantine.map(([f, line, , raw]) => [f, line, raw])).toEqual([
      [file, '5', '3,carol'],
      [file, '6', '4,dave,4,extra'],
      [file, '7', '5,\\xff\\xfebad,5'],
    ]);
    expect(read.quarantine.map((row) => row[2])).toEqual([
      expect.stringMatching(/^MISSING COLUMNS .*Expected Number of Columns: 3 Found: 2/),
      expect.stringMatching(/^TOO MANY COLUMNS: Expected Number of Columns: 3 Found: 4/),
      expect.stringMatching(/^INVALID ENCODING .*not utf-8/),
    ]);
    // The closing chunk carries the quarantine; the data chunks hold only loadable rows.
    expect(read.chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(3);
    expect(read.chunks.at(-1)?.quarantine?.rows).toBe(3);
  });

  it('counts lines the same in gzip files with CRLF line ends', async () => {
    const crlf = Buffer.from(Buffer.concat(RAGGED).toString('latin1').replaceAll('\n', '\r\n'), 'latin1');
    const file = at('ragged-crlf.csv.gz');
    await writeFile(file, gzipSync(crlf));
    const read = await readFileSource(`file:${file}`);
    expect(read.rows.map((row) => row[0])).toEqual(['1', '2', '6']);
    expect(read.rows[1]?.[1]).toBe('two\r\nlines');
    expect(read.quarantine.map(([f, line, , raw]) => [f, line, raw])).toEqual([
      [file, '5', '3,carol'],
      [file, '6', '4,dave,4,extra'],
      [file, '7', '5,\\xff\\xfebad,5'],
    ]);
  });

  it('quarantines a value that does not parse as the type sniffed from the sample', async () => {
    const file = at('late.csv');
    const lines = Array.from(
      { length: 5000 },
      (_, i) => `${i + 1},${i + 1 === 4500 ? 'lots' : (i + 1) * 10}`,
    );
    await writeFile(file, `id,qty\n${lines.join('\n')}\n`);
    const read = await readFileSource(`file:${file}?sample_size=100`);
    expect(read.schema.columns.map((c) => c.type.kind)).toEqual(['int64', 'int64']);
    expect(read.rows).toHaveLength(4999);
    expect(read.rows.find((row) => row[0] === '4500')).toBeUndefined();
    expect(read.rows[4499]).toEqual(['4501', '45010']);
    expect(read.quarantine).toEqual([
      [file, '4501', expect.stringMatching(/^CAST \(column "qty"\): .*lots/), '4500,lots'],
    ]);
  });

  it('a file whose rows are all bad loads nothing and quarantines every row', async () => {
    await writeFile(at('all-good.csv'), 'a,b\n1,2\n');
    await writeFile(at('all-bad.csv'), 'a,b\n1\n2\n');
    const read = await readFileSource(`file:${dir}/all-*.csv`);
    expect(read.rows).toEqual([['1', '2']]);
    expect(read.quarantine.map(([f, line]) => [path.basename(f ?? ''), line])).toEqual([
      ['all-bad.csv', '2'],
      ['all-bad.csv', '3'],
    ]);
  });
});

describe('bad JSON and undecodable text', () => {
  it('quarantines malformed, non-object and invalid UTF-8 NDJSON lines with their line numbers', async () => {
    const file = at('events.ndjson');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('{"id":1,"v":"a"}\n{"id":2,oops}\n\n{"id":3,"v":"'),
        Buffer.from([0xc3]),
        Buffer.from('"}\n[1]\n{"id":4,"v":"d"}\n'),
      ]),
    );
    const read = await readFileSource(`file:${file}`);
    expect(read.rows).toEqual([
      ['1', 'a'],
      ['4', 'd'],
    ]);
    expect(read.quarantine).toEqual([
      [file, '2', expect.stringMatching(/^MALFORMED JSON: /), '{"id":2,oops}'],
      [file, '4', 'INVALID ENCODING: the line is not valid UTF-8', '{"id":3,"v":"\\xc3"}'],
      [file, '5', 'NOT AN OBJECT: the line holds a JSON array, not an object', '[1]'],
    ]);
  });

  it('invalid UTF-16 is a SOURCE_READ error naming the file and line', async () => {
    const file = at('broken16.csv');
    // An unpaired high surrogate (D800) on the third line.
    const body = Buffer.concat([
      Buffer.from('a,b\n1,x\n2,', 'utf16le'),
      Buffer.from([0x00, 0xd8]),
      Buffer.from('y\n', 'utf16le'),
    ]);
    await writeFile(file, Buffer.concat([Buffer.from([0xff, 0xfe]), body]));
    const error = await readFileSource(`file:${file}`).catch((e: unknown) => e);
    expect(isSluiceError(error, 'SOURCE_READ'), String(error)).toBe(true);
    expect((error as Error).message).toBe(`${file} line 3: the bytes are not valid utf-16le`);
    expect((error as { hint: string }).hint).toMatch(/\?encoding=/);
  });

  it('a JSON array file that does not parse is an error naming the file', async () => {
    const file = at('broken.json');
    await writeFile(file, '[{"a":1},{"a":');
    const error = await readFileSource(`file:${file}`).catch((e: unknown) => e);
    expect(isSluiceError(error, 'SOURCE_READ'), String(error)).toBe(true);
    expect((error as Error).message).toContain(`reading ${file} failed`);
  });
});
