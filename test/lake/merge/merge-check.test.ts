/**
 * `assertMergeHolds` (src/lake/merge/merge-check.ts) against real DuckDB and real Parquet files
 * with field ids: it accepts the files a correct copy-on-write merge writes — hard and soft
 * deletes — and refuses each planted mistake: a carried row lost, repeated or altered, an upsert
 * written with another value or not at all, a hard-deleted row that survives, a soft-deleted
 * row left unmarked or changed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDB } from '../../../src/engine/duckdb.js';
import { openDuckDB, quoteLiteral } from '../../../src/engine/duckdb.js';
import type { IcebergField } from '../../../src/lake/iceberg-schema.js';
import { assertMergeHolds } from '../../../src/lake/merge/merge-check.js';
import type { MergeLayout } from '../../../src/lake/merge/merge-layout.js';
import { OP_COLUMN } from '../../../src/lake/merge/merge-stage.js';

const field = (id: number, name: string, type: string): IcebergField => ({ id, name, required: false, type });
const ID = field(1, 'id', 'long');
const AMOUNT = field(2, 'amount', 'decimal(10,2)');
const AT = field(3, 'updated_at', 'timestamptz');
const DELETED = field(4, '_sluice_deleted_at', 'timestamptz');

function layout(soft: boolean): MergeLayout {
  const fields = soft ? [ID, AMOUNT, AT, DELETED] : [ID, AMOUNT, AT];
  return {
    ident: { namespace: 'shop', name: 'orders' },
    schema: { type: 'struct', 'schema-id': 0, fields },
    staged: [ID, AMOUNT, AT],
    keys: [ID],
    partition: {
      spec: { 'spec-id': 0, fields: [] },
      fields: [],
      isNew: false,
    } as unknown as MergeLayout['partition'],
    softDelete: soft ? DELETED : null,
  };
}

let db: DuckDB;
let dir: string;
let n = 0;
beforeAll(async () => {
  db = await openDuckDB();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-merge-check-'));
});
afterAll(async () => {
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A Parquet file of `select`, whose columns are named like the fields, tagged with their ids. */
async function file(select: string, fields: readonly IcebergField[]): Promise<string> {
  const target = path.join(dir, `f${n++}.parquet`);
  const ids = fields.map((f) => `${quoteLiteral(f.name)}: ${f.id}`).join(', ');
  await db.run(`COPY (${select}) TO ${quoteLiteral(target)} (FORMAT parquet, FIELD_IDS {${ids}})`);
  return target;
}

/** Old rows 1..10; the batch updates 2, inserts 11, deletes 3 and 4. */
const OLD = `SELECT i::BIGINT AS id, CAST(i * 1.5 AS DECIMAL(10,2)) AS amount,
  TIMESTAMPTZ '2024-05-01 00:00:00+00' + to_microseconds(i) AS updated_at FROM range(1, 11) t(i)`;
const INCOMING = `SELECT * FROM (VALUES
  (2::BIGINT, 99.99::DECIMAL(10,2), TIMESTAMPTZ '2024-06-01 10:00:00.000001+00', 'u'),
  (11::BIGINT, 1.00::DECIMAL(10,2), TIMESTAMPTZ '2024-06-01 10:00:00+00', 'u'),
  (3::BIGINT, NULL, NULL, 'd'),
  (4::BIGINT, NULL, NULL, 'd')) AS v(id, amount, updated_at, ${OP_COLUMN})`;
const UPSERTS = `SELECT id, amount, updated_at FROM (${INCOMING}) WHERE ${OP_COLUMN} = 'u'`;
const CARRIED = `SELECT * FROM (${OLD}) WHERE id NOT IN (2, 3, 4)`;

async function check(soft: boolean, written: string): Promise<void> {
  const fields = soft ? [ID, AMOUNT, AT, DELETED] : [ID, AMOUNT, AT];
  const old = await file(
    soft ? `SELECT *, CAST(NULL AS TIMESTAMPTZ) AS _sluice_deleted_at FROM (${OLD})` : OLD,
    fields,
  );
  const incoming = await file(INCOMING, [ID, AMOUNT, AT, field(9, OP_COLUMN, 'string')]);
  const out = await file(written, fields);
  await assertMergeHolds(db, layout(soft), `read_parquet(${quoteLiteral(incoming)})`, [old], [out]);
}

const HARD_OK = `${CARRIED} UNION ALL ${UPSERTS}`;
const soft = (rows: string, deleted: string) =>
  `SELECT *, CAST(NULL AS TIMESTAMPTZ) AS _sluice_deleted_at FROM (${rows}) UNION ALL ` +
  `SELECT *, TIMESTAMPTZ '2024-06-02 00:00:00+00' AS _sluice_deleted_at FROM (${deleted})`;
const SOFT_DELETED = `SELECT * FROM (${OLD}) WHERE id IN (3, 4)`;

describe('assertMergeHolds', () => {
  it('accepts what a correct merge writes, with hard and with soft deletes', async () => {
    await expect(check(false, HARD_OK)).resolves.toBeUndefined();
    await expect(check(true, soft(HARD_OK, SOFT_DELETED))).resolves.toBeUndefined();
  });

  it.each([
    ['a carried row lost', `SELECT * FROM (${HARD_OK}) WHERE id <> 7`, 'carried rows'],
    ['a carried row repeated', `${HARD_OK} UNION ALL SELECT * FROM (${OLD}) WHERE id = 7`, 'carried rows'],
    [
      'a carried value changed in its last decimal digit',
      `SELECT id, CASE WHEN id = 8 THEN amount + 0.01 ELSE amount END AS amount, updated_at FROM (${HARD_OK})`,
      'carried rows',
    ],
    [
      'an upsert a microsecond off',
      `SELECT id, amount, CASE WHEN id = 2 THEN updated_at - INTERVAL 1 MICROSECOND ELSE updated_at END AS updated_at FROM (${HARD_OK})`,
      'upserted rows',
    ],
    ['an upsert missing', `SELECT * FROM (${HARD_OK}) WHERE id <> 11`, 'upserted rows'],
    [
      'the old row kept instead of the update',
      `${CARRIED} UNION ALL SELECT * FROM (${OLD}) WHERE id = 2 UNION ALL SELECT * FROM (${UPSERTS}) WHERE id = 11`,
      'upserted rows',
    ],
    [
      'a hard-deleted row surviving',
      `${HARD_OK} UNION ALL SELECT * FROM (${OLD}) WHERE id = 3`,
      'soft-deleted rows',
    ],
  ])('refuses %s (hard deletes)', async (_what, written, names) => {
    await expect(check(false, written)).rejects.toMatchObject({
      code: 'VERIFY_MISMATCH',
      message: expect.stringContaining(names),
    });
  });

  it.each([
    [
      'a soft-deleted row left unmarked',
      soft(`${HARD_OK} UNION ALL SELECT * FROM (${OLD}) WHERE id = 3`, `SELECT * FROM (${OLD}) WHERE id = 4`),
    ],
    [
      'a soft-deleted row changed',
      soft(HARD_OK, `SELECT id, amount + 1 AS amount, updated_at FROM (${SOFT_DELETED})`),
    ],
    ['a soft-deleted row dropped', soft(HARD_OK, `SELECT * FROM (${OLD}) WHERE id = 4`)],
  ])('refuses %s (soft deletes)', async (_what, written) => {
    await expect(check(true, written)).rejects.toMatchObject({
      code: 'VERIFY_MISMATCH',
      message: expect.stringContaining('soft-deleted rows'),
    });
  });
});
