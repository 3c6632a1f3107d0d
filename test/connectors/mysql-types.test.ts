import { describe, expect, it } from 'vitest';
import { mysqlConfigSchema } from '../../src/connectors/mysql/mysql-config.js';
import { keyRanges, rangeCondition, splitColumn } from '../../src/connectors/mysql/mysql-key-ranges.js';
import {
  canonicalMysqlType,
  mappingOfColumn,
  mysqlSelectExpression,
  parseMysqlColumnType,
} from '../../src/connectors/mysql/mysql-types.js';
import { typeToString } from '../../src/core/canonical-types.js';
import type { StreamPlan } from '../../src/core/stream.js';

const map = (columnType: string, jsonCheck = false) =>
  canonicalMysqlType(parseMysqlColumnType(columnType, jsonCheck));

describe('canonicalMysqlType', () => {
  it.each([
    ['tinyint(1)', 'int32', 'plain'],
    ['tinyint(4)', 'int32', 'plain'],
    ['tinyint(1) unsigned', 'int32', 'plain'],
    ['int(11)', 'int32', 'plain'],
    ['int(10) unsigned', 'int64', 'plain'],
    ['int(6) unsigned zerofill', 'int64', 'unpadded'],
    ['bigint(20)', 'int64', 'plain'],
    ['bigint(20) unsigned', 'decimal(20,0)', 'plain'],
    ['decimal(10,2)', 'decimal(10,2)', 'plain'],
    ['decimal(38,38)', 'decimal(38,38)', 'plain'],
    ['decimal(39,0)', 'string', 'plain'],
    ['decimal(65,30)', 'string', 'plain'],
    ['float', 'float32', 'float32'],
    ['double', 'float64', 'float64'],
    ['bit(1)', 'boolean', 'bits'],
    ['bit(63)', 'int64', 'bits'],
    ['bit(64)', 'decimal(20,0)', 'bits'],
    ['year(4)', 'int32', 'unpadded'],
    ['date', 'date', 'date'],
    ['datetime(6)', 'timestamp', 'datetime'],
    ['timestamp', 'timestamptz', 'timestamp'],
    ['time(3)', 'string', 'plain'],
    ["enum('a','b')", 'string', 'text'],
    ["set('a','b')", 'string', 'text'],
    ['json', 'json', 'text'],
    ['varchar(20)', 'string', 'text'],
    ['mediumblob', 'binary', 'binary'],
    ['point', 'binary', 'binary'],
    ['uuid', 'uuid', 'plain'],
    ['some_future_type', 'string', 'text'],
  ])('%s → %s (wire %s)', (columnType, kind, wire) => {
    const mapping = map(columnType);
    expect(typeToString(mapping.type)).toBe(kind);
    expect(mapping.wire).toBe(wire);
  });

  it('a MariaDB longtext with a json_valid check is json; without, string', () => {
    expect(map('longtext', true).type).toEqual({ kind: 'json' });
    expect(map('longtext', false).type).toEqual({ kind: 'string' });
  });

  it('selects float and double(M,D) through a double sum (MySQL prints them rounded), others as they are', () => {
    expect(mysqlSelectExpression('f`x', map('float'))).toBe('(`f``x` + 0e0)');
    expect(mysqlSelectExpression('d', map('double(10,2)'))).toBe('(`d` + 0e0)');
    expect(mysqlSelectExpression('d', map('double'))).toBe('`d`');
    expect(mysqlSelectExpression('n', map('decimal(10,2)'))).toBe('`n`');
  });

  it('recovers the mapping of a discovered column from its source type', () => {
    const json = mappingOfColumn({
      name: 'j',
      type: { kind: 'json' },
      nullable: true,
      sourceType: 'longtext',
    });
    expect(json.type).toEqual({ kind: 'json' });
    const bits = mappingOfColumn({
      name: 'b',
      type: { kind: 'int64' },
      nullable: true,
      sourceType: 'bit(10)',
    });
    expect(bits.wire).toBe('bits');
  });
});

describe('key ranges', () => {
  it('split min…max evenly, open at both ends, covering every key once', () => {
    const ranges = keyRanges(1n, 100n, 4);
    expect(ranges).toEqual([
      { from: null, to: 26n },
      { from: 26n, to: 51n },
      { from: 51n, to: 76n },
      { from: 76n, to: null },
    ]);
    expect(ranges.map((r) => rangeCondition('id', r))).toEqual([
      '`id` < 26',
      '`id` >= 26 AND `id` < 51',
      '`id` >= 51 AND `id` < 76',
      '`id` >= 76',
    ]);
  });

  it('never makes more ranges than keys, and handles the full unsigned bigint span', () => {
    expect(keyRanges(5n, 6n, 8)).toHaveLength(2);
    expect(keyRanges(7n, 7n, 8)).toEqual([{ from: null, to: null }]);
    expect(rangeCondition('id', { from: null, to: null })).toBe('TRUE');
    const wide = keyRanges(0n, 2n ** 64n - 1n, 2);
    expect(wide[1]?.from).toBe(2n ** 63n);
  });

  it('splits only large tables on an integer first key column, and only when parallelism > 1', () => {
    const plan = (sourceType: string, rowEstimate: number): StreamPlan => ({
      schema: {
        namespace: 'db',
        name: 't',
        columns: [{ name: 'id', type: { kind: 'int64' }, nullable: false, sourceType }],
        primaryKey: ['id'],
        rowEstimate,
      },
      mode: 'full',
      primaryKey: ['id'],
      disposition: 'replace',
      stageDir: '/tmp',
      chunkBytes: 1,
    });
    const config = mysqlConfigSchema.parse({ url: 'mysql://u@h/db', parallelism: 4, splitMinRows: 1000 });
    expect(splitColumn(plan('bigint(20) unsigned', 5000), config)).toBe('id');
    expect(splitColumn(plan('int(11)', 999), config)).toBeNull();
    expect(splitColumn(plan('varchar(10)', 5000), config)).toBeNull();
    expect(splitColumn(plan('int(11)', 5000), { ...config, parallelism: 1 })).toBeNull();
  });
});
