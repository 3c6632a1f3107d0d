/**
 * The MySQL/MariaDB source on the machine's MariaDB: the conformance suite on Chinook, every
 * MySQL type at its edges staged as exact canonical text, and the values no canonical type can
 * carry (zero and invalid dates) rejected with the table, column, value and row key.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFloat64 } from '../../src/connectors/canonical-text.js';
import { mysqlConnectorDefinition } from '../../src/connectors/mysql/mysql-connector.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { SluiceError } from '../../src/core/errors.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { decodeStagedCsv, fullPlan, readAll, sourceConformance } from '../conformance/source-conformance.js';
import { CHINOOK_TABLES, chinookSqliteName, loadChinookMariaDb } from '../helpers/chinook.js';
import { createTestMariaDb } from '../helpers/mariadb.js';
import type { TestMariaDb } from '../helpers/mariadb.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('MariaDB', 3306);

/** Chinook's tables under the MySQL edition's names (PascalCase, like SQLite's). */
const MYSQL_CHINOOK = Object.fromEntries(
  Object.entries(CHINOOK_TABLES).map(([name, table]) => [
    chinookSqliteName(name),
    { primaryKey: table.primaryKey.map(chinookSqliteName), rows: table.rows },
  ]),
);

/** Column name → [MySQL type, canonical type, whether a note explains the mapping]. */
const COLUMNS: Record<string, [string, string, boolean]> = {
  c_tinyint1: ['tinyint(1)', 'int32', true],
  c_tinyint_u: ['tinyint unsigned', 'int32', false],
  c_smallint: ['smallint', 'int32', false],
  c_mediumint_u: ['mediumint unsigned', 'int32', false],
  c_int: ['int', 'int32', false],
  c_int_u: ['int unsigned', 'int64', true],
  c_int_zf: ['int(6) zerofill', 'int64', true],
  c_bigint: ['bigint', 'int64', false],
  c_bigint_u: ['bigint unsigned', 'decimal(20,0)', true],
  c_dec: ['decimal(38,10)', 'decimal(38,10)', false],
  c_dec_zf: ['decimal(8,2) zerofill', 'decimal(8,2)', true],
  c_dec65: ['decimal(65,30)', 'string', true],
  c_float: ['float', 'float32', false],
  c_float72: ['float(7,2)', 'float32', false],
  c_double: ['double', 'float64', false],
  c_double_md: ['double(10,2)', 'float64', false],
  c_bit1: ['bit(1)', 'boolean', false],
  c_bit10: ['bit(10)', 'int64', true],
  c_bit64: ['bit(64)', 'decimal(20,0)', true],
  c_year: ['year', 'int32', true],
  c_date: ['date', 'date', false],
  c_datetime: ['datetime(6)', 'timestamp', false],
  c_datetime0: ['datetime', 'timestamp', false],
  c_timestamp: ['timestamp(3) NULL', 'timestamptz', false],
  c_time: ['time(6)', 'string', true],
  c_enum: ["enum('a','b,c','')", 'string', false],
  c_set: ["set('x','y')", 'string', false],
  c_json: ['json', 'json', true],
  c_char: ['char(5)', 'string', false],
  c_varchar: ['varchar(40)', 'string', false],
  c_text: ['text', 'string', false],
  c_latin1: ['varchar(10) CHARACTER SET latin1', 'string', false],
  c_blob: ['blob', 'binary', false],
  c_binary: ['binary(3)', 'binary', false],
  c_varbinary: ['varbinary(10)', 'binary', false],
  c_geometry: ['geometry', 'binary', true],
  c_uuid: ['uuid', 'uuid', false],
  c_inet6: ['inet6', 'string', true],
};

/** [column, SQL literal, canonical text expected in the stage file]. One row per case. */
const VALUE_CASES: [string, string, string][] = [
  ['c_tinyint1', '0', '0'],
  ['c_tinyint1', '1', '1'],
  ['c_tinyint1', '127', '127'],
  ['c_tinyint1', '-128', '-128'],
  ['c_tinyint_u', '255', '255'],
  ['c_smallint', '-32768', '-32768'],
  ['c_mediumint_u', '16777215', '16777215'],
  ['c_int', '-2147483648', '-2147483648'],
  ['c_int_u', '4294967295', '4294967295'],
  ['c_int_zf', '42', '42'],
  ['c_int_zf', '0', '0'],
  ['c_bigint', '-9223372036854775808', '-9223372036854775808'],
  ['c_bigint', '9223372036854775807', '9223372036854775807'],
  ['c_bigint_u', '18446744073709551615', '18446744073709551615'],
  ['c_bigint_u', '0', '0'],
  ['c_dec', '9999999999999999999999999999.9999999999', '9999999999999999999999999999.9999999999'],
  ['c_dec', '-0.5', '-0.5000000000'],
  ['c_dec', '0', '0.0000000000'],
  ['c_dec_zf', '1.5', '1.50'],
  ['c_dec_zf', '0', '0.00'],
  [
    'c_dec65',
    '-12345678901234567890123456789012345.123456789012345678901234567890',
    '-12345678901234567890123456789012345.123456789012345678901234567890',
  ],
  ['c_dec65', '0', '0.000000000000000000000000000000'],
  ['c_float', '0.1', '0.1'],
  ['c_float', '1.0000001', '1.0000001'],
  ['c_float', '16777217', '1.6777216e+07'],
  ['c_float', '3.4028234e38', '3.4028235e+38'],
  ['c_float', '1e-5', '1e-05'],
  ['c_float72', '12.345', '12.35'],
  ['c_double', '0.1', '0.1'],
  ['c_double', '1e15', '1e+15'],
  ['c_double', '123456789012345', '123456789012345'],
  ['c_double', '5e-324', '5e-324'],
  ['c_double', '1.7976931348623157e308', '1.7976931348623157e+308'],
  ['c_double', '0.30000000000000004', '0.30000000000000004'],
  ['c_double', '-1.5e-5', '-1.5e-05'],
  // MySQL prints double(10,2) as `1.50`; the value is the double 1.5. 1.005 was rounded on insert.
  ['c_double_md', '1.5', '1.5'],
  ['c_double_md', '1.005', '1'],
  ['c_bit1', "b'1'", 't'],
  ['c_bit1', "b'0'", 'f'],
  ['c_bit10', "b'1010101010'", '682'],
  ['c_bit64', `b'${'1'.repeat(64)}'`, '18446744073709551615'],
  ['c_bit64', "b'0'", '0'],
  ['c_year', '2024', '2024'],
  ['c_year', '0', '0'],
  ['c_year', '2155', '2155'],
  ['c_date', "'2024-02-29'", '2024-02-29'],
  ['c_date', "'1000-01-01'", '1000-01-01'],
  ['c_date', "'0001-01-01'", '0001-01-01'],
  ['c_date', "'9999-12-31'", '9999-12-31'],
  ['c_datetime', "'2024-01-02 03:04:05.1234'", '2024-01-02 03:04:05.1234'],
  ['c_datetime', "'9999-12-31 23:59:59.999999'", '9999-12-31 23:59:59.999999'],
  ['c_datetime', "'1000-01-01 00:00:00'", '1000-01-01 00:00:00'],
  ['c_datetime0', "'2021-01-01 00:00:00'", '2021-01-01 00:00:00'],
  // Inserted in a +02:00 session (see beforeAll): stored and staged as UTC.
  ['c_timestamp', "'2024-06-01 12:00:00.5'", '2024-06-01 10:00:00.5+00'],
  ['c_timestamp', "'1970-01-01 02:00:01'", '1970-01-01 00:00:01+00'],
  ['c_timestamp', "'2038-01-19 05:14:07.999'", '2038-01-19 03:14:07.999+00'],
  ['c_time', "'-838:59:59'", '-838:59:59.000000'],
  ['c_time', "'12:30:00.5'", '12:30:00.500000'],
  ['c_time', "'100:00:00'", '100:00:00.000000'],
  ['c_enum', "'b,c'", 'b,c'],
  ['c_enum', "''", ''],
  ['c_set', "'x,y'", 'x,y'],
  ['c_set', "''", ''],
  ['c_json', `'{"b": 1,  "a": [1, "x,y"]}'`, '{"b": 1,  "a": [1, "x,y"]}'],
  ['c_char', "'ab'", 'ab'],
  ['c_varchar', "''", ''],
  ['c_varchar', `'say "hi", then\\ngo'`, 'say "hi", then\ngo'],
  ['c_varchar', "'Grüße 日本 🎉'", 'Grüße 日本 🎉'],
  ['c_varchar', "'NULL'", 'NULL'],
  ['c_varchar', "'\\\\N'", '\\N'],
  ['c_varchar', "' padded '", ' padded '],
  ['c_text', "'cr\\rlf\\r\\n'", 'cr\rlf\r\n'],
  ['c_latin1', "'Grüße'", 'Grüße'],
  ['c_blob', "x'00ff10'", '\\x00ff10'],
  ['c_blob', "x''", '\\x'],
  ['c_binary', "'ab'", '\\x616200'],
  ['c_varbinary', "'a,\"b'", '\\x612c2262'],
  [
    'c_geometry',
    "ST_GeomFromText('POINT(1 2)', 4326)",
    '\\xe61000000101000000000000000000f03f0000000000000040',
  ],
  ['c_uuid', "'123E4567-E89B-12D3-A456-426614174000'", '123e4567-e89b-12d3-a456-426614174000'],
  ['c_inet6', "'::1'", '::1'],
];

/** Tables holding one value no canonical type can carry: [type, literal, value as MySQL prints it]. */
const REJECT_CASES: [string, string, string][] = [
  ['date', "'0000-00-00'", '0000-00-00'],
  ['date', "'2024-00-10'", '2024-00-10'],
  ['date', "'2024-02-31'", '2024-02-31'],
  ['datetime', "'0000-00-00 00:00:00'", '0000-00-00 00:00:00'],
  ['datetime(3)', "'2024-04-31 10:00:00'", '2024-04-31 10:00:00.000'],
  ['datetime', "'0000-01-01 00:00:00'", '0000-01-01 00:00:00'],
  ['timestamp NULL', "'0000-00-00 00:00:00'", '0000-00-00 00:00:00'],
];

describe.skipIf(!up)('MySQL/MariaDB source', () => {
  let db: TestMariaDb;
  let stageRoot: string;
  const stageDir = () => mkdtemp(path.join(stageRoot, 's-'));

  beforeAll(async () => {
    db = await createTestMariaDb('connectors_mariadb');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-mariadb-test-'));
    await loadChinookMariaDb(db);
    const columns = Object.entries(COLUMNS).map(([name, [type]]) => `${name} ${type}`);
    const inserts = VALUE_CASES.map(
      ([column, literal], i) => `INSERT INTO samples (id, ${column}) VALUES (${i + 1}, ${literal});`,
    );
    await db.sql(
      `CREATE TABLE samples (id int PRIMARY KEY, ${columns.join(', ')});
       SET time_zone = '+02:00';
       ${inserts.join('\n')}
       INSERT INTO samples (id) VALUES (${VALUE_CASES.length + 1});`,
    );
    // Text with quotes, commas and newlines, so chunk splitting meets multi-line rows.
    await db.sql(`CREATE TABLE notes (id int PRIMARY KEY, body text);
      INSERT INTO notes SELECT seq, CONCAT('note ', seq, '\\n"quoted", line\\n', REPEAT('x', seq % 50)) FROM seq_1_to_2000;
      CREATE VIEW notes_view AS SELECT * FROM notes;`);
    // Zero and invalid dates need a permissive sql_mode to be stored at all.
    for (const [i, [type, literal]] of REJECT_CASES.entries()) {
      await db.sql(
        `SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
         CREATE TABLE reject_${i} (id int PRIMARY KEY, v ${type});
         INSERT INTO reject_${i} VALUES (1, NULL), (7, ${literal});`,
      );
    }
  });

  afterAll(async () => {
    await db?.drop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  sourceConformance({
    create: () => connectorForUrl(db.url),
    capabilities: mysqlConnectorDefinition.capabilities,
    knownTables: { ...MYSQL_CHINOOK, notes: { primaryKey: ['id'], rows: 2000 } },
    splitTable: { name: 'notes', chunkBytes: 8 * 1024 },
  });

  it('discovers the database as the namespace, tables (not views) with keys, types and row estimates', async () => {
    const connector = connectorForUrl(`mariadb://root@127.0.0.1:3306/${db.name}`);
    const streams = await connector.discover();
    await connector.close();
    const names = streams.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining([...Object.keys(MYSQL_CHINOOK), 'notes', 'samples']));
    expect(names).not.toContain('notes_view');
    expect(new Set(streams.map((s) => s.namespace))).toEqual(new Set([db.name]));
    const invoice = streams.find((s) => s.name === 'Invoice');
    expect(invoice?.rowEstimate).toBeGreaterThan(0);
    expect(Object.fromEntries(invoice?.columns.map((c) => [c.name, c.type]) ?? [])).toMatchObject({
      InvoiceId: { kind: 'int32' },
      InvoiceDate: { kind: 'timestamp' },
      BillingCity: { kind: 'string' },
      Total: { kind: 'decimal', precision: 10, scale: 2 },
    });
    expect(invoice?.columns.find((c) => c.name === 'BillingCity')?.nullable).toBe(true);
    expect(streams.find((s) => s.name === 'PlaylistTrack')?.primaryKey).toEqual(['PlaylistId', 'TrackId']);
  });

  describe('types and values', () => {
    let samples: StreamSchema;

    beforeAll(async () => {
      const connector = connectorForUrl(db.url);
      samples = (await connector.discover()).find((s) => s.name === 'samples') as StreamSchema;
      await connector.close();
    });

    it('maps every MySQL type to its canonical type, with a note where the choice is not obvious', () => {
      const actual = Object.fromEntries(
        samples.columns
          .filter((c) => c.name !== 'id')
          .map((c) => [
            c.name,
            [
              c.type.kind === 'decimal' ? `decimal(${c.type.precision},${c.type.scale})` : c.type.kind,
              c.note !== undefined,
            ],
          ]),
      );
      const expected = Object.fromEntries(
        Object.entries(COLUMNS).map(([name, [, kind, note]]) => [name, [kind, note]]),
      );
      expect(actual).toEqual(expected);
      const note = (name: string) => samples.columns.find((c) => c.name === name)?.note;
      expect(note('c_tinyint1')).toMatch(/-128…127/);
      expect(note('c_time')).toMatch(/duration/);
      expect(note('c_dec65')).toMatch(/losslessly/);
      expect(note('c_json')).toMatch(/json_valid/);
      expect(samples.columns.find((c) => c.name === 'c_int_zf')?.sourceType).toBe('int(6) unsigned zerofill');
    });

    it('stages each value as its exact canonical text, NULL apart from empty', async () => {
      const connector = connectorForUrl(db.url);
      const chunks = await readAll(connector, fullPlan(samples, await stageDir(), 1024 * 1024));
      await connector.close();
      expect(chunks).toHaveLength(1);
      const names = samples.columns.map((c) => c.name);
      const expectedRows = [
        ...VALUE_CASES.map(([column, , text], i) => rowWith(names, i + 1, column, text)),
        rowWith(names, VALUE_CASES.length + 1),
      ];
      const staged = await readFile(chunks[0]?.path ?? '', 'utf8');
      // Compared row by row, so a failure names the case (rows may span lines).
      let offset = 0;
      expectedRows.forEach((row, i) => {
        const [column, literal] = VALUE_CASES[i] ?? ['none', 'NULL'];
        const line = encodeStageRow(row);
        expect(staged.slice(offset, offset + line.length), `${column} = ${literal}`).toBe(line);
        offset += line.length;
      });
      expect(offset).toBe(staged.length);

      // An independent CSV reader gets every field back, NULL distinct from ''.
      const instance = await DuckDBInstance.create(':memory:');
      const duckdb = await instance.connect();
      try {
        expect(await decodeStagedCsv(duckdb, [chunks[0]?.path ?? ''], names.length)).toEqual(expectedRows);
      } finally {
        duckdb.closeSync();
        instance.closeSync();
      }
    });

    it('re-prints 2000 random doubles exactly (MySQL text → the canonical float64 form)', async () => {
      const values = randomDoubles(2000);
      await db.sql(
        `CREATE TABLE doubles (id int PRIMARY KEY, v double);
         INSERT INTO doubles VALUES ${values.map((v, i) => `(${i}, ${String(v)})`).join(', ')};`,
      );
      const connector = connectorForUrl(db.url);
      const schema = (await connector.discover()).find((s) => s.name === 'doubles') as StreamSchema;
      const chunks = await readAll(connector, fullPlan(schema, await stageDir(), 1 << 30));
      await connector.close();
      const staged = await readFile(chunks[0]?.path ?? '', 'utf8');
      expect(staged).toBe(values.map((v, i) => `${i},${formatFloat64(v)}\n`).join(''));
    });
  });

  it.each(REJECT_CASES.map((c, i) => [i, ...c] as const))(
    'rejects %i: %s %s with TYPE_UNSUPPORTED naming table, column, value and key, leaving no partial chunk',
    async (i, type, _literal, printed) => {
      const connector = connectorForUrl(db.url);
      const schema = (await connector.discover()).find((s) => s.name === `reject_${i}`) as StreamSchema;
      const dir = await stageDir();
      const error = (await readAll(connector, fullPlan(schema, dir, 1024)).catch(
        (e: unknown) => e,
      )) as SluiceError;
      await connector.close();
      expect(isSluiceError(error, 'TYPE_UNSUPPORTED'), String(error)).toBe(true);
      expect(error.message).toBe(
        `${db.name}.reject_${i}.v: value ${printed} (row key id=7) cannot be carried as ${schema.columns[1]?.type.kind} (MySQL ${type.replace(' NULL', '')})`,
      );
      expect(error.hint).toMatch(/set them to NULL or a real date/);
      expect(error.sql).toMatch(/^SELECT `id`, `v` FROM/);
      expect(await readdir(dir)).toEqual([]);
    },
  );
});

/** A row of the samples table with one column set (or none). */
function rowWith(names: string[], id: number, column?: string, text?: string): (string | null)[] {
  return names.map((name) => (name === 'id' ? String(id) : name === column ? (text ?? null) : null));
}

/** Finite doubles from random bit patterns (a fixed LCG, so the sample is reproducible), both signs. */
function randomDoubles(count: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const values: number[] = [];
  let seed = 4242;
  while (values.length < count) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    view.setUint32(0, seed * 2);
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    view.setUint32(4, seed * 2 + 1);
    const value = view.getFloat64(0);
    if (Number.isFinite(value)) values.push(values.length % 2 ? -Math.abs(value) : Math.abs(value));
  }
  return values;
}
