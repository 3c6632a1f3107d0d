import { describe, expect, it } from 'vitest';
import { canonicalSqliteType } from '../../src/connectors/sqlite/sqlite-types.js';

describe('canonicalSqliteType', () => {
  it.each([
    ['INTEGER', 'int64'],
    ['bigint', 'int64'],
    ['UNSIGNED BIG INT', 'int64'],
    ['POINT', 'int64'], // SQLite's rule: contains INT
    ['NVARCHAR(160)', 'string'],
    ['CLOB', 'string'],
    ['text', 'string'],
    ['BLOB', 'binary'],
    ['REAL', 'float64'],
    ['DOUBLE PRECISION', 'float64'],
    ['FLOAT', 'float64'],
    ['NUMERIC(10,2)', 'decimal(10,2)'],
    ['decimal(38, 0)', 'decimal(38,0)'],
    ['DECIMAL(5)', 'decimal(5,0)'],
    ['BOOLEAN', 'boolean'],
    ['DATE', 'date'],
    ['DATETIME', 'timestamp'],
    ['TIMESTAMP(6)', 'timestamp'],
    ['TIME', 'time'],
  ])('%s → %s', (declared, expected) => {
    const { type, note } = canonicalSqliteType(declared);
    expect(type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.kind).toBe(expected);
    expect(note).toBeUndefined();
  });

  it.each([
    '',
    'NUMERIC',
    'DECIMAL',
    'NUMERIC(40,2)',
    'NUMERIC(2,5)',
    'MONEY',
    'JSON',
    'TIMESTAMP WITH TIME ZONE',
    'ANY',
  ])('%j falls back to string with a note', (declared) => {
    const { type, note } = canonicalSqliteType(declared);
    expect(type.kind).toBe('string');
    expect(note).toMatch(/losslessly as text/);
  });
});
