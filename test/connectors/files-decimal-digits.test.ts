/**
 * The decimal-safe scan counts integer digits without signs and leading zeros (csv-numbers.ts
 * counts most values by the dot's position and trims only those that start with a zero): a
 * signed or zero-padded value must type the column exactly as its digits need, no wider.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSource } from '../helpers/file-source.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-files-digits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decimal-safe typing of signed and zero-padded numbers', () => {
  it.each([
    // 18 digits after a minus sign; padding, + signs and bare fractions add none.
    [
      ['-123456789012345678', '0012.5', '+5', '-.25', '-000.125', '99'],
      { kind: 'decimal', precision: 21, scale: 3 },
    ],
    // Zero-padded beyond every other value: its padding does not count.
    [['000000000000000000000007.5', '-0.05', '+12'], { kind: 'decimal', precision: 4, scale: 2 }],
    [['+0', '-00', '0.0', '5.'], { kind: 'decimal', precision: 2, scale: 1 }],
    // 38 integer digits and a fraction digit do not fit decimal(38): text, whatever the padding.
    [['-00012345678901234567890123456789012345678.5'], { kind: 'string' }],
  ])('%j → %j', async (values, expected) => {
    const file = path.join(dir, `digits-${values.length}-${values[0]?.length}.csv`);
    // After the sniffer's sample (which takes zero-padded numbers for text), so the scan sees them.
    const all = [...Array.from({ length: 30000 }, () => '1.5'), ...values];
    await writeFile(file, `id,amount\n${all.map((v, i) => `${i},${v}`).join('\n')}\n`);
    const read = await readFileSource(`file:${file}`);
    expect(read.schema.columns.find((c) => c.name === 'amount')?.type).toEqual(expected);
    expect(read.rows).toHaveLength(30000 + values.length);
    expect(read.quarantine).toEqual([]);
  });
});
