import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnectorDefinition } from '../../src/connectors/postgres/postgres-connector.js';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { isSluiceError } from '../../src/core/errors.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SluiceError } from '../../src/core/errors.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { decodeStagedCsv, fullPlan, readAll, sourceConformance } from '../conformance/source-conformance.js';
import { CHINOOK_TABLES, loadChinook } from '../helpers/chinook.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

const up = await serviceAvailable('PostgreSQL', 5432);

/** Every mapped type, one column each. */
const SAMPLES_DDL = `
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN price AS numeric(12,2);
CREATE DOMAIN code AS varchar(8);
CREATE DOMAIN strict_code AS code NOT NULL;
CREATE DOMAIN codes AS code[];
CREATE TABLE coded (id int PRIMARY KEY, c strict_code);
CREATE TABLE samples (
  id int4 PRIMARY KEY,
  c_bool bool, c_int2 int2, c_int4 int4, c_int8 int8, c_float4 float4, c_float8 float8,
  c_numeric numeric(38,10), c_numeric_plain numeric, c_numeric_wide numeric(50,5), c_price price,
  c_text text, c_varchar varchar(20), c_bpchar char(5), c_name name, c_citext citext, c_code code,
  c_bytea bytea, c_date date, c_time time(6), c_timestamp timestamp, c_timestamptz timestamptz,
  c_uuid uuid, c_json json, c_jsonb jsonb,
  c_interval interval, c_int_array int4[], c_mood mood, c_inet inet, c_money money, c_timetz timetz,
  c_int4range int4range, c_int8range int8range, c_numrange numrange, c_tsrange tsrange,
  c_tstzrange tstzrange, c_daterange daterange, c_int4multirange int4multirange,
  c_tsvector tsvector, c_tsquery tsquery,
  c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_polygon polygon, c_circle circle,
  c_bit bit(4), c_varbit varbit, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
  c_text_array text[], c_int_matrix int4[][], c_tstz_array timestamptz[], c_mood_array mood[],
  c_codes codes, c_xml xml
);`;

/** Canonical type each samples column must be discovered as (and whether a note explains it). */
const EXPECTED_TYPES: Record<string, [string, boolean]> = {
  id: ['int32', false],
  c_bool: ['boolean', false],
  c_int2: ['int32', false],
  c_int4: ['int32', false],
  c_int8: ['int64', false],
  c_float4: ['float32', false],
  c_float8: ['float64', false],
  c_numeric: ['decimal(38,10)', false],
  c_numeric_plain: ['string', true],
  c_numeric_wide: ['string', true],
  c_price: ['decimal(12,2)', true],
  c_text: ['string', false],
  c_varchar: ['string', false],
  c_bpchar: ['string', false],
  c_name: ['string', false],
  c_citext: ['string', false],
  c_code: ['string', true],
  c_bytea: ['binary', false],
  c_date: ['date', false],
  c_time: ['time', false],
  c_timestamp: ['timestamp', false],
  c_timestamptz: ['timestamptz', false],
  c_uuid: ['uuid', false],
  c_json: ['json', false],
  c_jsonb: ['json', false],
  c_interval: ['string', true],
  c_int_array: ['string', true],
  c_mood: ['string', true],
  c_inet: ['string', true],
  c_money: ['string', true],
  c_timetz: ['string', true],
  c_int4range: ['string', true],
  c_int8range: ['string', true],
  c_numrange: ['string', true],
  c_tsrange: ['string', true],
  c_tstzrange: ['string', true],
  c_daterange: ['string', true],
  c_int4multirange: ['string', true],
  c_tsvector: ['string', true],
  c_tsquery: ['string', true],
  c_point: ['string', true],
  c_line: ['string', true],
  c_lseg: ['string', true],
  c_box: ['string', true],
  c_path: ['string', true],
  c_polygon: ['string', true],
  c_circle: ['string', true],
  c_bit: ['string', true],
  c_varbit: ['string', true],
  c_cidr: ['string', true],
  c_macaddr: ['string', true],
  c_macaddr8: ['string', true],
  c_text_array: ['string', true],
  c_int_matrix: ['string', true],
  c_tstz_array: ['string', true],
  c_mood_array: ['string', true],
  c_codes: ['string', true],
  c_xml: ['string', true],
};

/** [column, SQL literal, canonical text expected in the stage file]. One row per case. */
const VALUE_CASES: [string, string, string][] = [
  ['c_bool', 'true', 't'],
  ['c_bool', 'false', 'f'],
  ['c_int2', '-32768', '-32768'],
  ['c_int4', '2147483647', '2147483647'],
  ['c_int8', '-9223372036854775808', '-9223372036854775808'],
  ['c_int8', '9223372036854775807', '9223372036854775807'],
  ['c_float4', "'NaN'", 'NaN'],
  ['c_float4', '0.1', '0.1'],
  ['c_float4', '3.4028235e38', '3.4028235e+38'],
  ['c_float4', "'-0'", '-0'],
  ['c_float8', '0.1', '0.1'],
  ['c_float8', "'Infinity'", 'Infinity'],
  ['c_float8', "'-Infinity'", '-Infinity'],
  ['c_float8', "'NaN'", 'NaN'],
  ['c_float8', '1e15', '1e+15'],
  ['c_float8', '123456789012345', '123456789012345'],
  ['c_float8', '1.5e-5', '1.5e-05'],
  ['c_float8', '5e-324', '5e-324'],
  ['c_float8', '1.7976931348623157e308', '1.7976931348623157e+308'],
  ['c_float8', "'-0'", '-0'],
  ['c_numeric', '9999999999999999999999999999.9999999999', '9999999999999999999999999999.9999999999'],
  ['c_numeric', '-0.5', '-0.5000000000'],
  ['c_numeric', '0', '0.0000000000'],
  ['c_numeric_plain', '123.4500', '123.4500'],
  ['c_numeric_plain', "'NaN'", 'NaN'],
  ['c_numeric_plain', "'Infinity'", 'Infinity'],
  ['c_numeric_plain', '1e60', '1' + '0'.repeat(60)],
  [
    'c_numeric_wide',
    '123456789012345678901234567890123456789012344.56789',
    '123456789012345678901234567890123456789012344.56789',
  ],
  ['c_price', '12.5', '12.50'],
  ['c_text', "''", ''],
  ['c_text', `'say "hi"'`, 'say "hi"'],
  ['c_text', "'a,b'", 'a,b'],
  ['c_text', "E'line1\\nline2\\n'", 'line1\nline2\n'],
  ['c_text', "E'cr\\rlf\\r\\n'", 'cr\rlf\r\n'],
  ['c_text', "'Grüße 日本 🎉'", 'Grüße 日本 🎉'],
  ['c_text', "' padded '", ' padded '],
  ['c_text', "'NULL'", 'NULL'],
  ['c_text', "'\\N'", '\\N'],
  ['c_varchar', `'","'`, '","'],
  ['c_bpchar', "'ab'", 'ab   '],
  ['c_name', "'pg_name'", 'pg_name'],
  ['c_citext', "'MiXeD'", 'MiXeD'],
  ['c_code', "'abc'", 'abc'],
  ['c_bytea', "'\\x'", '\\x'],
  ['c_bytea', "'\\x00ff10'", '\\x00ff10'],
  ['c_bytea', "'a,\"b'::bytea", '\\x612c2262'],
  ['c_date', "'1969-12-31'", '1969-12-31'],
  ['c_date', "'0001-01-01'", '0001-01-01'],
  ['c_date', "'9999-12-31'", '9999-12-31'],
  ['c_date', "'2024-02-29'", '2024-02-29'],
  ['c_time', "'00:00:00'", '00:00:00'],
  ['c_time', "'23:59:59.999999'", '23:59:59.999999'],
  ['c_time', "'12:30:00.500'", '12:30:00.5'],
  ['c_timestamp', "'1900-01-01 00:00:00'", '1900-01-01 00:00:00'],
  ['c_timestamp', "'1969-12-31 23:59:59.999999'", '1969-12-31 23:59:59.999999'],
  ['c_timestamp', "'0001-01-01 00:00:00'", '0001-01-01 00:00:00'],
  ['c_timestamp', "'9999-12-31 23:59:59.999999'", '9999-12-31 23:59:59.999999'],
  ['c_timestamp', "'20000-01-01 00:00:00'", '20000-01-01 00:00:00'],
  ['c_timestamptz', "'2024-06-01 12:00:00+02'", '2024-06-01 10:00:00+00'],
  ['c_timestamptz', "'1850-06-01 00:00:00 Europe/Berlin'", '1850-05-31 23:06:32+00'],
  ['c_timestamptz', "'1969-12-31 23:59:59.5+00'", '1969-12-31 23:59:59.5+00'],
  ['c_uuid', "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['c_json', `'{"b": 1,  "a": [1, "x,y"]}'`, '{"b": 1,  "a": [1, "x,y"]}'],
  ['c_jsonb', `'{"b": 1,  "a": "q\\"uote"}'`, '{"a": "q\\"uote", "b": 1}'],
  ['c_interval', "'1 year 2 mons 3 days 04:05:06.7'", '1 year 2 mons 3 days 04:05:06.7'],
  ['c_int_array', "'{1,2,NULL}'", '{1,2,NULL}'],
  ['c_mood', "'happy'", 'happy'],
  ['c_inet', "'192.168.0.1/24'", '192.168.0.1/24'],
  ['c_money', '12.34', '$12.34'],
  ['c_timetz', "'12:00:00+02'", '12:00:00+02'],
  // The edges of the types carried as PostgreSQL's own text (postgres-types.ts), value by value.
  ['c_numeric_plain', "'-Infinity'", '-Infinity'],
  ['c_numeric_plain', '10::numeric ^ 130 + 0.000001', '1' + '0'.repeat(130) + '.0000010000000000'],
  ['c_timestamptz', "'1969-07-20 20:17:40.5+00'", '1969-07-20 20:17:40.5+00'],
  ['c_timestamptz', "'0001-01-01 00:00:00+00'", '0001-01-01 00:00:00+00'],
  ['c_timestamptz', "'99999-12-31 23:59:59.999999+00'", '99999-12-31 23:59:59.999999+00'],
  ['c_timestamptz', "'294247-01-10 04:00:54.775806+00'", '294247-01-10 04:00:54.775806+00'],
  ['c_interval', "'-1 year -2 mons +3 days -04:05:06.000001'", '-1 years -2 mons +3 days -04:05:06.000001'],
  ['c_interval', "'1000000 hours'", '1000000:00:00'],
  ['c_interval', "'0'", '00:00:00'],
  ['c_timetz', "'23:59:59.999999-14:59'", '23:59:59.999999-14:59'],
  ['c_timetz', "'00:00:00+00'", '00:00:00+00'],
  ['c_money', '-92233720368547758.08', '-$92,233,720,368,547,758.08'],
  ['c_money', '92233720368547758.07', '$92,233,720,368,547,758.07'],
  ['c_inet', "'10.0.0.1'", '10.0.0.1'],
  ['c_inet', "'2001:db8::1/64'", '2001:db8::1/64'],
  ['c_cidr', "'10.0.0.0/8'", '10.0.0.0/8'],
  ['c_cidr', "'2001:db8::/32'", '2001:db8::/32'],
  ['c_macaddr', "'08-00-2B-01-02-03'", '08:00:2b:01:02:03'],
  ['c_macaddr8', "'08:00:2b:01:02:03:04:05'", '08:00:2b:01:02:03:04:05'],
  ['c_macaddr8', "'08:00:2b:01:02:03'", '08:00:2b:ff:fe:01:02:03'],
  ['c_int4range', "'[1,10)'", '[1,10)'],
  ['c_int4range', "'(1,10]'", '[2,11)'],
  ['c_int4range', "'empty'", 'empty'],
  ['c_int4range', "'[5,)'", '[5,)'],
  ['c_int4range', "'(,)'", '(,)'],
  [
    'c_int8range',
    "'[-9223372036854775808,9223372036854775807)'",
    '[-9223372036854775808,9223372036854775807)',
  ],
  ['c_numrange', "'[1.50,2.250]'", '[1.50,2.250]'],
  ['c_numrange', "'(,0)'", '(,0)'],
  [
    'c_tsrange',
    `'["2024-01-01 00:00","2024-12-31 23:59:59.5")'`,
    '["2024-01-01 00:00:00","2024-12-31 23:59:59.5")',
  ],
  ['c_tstzrange', `'["2024-01-01 00:00+02",infinity)'`, '["2023-12-31 22:00:00+00",infinity)'],
  ['c_tstzrange', "'empty'", 'empty'],
  ['c_daterange', "'[2024-01-01,2024-01-31]'", '[2024-01-01,2024-02-01)'],
  ['c_daterange', "'[-infinity,2024-01-01)'", '[-infinity,2024-01-01)'],
  ['c_int4multirange', "'{[1,3),[5,7),[7,9)}'", '{[1,3),[5,9)}'],
  ['c_int4multirange', "'{}'", '{}'],
  ['c_tsvector', `$$'fat':2 'rat':3 'a quote''s':1A$$`, "'a quote''s':1A 'fat':2 'rat':3"],
  ['c_tsvector', "''", ''],
  ['c_tsquery', "'fat & (rat | !cat)'", "'fat' & ( 'rat' | !'cat' )"],
  ['c_point', "'(1.5,-2)'", '(1.5,-2)'],
  ['c_point', "'(0.1,1e300)'", '(0.1,1e+300)'],
  ['c_line', "'{1,-1,0}'", '{1,-1,0}'],
  ['c_lseg', "'[(0,0),(1,1)]'", '[(0,0),(1,1)]'],
  ['c_box', "'((0,0),(1,1))'", '(1,1),(0,0)'],
  ['c_path', "'[(0,0),(1,1),(2,0)]'", '[(0,0),(1,1),(2,0)]'],
  ['c_path', "'((0,0),(1,1))'", '((0,0),(1,1))'],
  ['c_polygon', "'((0,0),(1,1),(1,0))'", '((0,0),(1,1),(1,0))'],
  ['c_circle', "'<(0,0),2.5>'", '<(0,0),2.5>'],
  ['c_bit', "B'1010'", '1010'],
  ['c_varbit', "B''", ''],
  ['c_varbit', "B'110010101'", '110010101'],
  ['c_int_array', "'{}'", '{}'],
  ['c_int_array', "'[0:1]={7,8}'", '[0:1]={7,8}'],
  ['c_int_array', "'{NULL,NULL}'", '{NULL,NULL}'],
  ['c_int_matrix', "'{{1,2},{3,NULL}}'", '{{1,2},{3,NULL}}'],
  [
    'c_text_array',
    `ARRAY['a,b', 'say "hi"', NULL, '', 'NULL', E'back\\\\slash', E'two\nlines']`,
    '{"a,b","say \\"hi\\"",NULL,"","NULL","back\\\\slash","two\nlines"}',
  ],
  [
    'c_tstz_array',
    "ARRAY['2024-01-01 10:00+02'::timestamptz, 'infinity']",
    '{"2024-01-01 08:00:00+00",infinity}',
  ],
  ['c_mood_array', "'{happy,sad,NULL}'", '{happy,sad,NULL}'],
  ['c_codes', '\'{ab,"c d"}\'', '{ab,"c d"}'],
  ['c_xml', `'<a b="1">x &amp; y</a>'`, '<a b="1">x &amp; y</a>'],
];

/** Tables holding one value the canonical type cannot carry: [type, literal, printed value]. */
const REJECT_CASES: [string, string, string][] = [
  ['timestamp', "'infinity'", 'infinity'],
  ['timestamp', "'4713-01-01 00:00:00 BC'", '4713-01-01 00:00:00 BC'],
  ['timestamptz', "'-infinity'", '-infinity'],
  ['timestamptz', "'infinity'", 'infinity'],
  ['timestamp', "'-infinity'", '-infinity'],
  ['timestamptz', "'0001-12-31 23:59:59+00 BC'", '0001-12-31 23:59:59+00 BC'],
  ['numeric(38,0)', "'NaN'", 'NaN'],
  ['timestamptz', "'294276-12-31 23:59:59+00'", '294276-12-31 23:59:59+00'],
  ['timestamp', "'294247-01-10 04:00:54.775807'", '294247-01-10 04:00:54.775807'],
  ['date', "'infinity'", 'infinity'],
  ['date', "'0044-03-15 BC'", '0044-03-15 BC'],
  ['numeric(10,2)', "'NaN'", 'NaN'],
  ['time', "'24:00:00'", '24:00:00'],
];

describe.skipIf(!up)('PostgreSQL source', () => {
  let db: TestDatabase;
  let stageRoot: string;
  const stageDir = () => mkdtemp(path.join(stageRoot, 's-'));

  beforeAll(async () => {
    db = await createTestDatabase('connectors_postgres');
    stageRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-pg-test-'));
    await loadChinook(db);
    await db.sql(SAMPLES_DDL);
    const inserts = VALUE_CASES.map(
      ([column, literal], i) => `INSERT INTO samples (id, ${column}) VALUES (${i + 1}, ${literal});`,
    );
    await db.sql(inserts.join('\n') + `\nINSERT INTO samples (id) VALUES (${VALUE_CASES.length + 1});`);
    // Text with quotes, commas and newlines, so chunk splitting meets multi-line rows.
    await db.sql(`CREATE TABLE notes (id int PRIMARY KEY, body text);
      INSERT INTO notes SELECT g, 'note ' || g || E'\n"quoted", line\n' || repeat('x', g % 50) FROM generate_series(1, 2000) g;`);
    await db.sql(`CREATE TABLE events (id int, region text, PRIMARY KEY (region, id)) PARTITION BY LIST (region);
      CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
      CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
      INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 10) g;
      CREATE VIEW notes_view AS SELECT * FROM notes;`);
    for (const [i, [type, literal]] of REJECT_CASES.entries()) {
      await db.sql(
        `CREATE TABLE reject_${i} (id int PRIMARY KEY, v ${type}); INSERT INTO reject_${i} VALUES (1, NULL), (7, ${literal});`,
      );
    }
  });

  afterAll(async () => {
    await db?.drop();
    if (stageRoot) await rm(stageRoot, { recursive: true, force: true });
  });

  sourceConformance({
    create: () => connectorForUrl(db.url),
    capabilities: postgresConnectorDefinition.capabilities,
    knownTables: { ...CHINOOK_TABLES, notes: { primaryKey: ['id'], rows: 2000 } },
    splitTable: { name: 'notes', chunkBytes: 8 * 1024 },
  });

  describe('types and values', () => {
    let samples: StreamSchema;
    let coded: StreamSchema;
    const connector = () => connectorForUrl(db.url);

    beforeAll(async () => {
      const c = connector();
      const streams = await c.discover();
      samples = streams.find((s) => s.name === 'samples') as StreamSchema;
      coded = streams.find((s) => s.name === 'coded') as StreamSchema;
      await c.close();
    });

    it('maps every native type to its canonical type, with a note for fallbacks and domains', () => {
      const actual = Object.fromEntries(
        samples.columns.map((c) => [
          c.name,
          [
            c.type.kind === 'decimal' ? `decimal(${c.type.precision},${c.type.scale})` : c.type.kind,
            c.note !== undefined,
          ],
        ]),
      );
      expect(actual).toEqual(EXPECTED_TYPES);
      const byName = (name: string) => samples.columns.find((c) => c.name === name);
      expect(byName('c_numeric_plain')?.note).toMatch(/lossless/);
      expect(byName('c_price')?.note).toMatch(/domain price/);
      expect(byName('c_price')?.sourceType).toBe('price');
      expect(coded.columns[1]).toMatchObject({
        type: { kind: 'string' },
        nullable: false,
        sourceType: 'strict_code',
      });
      expect(coded.columns[1]?.note).toBe('domain strict_code → code over varchar');
      expect(byName('id')?.nullable).toBe(false);
      expect(byName('c_text')?.nullable).toBe(true);
      expect(samples.primaryKey).toEqual(['id']);
    });

    it('stages each value as its canonical text, NULL apart from empty, in the stage CSV dialect', async () => {
      const c = connector();
      const chunks = await readAll(c, fullPlan(samples, await stageDir(), 1024 * 1024));
      await c.close();
      expect(chunks).toHaveLength(1);
      const names = samples.columns.map((col) => col.name);
      const expectedRows = [
        ...VALUE_CASES.map(([column, , text], i) => rowWith(names, i + 1, column, text)),
        rowWith(names, VALUE_CASES.length + 1),
      ];
      const staged = await readFile(chunks[0]?.path ?? '', 'utf8');
      // Text comparison per row (the table was filled in id order, and COPY returns heap order).
      const expectedLines = expectedRows.map((row) => encodeStageRow(row));
      expect(staged).toBe(expectedLines.join(''));
      expect(chunks[0]?.rows).toBe(expectedRows.length);
      expect(chunks[0]?.bytes).toBe(Buffer.byteLength(staged));

      // An independent CSV reader gets every field back, NULL distinct from ''.
      const instance = await DuckDBInstance.create(':memory:');
      const duckdb = await instance.connect();
      try {
        const decoded = await decodeStagedCsv(duckdb, [chunks[0]?.path ?? ''], names.length);
        expect(decoded).toEqual(expectedRows);
      } finally {
        duckdb.closeSync();
        instance.closeSync();
      }
    });

    it('carries every text-fallback value into the lake exactly as PostgreSQL printed it', async () => {
      const lake = path.join(await stageDir(), 'lake');
      const report = await runSync({
        from: db.url,
        to: `lake:${lake}`,
        tables: ['samples'],
        retry: { attempts: 1 },
      });
      expect(report.status, JSON.stringify(report.streams)).toBe('succeeded');
      const { columns, rows } = await queryLake(lake, 'SELECT * FROM public.samples ORDER BY id');
      const stringColumns = new Set(
        samples.columns.filter((c) => c.type.kind === 'string').map((c) => c.name),
      );
      const cases = VALUE_CASES.map(([column, , text], i) => [i + 1, column, text] as const).filter(
        ([, column]) => stringColumns.has(column),
      );
      expect(cases.length).toBeGreaterThan(60);
      for (const [id, column, text] of cases) {
        const row = rows[id - 1];
        expect([id, column, row?.[columns.indexOf(column)]]).toEqual([id, column, text]);
        // Every other column of the row is NULL.
        expect(row?.filter((value) => value !== null)).toHaveLength(2);
      }
    });

    it('discovers a partitioned table once (not its partitions, not views) and reads all its rows', async () => {
      const c = connector();
      const streams = await c.discover();
      const names = streams.map((s) => s.name);
      expect(names).toContain('events');
      expect(names).not.toContain('events_eu');
      expect(names).not.toContain('notes_view');
      const events = streams.find((s) => s.name === 'events') as StreamSchema;
      expect(events.primaryKey).toEqual(['region', 'id']);
      const chunks = await readAll(c, fullPlan(events, await stageDir(), 1024));
      await c.close();
      expect(chunks.reduce((sum, chunk) => sum + chunk.rows, 0)).toBe(10);
    });

    it.each(REJECT_CASES.map((c, i) => [i, ...c] as const))(
      'rejects %i: %s %s with TYPE_UNSUPPORTED naming table, column, value and key, leaving no partial chunk',
      async (i, _type, _literal, printed) => {
        const c = connector();
        const schema = (await c.discover()).find((s) => s.name === `reject_${i}`) as StreamSchema;
        const dir = await stageDir();
        const error = (await readAll(c, fullPlan(schema, dir, 1024)).catch((e: unknown) => e)) as SluiceError;
        await c.close();
        expect(isSluiceError(error, 'TYPE_UNSUPPORTED'), String(error)).toBe(true);
        expect(error.message).toContain(`public.reject_${i}.v`);
        expect(error.message).toContain(`value ${printed} (row key (7))`);
        expect(error.hint).toBeTruthy();
        expect(error.sql).toMatch(/^COPY/);
        expect(await readdir(dir)).toEqual([]);
      },
    );
  });

  describe('connection problems', () => {
    const checkError = async (url: string) => {
      const c = connectorForUrl(url);
      try {
        return (await c.check().then(
          () => undefined,
          (e: unknown) => e,
        )) as SluiceError;
      } finally {
        await c.close();
      }
    };

    it('a closed port is SOURCE_CONNECT "cannot reach host:port", retryable, without the password', async () => {
      const error = await checkError('postgres://postgres:Secret-Pw-1@127.0.0.1:1/postgres');
      expect(isSluiceError(error, 'SOURCE_CONNECT')).toBe(true);
      expect(error.message).toContain('cannot reach PostgreSQL at 127.0.0.1:1');
      expect(error.retryable).toBe(true);
      expect(error.hint).toMatch(/host and port/);
      expect(`${error.message} ${error.hint}`).not.toContain('Secret-Pw-1');
    });

    it('an unknown host is SOURCE_CONNECT naming the host', async () => {
      const error = await checkError('postgres://postgres@sluice-no-such-host.invalid:5432/postgres');
      expect(isSluiceError(error, 'SOURCE_CONNECT')).toBe(true);
      expect(error.message).toContain('sluice-no-such-host.invalid:5432');
    });

    it('an unknown role (28000) is SOURCE_CONNECT with a credentials hint', async () => {
      const error = await checkError(`postgres://sluice_no_such_role:Secret-Pw-2@127.0.0.1:5432/${db.name}`);
      expect(isSluiceError(error, 'SOURCE_CONNECT')).toBe(true);
      expect(error.message).toContain('refused user "sluice_no_such_role"');
      expect(error.hint).toMatch(/user name/);
      expect(`${error.message} ${error.hint}`).not.toContain('Secret-Pw-2');
    });

    it('a missing database (3D000) is SOURCE_NOT_FOUND naming it', async () => {
      const error = await checkError('postgres://postgres:Secret-Pw-3@127.0.0.1:5432/sluice_no_such_db');
      expect(isSluiceError(error, 'SOURCE_NOT_FOUND')).toBe(true);
      expect(error.message).toContain('database "sluice_no_such_db" does not exist');
      expect(`${error.message} ${error.hint}`).not.toContain('Secret-Pw-3');
    });

    it('a missing schema is SOURCE_NOT_FOUND from check() and discover()', async () => {
      const url = `${db.url}?schema=sluice_no_such_schema`;
      expect((await checkError(url)).code).toBe('SOURCE_NOT_FOUND');
      const c = connectorForUrl(url);
      await expect(c.discover()).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
      await c.close();
    });

    it('check() honours an abort signal', async () => {
      const c = connectorForUrl(db.url);
      const error = (await c.check(AbortSignal.abort()).catch((e: unknown) => e)) as SluiceError;
      expect(isSluiceError(error, 'SOURCE_CONNECT')).toBe(true);
      expect(error.message).toMatch(/cancelled/);
      await c.close();
    });
  });

  it('a closed connector refuses further work with a usage error', async () => {
    const c = connectorForUrl(db.url);
    await c.close();
    await expect(c.check()).rejects.toMatchObject({ code: 'USAGE' });
  });
});

/** A row of the samples table with one column set (or none). */
function rowWith(names: string[], id: number, column?: string, text?: string): (string | null)[] {
  return names.map((name) => (name === 'id' ? String(id) : name === column ? (text ?? null) : null));
}
