/**
 * Proof of a copy-on-write merge before it is published: the rows of the new files, split by
 * what the batch did to their key, must be exactly what the merge means —
 *
 * - `u` (the batch's last change of the key is an upsert): the incoming row, each staged column
 *   as the file's type, every other column NULL;
 * - `k` (a key the batch does not touch): the rows of the rewritten files with that key,
 *   unchanged, every column;
 * - `d` (the last change is a delete): none with hard deletes; with soft deletes the rewritten
 *   files' rows with that key, unchanged but for the soft-delete column, which must be set.
 *
 * Each class is compared by row count and the exact sum of DuckDB's `hash()` of the rows read
 * from the files by field id, as a reader reads them. It catches a rewrite that loses,
 * repeats or alters a row it carries, an upsert written with another value, and a deleted row
 * that survives. It reads the new and the rewritten files once more; files the merge did not
 * touch are not read (a stale row of a changed key in one of them is what `sluice verify` finds).
 */
import { SluiceError } from '../../core/errors.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent } from '../../engine/duckdb.js';
import { parquetScanSql } from '../../engine/lake-views.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from '../iceberg-schema.js';
import { qualifiedName } from '../table-location.js';
import type { MergeLayout } from './merge-layout.js';
import { fieldScanColumns, keyJoinSql } from './merge-scan.js';
import { OP_COLUMN } from './merge-stage.js';

/** Count, hash sum and rows with the soft-delete column NULL, of one class of rows. */
interface ClassTally {
  rows: bigint;
  hashSum: bigint;
  notDeleted: bigint;
}

/**
 * Fails with VERIFY_MISMATCH unless the local data files `written` hold exactly what merging the
 * de-duplicated changes `incoming` (a DuckDB table expression with the staged columns and
 * `OP_COLUMN`) into the rewritten files `rewritten` (local paths) means.
 */
export async function assertMergeHolds(
  db: DuckDB,
  layout: MergeLayout,
  incoming: string,
  rewritten: readonly string[],
  written: readonly string[],
): Promise<void> {
  const fields = layout.schema.fields;
  const names = fields.map((field) => quoteIdent(avroCompatibleName(field.name)));
  const scan = (paths: readonly string[]) => parquetScanSql(paths, fieldScanColumns(fields));
  const soft = layout.softDelete;
  const softIndex = soft ? fields.findIndex((field) => field.id === soft.id) : -1;
  const hash = (alias: string, withSoft: boolean) =>
    `hash(${names
      .flatMap((name, i) => (i === softIndex && !withSoft ? [] : [`${alias}.${name}`]))
      .join(', ')})`;
  const notDeleted = (alias: string) => (soft ? `${alias}.${names[softIndex]} IS NULL` : 'true');
  const on = keyJoinSql(layout.keys, 't', 'i');
  // A deleted row kept by a soft delete is compared without the column the delete sets.
  const tally = (rows: string, klass: string) =>
    `SELECT ${klass} AS class, count(*) AS n, ` +
    `sum(CASE WHEN ${klass} = 'd' THEN ${hash('t', false)} ELSE ${hash('t', true)} END) AS h, ` +
    `count(*) FILTER (WHERE ${notDeleted('t')}) AS live FROM ${rows} GROUP BY ALL`;
  const classOf = `coalesce(i.${OP_COLUMN}, 'k')`;

  const actual =
    written.length === 0
      ? []
      : await tallies(db, tally(`${scan(written)} t LEFT JOIN ${incoming} i ON ${on}`, classOf));
  const staged = new Set(layout.staged.flatMap((field) => (field ? [field.id] : [])));
  const upserted = fields.map((field, i) =>
    staged.has(field.id)
      ? `CAST(i.${names[i]} AS ${duckdbTypeOfIceberg(field.type)}) AS ${names[i]}`
      : `CAST(NULL AS ${duckdbTypeOfIceberg(field.type)}) AS ${names[i]}`,
  );
  const expected = [
    ...(await tallies(
      db,
      tally(`(SELECT ${upserted.join(', ')} FROM ${incoming} i WHERE i.${OP_COLUMN} = 'u') t`, `'u'`),
    )),
    ...(rewritten.length === 0
      ? []
      : await tallies(
          db,
          // Carried rows (`k`) stay as they were; with soft deletes so do deleted ones (`d`).
          tally(
            `${scan(rewritten)} t LEFT JOIN ${incoming} i ON ${on} WHERE i.${OP_COLUMN} IS NULL` +
              (soft ? ` OR i.${OP_COLUMN} = 'd'` : ''),
            classOf,
          ),
        )),
  ];
  const problems: string[] = [];
  const label = { u: 'upserted', k: 'carried', d: 'soft-deleted' } as const;
  for (const klass of ['u', 'k', 'd'] as const) {
    const want = merged(expected, klass, soft !== null);
    const got = merged(actual, klass, false);
    if (want.rows !== got.rows || want.hashSum !== got.hashSum || want.notDeleted !== got.notDeleted) {
      problems.push(
        `${label[klass]} rows: expected ${want.rows} (hash sum ${want.hashSum}, ${want.notDeleted} not deleted), ` +
          `written ${got.rows} (hash sum ${got.hashSum}, ${got.notDeleted} not deleted)`,
      );
    }
  }
  if (problems.length === 0) return;
  throw new SluiceError(
    'VERIFY_MISMATCH',
    `${qualifiedName(layout.ident)}: the merge's new files differ from what the merge means: ${problems.join('; ')}`,
    {
      hint: "nothing was published; this is a bug in Sluice or DuckDB: please report it with the table's column types and the merge's changes",
    },
  );
}

async function tallies(db: DuckDB, sql: string): Promise<(ClassTally & { class: string })[]> {
  const rows = await db.queryJson(
    `SELECT class, CAST(n AS VARCHAR), CAST(coalesce(h, 0) AS VARCHAR), CAST(live AS VARCHAR) FROM (${sql})`,
  );
  return rows.map((row) => ({
    class: String(row[0]),
    rows: BigInt(String(row[1])),
    hashSum: BigInt(String(row[2])),
    notDeleted: BigInt(String(row[3])),
  }));
}

/**
 * The tally of `klass`; for the expected side of a soft delete, `d` rows must all be marked
 * deleted after the merge (whatever they were before), so none counts as not deleted.
 */
function merged(
  tallies: readonly (ClassTally & { class: string })[],
  klass: string,
  softExpected: boolean,
): ClassTally {
  const found = tallies.find((entry) => entry.class === klass);
  if (!found) return { rows: 0n, hashSum: 0n, notDeleted: 0n };
  return klass === 'd' && softExpected ? { ...found, notDeleted: 0n } : found;
}
