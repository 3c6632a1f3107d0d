import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorForUrl } from '../../src/connectors/registry.js';
import { sqliteConnectorDefinition } from '../../src/connectors/sqlite/sqlite-connector.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { SluiceError } from '../../src/core/errors.js';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { encodeStageRow } from '../../src/core/stage-csv.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { fullPlan, readAll, sourceConformance } from '../conformance/source-conformance.js';
import { CHINOOK_SQLITE, CHINOOK_TABLES, chinookSqliteName } from '../helpers/chinook.js';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** Chinook's tables under their SQLite names, keys included. */
const SQLITE_CHINOOK = Object.fromEntries(
  Object.entries(CHINOOK_TABLES).map(([name, table]) => [
    chinookSqliteName(name),
    { primaryKey: table.primaryKey.map(chinookSqliteName), rows: table.rows },
  ]),
);

describe('SQLite source on Chinook (read-only)', () => {
  let before: string;
  beforeAll(async () => {
    before = await sha256(CHINOOK_SQLITE);
  });
  afterAll(async () => {
    expect(await sha256(CHINOOK_SQLITE)).toBe(before);
  });

  sourceConformance({
    create: () => connectorForUrl(`sqlite:${CHINOOK_SQLITE}`),
    capabilities: sqliteConnectorDefinition.capabilities,
    knownTables: SQLITE_CHINOOK,
    splitTable: { name: 'Track', chunkBytes: 32 * 1024 },
  });

  it('discovers exactly the 11 tables, in namespace main, with canonical types', async () => {
    const connector = connectorForUrl(`sqlite:${CHINOOK_SQLITE}`);
    const streams = await connector.discover();
    await connector.close();
    expect(streams.map((s) => s.name).sort()).toEqual(Object.keys(SQLITE_CHINOOK).sort());
    expect(new Set(streams.map((s) => s.namespace))).toEqual(new Set(['main']));
    const invoice = streams.find((s) => s.name === 'Invoice');
    const types = Object.fromEntries(invoice?.columns.map((c) => [c.name, c.type]) ?? []);
    expect(types).toMatchObject({
      InvoiceId: { kind: 'int64' },
      InvoiceDate: { kind: 'timestamp' },
      BillingCity: { kind: 'string' },
      Total: { kind: 'decimal', precision: 10, scale: 2 },
    });
    expect(invoice?.columns.find((c) => c.name === 'InvoiceDate')?.nullable).toBe(false);
    expect(invoice?.columns.find((c) => c.name === 'BillingCity')?.nullable).toBe(true);
  });
});

/** Columns of the typed test table: every mapping the SQLite source makes. */
const TYPED_DDL = `CREATE TABLE typed (
  id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, d NUMERIC(10,2), b BOOLEAN, dt DATETIME, day DATE,
  t TIME, bl BLOB, s VARCHAR(20), n NUMERIC, u
)`;

/** [column, SQL literal, canonical text]. One row per case, other columns NULL. */
const GOOD_VALUES: [string, string, string][] = [
  ['i', '9007199254740993', '9007199254740993'],
  ['i', '-9223372036854775808', '-9223372036854775808'],
  ['r', '0.1', '0.1'],
  ['r', '1e15', '1e+15'],
  ['r', '1.5e-5', '1.5e-05'],
  ['r', '1e999', 'Infinity'],
  ['r', '3', '3'],
  ['d', '0.99', '0.99'],
  ['d', '5', '5.00'],
  ['d', '12345678.9', '12345678.90'],
  ['d', '-0.5', '-0.50'],
  ['b', '1', 't'],
  ['b', '0', 'f'],
  ['dt', "'2021-01-01 00:00:00'", '2021-01-01 00:00:00'],
  ['dt', "'2021-01-01T12:30'", '2021-01-01 12:30:00'],
  ['dt', "'2021-01-01'", '2021-01-01 00:00:00'],
  ['dt', "'1969-07-20 20:17:40.120'", '1969-07-20 20:17:40.12'],
  ['day', "'2024-02-29'", '2024-02-29'],
  ['t', "'23:59:59.999999'", '23:59:59.999999'],
  ['bl', "x'00ff10'", '\\x00ff10'],
  ['bl', "x''", '\\x'],
  ['s', "''", ''],
  ['s', `'say "hi", then' || char(10) || 'go'`, 'say "hi", then\ngo'],
  ['s', "'Grüße 日本 🎉'", 'Grüße 日本 🎉'],
  ['n', '12', '12'],
  ['n', '1.5', '1.5'],
  ['n', "'abc'", 'abc'],
  ['u', '5', '5'],
  ['u', "'text'", 'text'],
];

/** [declared type, stored literal, expected message fragment]. */
const BAD_VALUES: [string, string, string][] = [
  ['INTEGER', "'abc'", 'stored text "abc" does not fit int64'],
  ['INTEGER', '1.5', 'stored real 1.5 does not fit int64'],
  ['NUMERIC(10,2)', '0.995', 'stored real 0.995 does not fit decimal(10,2)'],
  ['NUMERIC(10,2)', '123456789.5', 'stored real 123456789.5 does not fit decimal(10,2)'],
  ['DECIMAL(4,0)', '12345', 'stored integer 12345 does not fit decimal(4,0)'],
  ['NUMERIC(10,2)', "'n/a'", 'stored text "n/a" does not fit decimal(10,2)'],
  ['BOOLEAN', '2', 'stored integer 2 does not fit boolean'],
  ['BOOLEAN', "'yes'", 'stored text "yes" does not fit boolean'],
  ['DATETIME', "'2021-02-30 00:00:00'", 'stored text "2021-02-30 00:00:00" does not fit timestamp'],
  ['DATETIME', "'2021-01-01 00:00:00+02:00'", 'does not fit timestamp'],
  ['DATETIME', '1700000000', 'stored integer 1700000000 does not fit timestamp'],
  ['DATE', "'2021-1-1'", 'stored text "2021-1-1" does not fit date'],
  ['DATE', "'0000-01-01'", 'does not fit date'],
  ['TIME', "'25:00'", 'stored text "25:00" does not fit time'],
  ['REAL', "'fast'", 'stored text "fast" does not fit float64'],
  ['BLOB', "'text'", 'stored text "text" does not fit binary'],
  ['TEXT', "x'00'", 'stored blob (1 bytes) does not fit string'],
  ['', "x'00'", 'stored blob (1 bytes) does not fit string'],
];

describe('SQLite source on a file with typed and mistyped values', () => {
  let dir: string;
  let file: string;
  let typed: StreamSchema;
  let streams: StreamSchema[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sqlite-test-'));
    file = path.join(dir, 'typed.db');
    const db = new (nodeSqlite().DatabaseSync)(file);
    db.exec(TYPED_DDL);
    for (const [i, [column, literal]] of GOOD_VALUES.entries()) {
      db.exec(`INSERT INTO typed (id, ${column}) VALUES (${i + 1}, ${literal})`);
    }
    db.exec(`INSERT INTO typed (id) VALUES (${GOOD_VALUES.length + 1})`);
    for (const [i, [type, literal]] of BAD_VALUES.entries()) {
      db.exec(
        `CREATE TABLE bad_${i} (id INTEGER PRIMARY KEY, v ${type}); INSERT INTO bad_${i} VALUES (1, NULL), (42, ${literal});`,
      );
    }
    db.exec(`CREATE TABLE keyless (v INTEGER); INSERT INTO keyless VALUES (1), ('two');`);
    db.close();
    const connector = connectorForUrl(`sqlite:${file}`);
    streams = await connector.discover();
    typed = streams.find((s) => s.name === 'typed') as StreamSchema;
    await connector.close();
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('maps declared types by affinity, with notes on text fallbacks', () => {
    const summary = Object.fromEntries(typed.columns.map((c) => [c.name, [c.type, c.note !== undefined]]));
    expect(summary).toEqual({
      id: [{ kind: 'int64' }, false],
      i: [{ kind: 'int64' }, false],
      r: [{ kind: 'float64' }, false],
      d: [{ kind: 'decimal', precision: 10, scale: 2 }, false],
      b: [{ kind: 'boolean' }, false],
      dt: [{ kind: 'timestamp' }, false],
      day: [{ kind: 'date' }, false],
      t: [{ kind: 'time' }, false],
      bl: [{ kind: 'binary' }, false],
      s: [{ kind: 'string' }, false],
      n: [{ kind: 'string' }, true],
      u: [{ kind: 'string' }, true],
    });
    expect(typed.columns[0]?.nullable).toBe(false);
    expect(typed.primaryKey).toEqual(['id']);
  });

  it('stages every stored value as canonical text, exactly (int64 beyond 2^53 included)', async () => {
    const connector = connectorForUrl(`sqlite:${file}`);
    const stage = await mkdtemp(path.join(dir, 'stage-'));
    const chunks = await readAll(connector, fullPlan(typed, stage, 1024 * 1024));
    await connector.close();
    const names = typed.columns.map((c) => c.name);
    const row = (id: number, column?: string, text?: string) =>
      names.map((name) => (name === 'id' ? String(id) : name === column ? (text ?? null) : null));
    const expected = [
      ...GOOD_VALUES.map(([column, , text], i) => row(i + 1, column, text)),
      row(GOOD_VALUES.length + 1),
    ];
    expect(chunks).toHaveLength(1);
    expect(await readFile(chunks[0]?.path ?? '', 'utf8')).toBe(
      expected.map((r) => encodeStageRow(r)).join(''),
    );
  });

  it.each(BAD_VALUES.map((c, i) => [i, ...c] as const))(
    'rejects bad_%i (%s holding %s) with TYPE_UNSUPPORTED naming table, column, key and storage class',
    async (i, _type, _literal, fragment) => {
      const connector = connectorForUrl(`sqlite:${file}`);
      const schema = streams.find((s) => s.name === `bad_${i}`) as StreamSchema;
      const stage = await mkdtemp(path.join(dir, 'stage-'));
      const error = (await readAll(connector, fullPlan(schema, stage, 1024)).catch(
        (e: unknown) => e,
      )) as SluiceError;
      await connector.close();
      expect(isSluiceError(error, 'TYPE_UNSUPPORTED'), String(error)).toBe(true);
      expect(error.message).toContain(`main.bad_${i}.v (id=42): `);
      expect(error.message).toContain(fragment);
      expect(error.hint).toMatch(/does not enforce declared types/);
      expect(await readdir(stage)).toEqual([]);
    },
  );

  it('names the row by position when the table has no key', async () => {
    const connector = connectorForUrl(`sqlite:${file}`);
    const schema = streams.find((s) => s.name === 'keyless') as StreamSchema;
    const error = await readAll(
      connector,
      fullPlan(schema, await mkdtemp(path.join(dir, 'stage-')), 1024),
    ).catch((e: unknown) => e);
    await connector.close();
    expect((error as Error).message).toContain(
      'main.keyless.v (row 2): stored text "two" does not fit int64',
    );
  });
});

describe('SQLite source problems', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sqlite-bad-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const checkError = async (url: string) => {
    const connector = connectorForUrl(url);
    const error = (await connector.check().catch((e: unknown) => e)) as SluiceError;
    await connector.close();
    return error;
  };

  it('a missing file is SOURCE_NOT_FOUND with a hint, and is not created', async () => {
    const missing = path.join(dir, 'missing.db');
    const error = await checkError(`sqlite:${missing}`);
    expect(isSluiceError(error, 'SOURCE_NOT_FOUND')).toBe(true);
    expect(error.message).toContain(missing);
    expect(error.hint).toMatch(/path after sqlite:/);
    expect(await readdir(dir)).not.toContain('missing.db');
  });

  it('a relative path resolves against the current directory', async () => {
    const error = await checkError('sqlite:sluice-no-such-dir/x.db');
    expect(error.message).toContain(path.join(process.cwd(), 'sluice-no-such-dir', 'x.db'));
  });

  it('a directory is SOURCE_NOT_FOUND', async () => {
    await mkdir(path.join(dir, 'adir'));
    expect((await checkError(`sqlite:${path.join(dir, 'adir')}`)).code).toBe('SOURCE_NOT_FOUND');
  });

  it('a file that is not a database is SOURCE_CONNECT', async () => {
    const junk = path.join(dir, 'junk.db');
    await writeFile(junk, 'this is not a sqlite database, just some text '.repeat(20));
    const error = await checkError(`sqlite:${junk}`);
    expect(isSluiceError(error, 'SOURCE_CONNECT')).toBe(true);
    expect(error.message).toContain('is not a SQLite database');
  });

  it('a closed connector refuses further work with a usage error', async () => {
    const connector = connectorForUrl(`sqlite:${CHINOOK_SQLITE}`);
    await connector.close();
    await expect(connector.discover()).rejects.toMatchObject({ code: 'USAGE' });
  });
});
