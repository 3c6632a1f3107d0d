/**
 * Schema policies on real tables, read back with icebird and DuckDB: `evolve` adds columns (new
 * field ids, old ones kept) and widens int→long, float→double and decimal precision, with old
 * files still read correctly; a narrowing or incompatible change fails naming the column and both
 * types and leaves the table at its last snapshot; `freeze` refuses any difference;
 * `discard_columns` drops new columns and leaves missing ones NULL.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import { isSluiceError } from '../../src/core/errors.js';
import type { DestinationStream } from '../../src/destinations/destination.js';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { installFileUrlFetch } from './file-url-fetch.js';
import type { StagedRows } from './stream-writes.js';
import { writeStream } from './stream-writes.js';
import { column as col } from './lake-fixtures.js';

let root: string;
let destination: LakeDestination;
let removeFetchShim: () => void;

beforeAll(async () => {
  removeFetchShim = installFileUrlFetch();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-evolution-'));
  destination = new LakeDestination(root);
});
afterAll(async () => {
  removeFetchShim();
  await destination.close();
  await fs.rm(root, { recursive: true, force: true });
});

const V1 = [
  col('id', { kind: 'int64' }),
  col('qty', { kind: 'int32' }),
  col('ratio', { kind: 'float32' }),
  col('price', { kind: 'decimal', precision: 10, scale: 2 }),
  col('note', { kind: 'string' }),
];
const V2 = [
  col('id', { kind: 'int64' }),
  col('qty', { kind: 'int64' }),
  col('ratio', { kind: 'float64' }),
  col('price', { kind: 'decimal', precision: 14, scale: 2 }),
  col('note', { kind: 'string' }),
  col('added', { kind: 'string' }),
];

async function write(
  name: string,
  columns: CanonicalColumn[],
  rows: StagedRows,
  extra: Partial<DestinationStream> = {},
) {
  return writeStream(destination, { namespace: 'evo', name, columns, ...extra }, [rows]);
}

async function metadata(name: string) {
  return (await LakeCatalog.open(root).loadTable({ namespace: 'evo', name })).metadata;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; hint: string }> {
  const error = await promise.catch((e: unknown) => e);
  if (!isSluiceError(error)) throw new Error(`expected a SluiceError, got ${String(error)}`);
  return { code: error.code, message: error.message, hint: error.hint ?? '' };
}

describe('evolve (the default)', () => {
  beforeAll(async () => {
    await write('t', V1, [
      ['1', '2147483647', '0.5', '12345678.90', 'first'],
      ['2', '-7', '1.25', '-0.01', null],
    ]);
  });

  it('adds a column and widens int, float and decimal, keeping every field id', async () => {
    await write('t', V2, [['3', '9007199254740993', '0.1', '123456789012.34', 'second', 'new']]);
    const meta = await metadata('t');
    expect(
      meta.schemas.map((schema) => schema.fields.map((field) => [field.id, field.name, field.type])),
    ).toEqual([
      [
        [1, 'id', 'long'],
        [2, 'qty', 'int'],
        [3, 'ratio', 'float'],
        [4, 'price', 'decimal(10,2)'],
        [5, 'note', 'string'],
      ],
      [
        [1, 'id', 'long'],
        [2, 'qty', 'long'],
        [3, 'ratio', 'double'],
        [4, 'price', 'decimal(14,2)'],
        [5, 'note', 'string'],
        [6, 'added', 'string'],
      ],
    ]);
    expect(meta['current-schema-id']).toBe(1);
    expect(meta['last-column-id']).toBe(6);
  });

  it('reads old and new files together with DuckDB, old values widened exactly', async () => {
    const result = await queryLake(
      root,
      'SELECT id, qty, ratio, CAST(price AS VARCHAR), note, added FROM evo.t ORDER BY id',
    );
    expect(result.rows).toEqual([
      [1n, 2147483647n, 0.5, '12345678.90', 'first', null],
      [2n, -7n, 1.25, '-0.01', null, null],
      [3n, 9007199254740993n, 0.1, '123456789012.34', 'second', 'new'],
    ]);
  });

  it('reads them with icebird (old files keep their physical types; the new column is absent there)', async () => {
    const rows = await icebergRead({ tableUrl: new LocalStorage(root).url('evo/t') });
    rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
    expect(rows).toEqual([
      { id: 1n, qty: 2147483647, ratio: 0.5, price: 1234567890 * 0.01, note: 'first', added: undefined },
      { id: 2n, qty: -7, ratio: 1.25, price: -1 * 0.01, note: null, added: undefined },
      {
        id: 3n,
        qty: 9007199254740993n,
        ratio: 0.1,
        price: 12345678901234 * 0.01,
        note: 'second',
        added: 'new',
      },
    ]);
  });

  it('fails a narrowing change naming the column and both types, and leaves the table as it was', async () => {
    const before = await metadata('t');
    const error = await failure(write('t', V1.concat(V2.slice(5)), [['4', '1', '1', '1.00', 'x', 'y']]));
    expect(error.code).toBe('SCHEMA_CHANGE');
    expect(error.message).toContain('column "qty" changes type from long to int (narrowing)');
    expect(error.message).toContain('column "ratio" changes type from double to float (narrowing)');
    expect(error.message).toContain(
      'column "price" changes type from decimal(14,2) to decimal(10,2) (narrowing)',
    );
    expect(error.hint).toContain('--disposition replace');
    const after = await metadata('t');
    expect(after['current-snapshot-id']).toBe(before['current-snapshot-id']);
    expect(after.schemas.length).toBe(before.schemas.length);
  });

  it('fails an incompatible change the same way', async () => {
    const columns = V2.map((column) => (column.name === 'note' ? col('note', { kind: 'int64' }) : column));
    const error = await failure(write('t', columns, [['5', '1', '1', '1.00', '7', null]]));
    expect(error.code).toBe('SCHEMA_CHANGE');
    expect(error.message).toBe(
      'cannot write evo.t: column "note" changes type from string to long (incompatible)',
    );
  });

  it('evolves through a merge too: rewritten rows keep their values, the new column NULL', async () => {
    const V3 = [...V2, col('extra', { kind: 'boolean' })];
    const result = await write('t', V3, [['2', '-7', '1.25', '-0.01', 'changed', null, 't']], {
      disposition: 'merge',
      primaryKey: ['id'],
    });
    expect(result.merge).toMatchObject({ updated: 1, inserted: 0 });
    const rows = await queryLake(root, 'SELECT id, note, extra FROM evo.t ORDER BY id');
    expect(rows.rows).toEqual([
      [1n, 'first', null],
      [2n, 'changed', true],
      [3n, 'second', null],
    ]);
  });
});

describe('freeze', () => {
  it('refuses a new column and a missing one, naming them', async () => {
    await write('frozen', V1, [['1', '1', '1', '1.00', 'a']]);
    const added = await failure(
      write('frozen', [...V1, col('z', { kind: 'string' })], [['2', '1', '1', '1.00', 'a', 'z']], {
        schemaPolicy: 'freeze',
      }),
    );
    expect(added.code).toBe('SCHEMA_CHANGE');
    expect(added.message).toBe('cannot write evo.frozen (schema policy freeze): "z" is new (string)');
    expect(added.hint).toContain('--schema-policy evolve');
    const missing = await failure(
      write('frozen', V1.slice(0, 4), [['2', '1', '1', '1.00']], { schemaPolicy: 'freeze' }),
    );
    expect(missing.message).toBe(
      'cannot write evo.frozen (schema policy freeze): "note" is missing from the stream',
    );
    const widened = await failure(
      write('frozen', V2.slice(0, 5), [['2', '1', '1', '1.00', 'a']], { schemaPolicy: 'freeze' }),
    );
    expect(widened.message).toContain(
      'column "qty" changes type from int to long (not allowed under freeze)',
    );
    expect((await metadata('frozen')).schemas.length).toBe(1);
  });
});

describe('discard_columns', () => {
  it('drops new columns and writes NULL for missing ones, keeping the schema', async () => {
    await write('lean', V1, [['1', '1', '1', '1.00', 'a']]);
    const columns = [
      col('id', { kind: 'int64' }),
      col('qty', { kind: 'int32' }),
      col('z', { kind: 'string' }),
    ];
    await write('lean', columns, [['2', '5', 'dropped']], { schemaPolicy: 'discard_columns' });
    expect((await metadata('lean')).schemas.length).toBe(1);
    const result = await queryLake(root, 'SELECT * FROM evo.lean ORDER BY id');
    expect(result.columns).toEqual(['id', 'qty', 'ratio', 'price', 'note']);
    expect(result.rows).toEqual([
      [1n, 1, 1, '1.00', 'a'],
      [2n, 5, null, null, null],
    ]);
    const rows = await icebergRead({ tableUrl: new LocalStorage(root).url('evo/lean') });
    rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)));
    expect(rows).toEqual([
      { id: 1n, qty: 1, ratio: 1, price: 1, note: 'a' },
      { id: 2n, qty: 5, ratio: undefined, price: undefined, note: undefined },
    ]);
  });
});
