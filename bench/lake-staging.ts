/**
 * Staged chunks for the lake benchmarks, made by DuckDB straight in the stage CSV dialect
 * (`core/stage-csv.ts`) so the benchmarks measure the lake, not a source: the orders table of
 * `lake-append` (pg-full-sync's six columns) and `lake-merge` (orders placed over one year, ids
 * growing with time), and a batch of changes with the `_sluice_op` field.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CanonicalColumn, CanonicalType } from '../src/core/canonical-types.js';
import type { StagedChunk } from '../src/core/stream.js';
import { openDuckDB, quoteLiteral } from '../src/engine/duckdb.js';

/** Rows per staged chunk: about Sluice's 128 MiB chunk for these rows. */
export const ROWS_PER_CHUNK = 2_000_000;

const col = (name: string, type: CanonicalType): CanonicalColumn => ({
  name,
  type,
  nullable: false,
  sourceType: type.kind,
});

/** lake-append's columns (pg-full-sync's table). */
export const APPEND_COLUMNS: CanonicalColumn[] = [
  col('id', { kind: 'int64' }),
  col('quantity', { kind: 'int32' }),
  col('price', { kind: 'decimal', precision: 12, scale: 2 }),
  col('label', { kind: 'string' }),
  col('created_at', { kind: 'timestamptz' }),
  col('active', { kind: 'boolean' }),
];

/** lake-merge's columns. */
export const ORDER_COLUMNS: CanonicalColumn[] = [
  col('id', { kind: 'int64' }),
  col('buyer_id', { kind: 'int64' }),
  col('status', { kind: 'string' }),
  col('amount', { kind: 'decimal', precision: 12, scale: 2 }),
  col('placed_at', { kind: 'timestamptz' }),
  col('note', { kind: 'string' }),
];

/** SELECT lists (over `g`, the row number) in canonical text. */
const APPEND_SELECT = `g AS id, (g * 7919 % 100003)::INTEGER AS quantity,
  ((g * 104729 % 10000000) / 100.0)::DECIMAL(12,2) AS price,
  'item-' || (g % 100000) || CASE WHEN g % 10 = 0 THEN ' (special offer)' ELSE '' END AS label,
  TIMESTAMPTZ '2020-01-01 00:00:00+00' + g * INTERVAL 1500 MILLISECONDS AS created_at,
  CASE WHEN g % 3 = 0 THEN 't' ELSE 'f' END AS active`;

/** Orders placed evenly over 2024 (ids grow with time): `total` rows in all. */
const orderSelect = (total: number) => `g AS id, g * 7919 % 50000 AS buyer_id,
  CASE g % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'delivered' END AS status,
  ((g * 104729 % 10000000) / 100.0)::DECIMAL(12,2) AS amount,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(g * (366 * 86400000000 // ${total})) AS placed_at,
  'order ' || g AS note`;

/** Writes `rows` rows of `kind` as staged chunks under `dir`. */
export async function stageRows(
  dir: string,
  kind: 'append' | 'orders',
  rows: number,
): Promise<StagedChunk[]> {
  await fs.mkdir(dir, { recursive: true });
  const db = await openDuckDB();
  const chunks: StagedChunk[] = [];
  try {
    for (let index = 0, start = 1; start <= rows; index++, start += ROWS_PER_CHUNK) {
      const end = Math.min(rows, start + ROWS_PER_CHUNK - 1);
      const file = path.join(dir, `chunk-${index}.csv`);
      const select = kind === 'append' ? APPEND_SELECT : orderSelect(rows);
      await db.run(
        `COPY (SELECT ${select} FROM range(${start}, ${end + 1}) t(g)) TO ${quoteLiteral(file)} (FORMAT csv, HEADER false)`,
      );
      chunks.push({
        index,
        path: file,
        rows: end - start + 1,
        bytes: (await fs.stat(file)).size,
        position: null,
      });
    }
    return chunks;
  } finally {
    db.close();
  }
}

/**
 * 1% of `total` orders changed, the way orders change: 90% are status updates of orders from
 * the last days, 5% new orders, 5% deletions of recent ones.
 */
export async function stageChanges(file: string, total: number): Promise<StagedChunk> {
  const changes = Math.max(20, Math.floor(total / 100));
  const updates = Math.floor(changes * 0.9);
  const inserts = Math.floor(changes * 0.05);
  const deletes = changes - updates - inserts;
  // Every other order of the most recent ones is updated; deletions are the newest before those.
  const firstUpdated = total - 2 * updates + 1;
  const db = await openDuckDB();
  try {
    const order = orderSelect(total);
    await db.run(
      `COPY (
        SELECT * REPLACE ('returned' AS status), 'u' AS op FROM (SELECT ${order} FROM range(${firstUpdated}, ${total + 1}, 2) t(g))
        UNION ALL SELECT *, 'i' FROM (SELECT ${order} FROM range(${total + 1}, ${total + inserts + 1}) t(g))
        UNION ALL SELECT g, NULL, NULL, NULL, NULL, NULL, 'd' FROM range(${firstUpdated - 2 * deletes}, ${firstUpdated}, 2) t(g)
      ) TO ${quoteLiteral(file)} (FORMAT csv, HEADER false)`,
    );
  } finally {
    db.close();
  }
  return {
    index: 0,
    path: file,
    rows: changes,
    bytes: (await fs.stat(file)).size,
    position: null,
    operations: true,
  };
}

/** A copy of a staged chunk the writer may consume (a hard link: no bytes copied). */
export async function linkedCopy(chunk: StagedChunk, dir: string): Promise<StagedChunk> {
  const target = path.join(
    dir,
    `${path.basename(chunk.path)}.${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  await fs.link(chunk.path, target);
  return { ...chunk, path: target };
}
