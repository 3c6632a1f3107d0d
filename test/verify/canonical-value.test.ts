/**
 * The JavaScript side of the canonical rendering: the storage forms SQLite applications use for
 * each canonical type render exactly as PostgreSQL's and DuckDB's SQL renders the same value.
 */
import { describe, expect, it } from 'vitest';
import type { CanonicalColumn, CanonicalType } from '../../src/core/canonical-types.js';
import { isSluiceError } from '../../src/core/errors.js';
import { canonicalRowText, canonicalValueText, type JsValue } from '../../src/verify/canonical-value.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';

const col = (type: CanonicalType): CanonicalColumn => ({
  name: 'c',
  type,
  nullable: true,
  sourceType: 'test',
});
const decimal = col({ kind: 'decimal', precision: 12, scale: 2 });
const timestamp = col({ kind: 'timestamp' });

describe('canonical values from SQLite storage forms', () => {
  it.each<[string, CanonicalColumn, JsValue, string]>([
    ['NULL', col({ kind: 'string' }), null, '\\N'],
    ['empty string', col({ kind: 'string' }), '', ''],
    ['escapes', col({ kind: 'string' }), 'a\\b\tc\nd', 'a\\\\b\\tc\nd'],
    ['the text \\N', col({ kind: 'string' }), '\\N', '\\\\N'],
    ['boolean', col({ kind: 'boolean' }), 1n, 't'],
    ['int64 max', col({ kind: 'int64' }), 9223372036854775807n, '9223372036854775807'],
    ['decimal from integer', decimal, 12n, '12.00'],
    ['decimal from real', decimal, 0.1, '0.10'],
    ['decimal from text', decimal, '-0012.5', '-12.50'],
    ['decimal negative zero', decimal, '-0.00', '0.00'],
    ['decimal in exponent form', decimal, '1.5e3', '1500.00'],
    ['decimal with trailing zeros beyond scale', decimal, '1.2300', '1.23'],
    ['decimal with more digits than the scale', decimal, '1.234', '1.234'],
    ['date', col({ kind: 'date' }), '1969-12-31', '-1'],
    ['leap day', col({ kind: 'date' }), '2000-02-29', '11016'],
    ['time', col({ kind: 'time' }), '12:00:00.000001', '43200000001'],
    ['time without seconds', col({ kind: 'time' }), '00:01', '60000000'],
    ['timestamp', timestamp, '1969-12-31 23:59:59.999999', '-1'],
    ['timestamp with T', timestamp, '2000-01-01T00:00:00.5', '946684800500000'],
    ['timestamp at year 1', timestamp, '0001-01-01 00:00:00', '-62135596800000000'],
    ['timestamptz with offset', col({ kind: 'timestamptz' }), '1970-01-01 01:00:00+01:00', '0'],
    ['timestamptz with Z', col({ kind: 'timestamptz' }), '1970-01-01T00:00:01Z', '1000000'],
    ['timestamp as Unix seconds', timestamp, 86400n, '86400000000'],
    ['binary', col({ kind: 'binary' }), new Uint8Array([0, 255, 92]), '00ff5c'],
    ['float64', col({ kind: 'float64' }), 1, '4503599627370496p0'],
  ])('%s', (_label, column, value, expected) => {
    expect(canonicalValueText(column, value)).toBe(expected);
  });

  it.each<[CanonicalColumn, JsValue]>([
    [col({ kind: 'date' }), '2023-02-29'],
    [col({ kind: 'date' }), 19000n],
    [col({ kind: 'time' }), '25:00:00'],
    [timestamp, '2020-01-01 00:00:00.1234567'],
    [col({ kind: 'boolean' }), 2n],
    [col({ kind: 'int32' }), 'seven'],
    [decimal, 'twelve'],
  ])('refuses %s value %s instead of guessing', (column, value) => {
    let error: unknown;
    try {
      canonicalValueText(column, value);
    } catch (caught) {
      error = caught;
    }
    expect(isSluiceError(error, 'TYPE_UNSUPPORTED')).toBe(true);
  });

  it('joins a row with tabs, so a tab inside a value cannot move between columns', () => {
    const columns = [col({ kind: 'string' }), col({ kind: 'string' })];
    expect(canonicalRowText(columns, ['a\tb', 'c'])).not.toBe(canonicalRowText(columns, ['a', 'b\tc']));
  });
});

describe('diffRowHashes', () => {
  it('names missing, extra and changed keys, counting repeated keys', () => {
    const source = [
      { key: '1', hash: 'a' },
      { key: '2', hash: 'b' },
      { key: '3', hash: 'c' },
      { key: '4', hash: 'd' },
    ];
    const destination = [
      { key: '1', hash: 'a' },
      { key: '2', hash: 'x' },
      { key: '4', hash: 'd' },
      { key: '4', hash: 'd' },
      { key: '5', hash: 'e' },
    ];
    expect(diffRowHashes(source, destination)).toEqual({ missing: ['3'], extra: ['5'], changed: ['2', '4'] });
  });
});
