/**
 * A SQLite file as a verify endpoint. SQLite has no md5, so SQLite selects and buckets the rows
 * (the range SQL of `key-ranges.ts` in its dialect) and JavaScript renders and hashes them with
 * the rules of `canonical-value.ts` — the same numbers the SQL engines compute.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError, messageOf } from '../../core/errors.js';
import { nodeSqlite } from '../../core/node-sqlite.js';
import { connectorForUrl } from '../../connectors/registry.js';
import { canonicalRowText, canonicalValueText, type JsValue } from '../canonical-value.js';
import {
  bucketSql,
  isUsableBound,
  rangeSql,
  rangesSql,
  type KeyRange,
  type KeyTuple,
} from '../key-ranges.js';
import { COLUMN_HASH_DIGITS } from '../range-queries.js';
import { quoteIdent, tableSql, type TableRef } from '../row-hash.js';
import { rowHashHex } from '../sqlite-row-hash.js';
import type { LeafRow, RangeHash, VerifyEndpoint, VerifyTable } from './endpoint.js';
import { thinningStep } from './sql-endpoint.js';
import { createHash } from 'node:crypto';

function columnList(columns: readonly CanonicalColumn[]): string {
  return columns.map((column) => quoteIdent(column.name)).join(', ');
}

function columnHash(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex').slice(0, COLUMN_HASH_DIGITS);
}

class SqliteEndpoint implements VerifyEndpoint {
  readonly label: string;

  constructor(
    private readonly db: DatabaseSync,
    private readonly url: string,
  ) {
    this.label = url;
  }

  async listTables(): Promise<VerifyTable[]> {
    const connector = connectorForUrl(this.url);
    try {
      return await connector.discover();
    } finally {
      await connector.close();
    }
  }

  async rangeHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>> {
    const bucket = bounds.length === 0 ? '0' : bucketSql('sqlite', key, bounds);
    const sql = `SELECT ${bucket}, ${columnList(columns)} FROM ${tableSql(table)} WHERE ${rangesSql('sqlite', key, within)}`;
    const sums = new Map<number, { rows: number; sum: bigint }>();
    for (const row of this.rows(sql)) {
      const index = Number(row[0]);
      const text = canonicalRowText(columns, row.slice(1));
      const entry = sums.get(index) ?? { rows: 0, sum: 0n };
      entry.rows++;
      entry.sum += BigInt(`0x${rowHashHex(text)}`);
      sums.set(index, entry);
    }
    return new Map(
      [...sums].map(([index, entry]) => [index, { rows: entry.rows, hashSum: String(entry.sum) }]),
    );
  }

  async sampleKeys(
    table: TableRef,
    key: readonly CanonicalColumn[],
    range: KeyRange,
    rows: number,
    wanted: number,
  ): Promise<KeyTuple[]> {
    const step = thinningStep(rows, wanted);
    const order = key.map(
      (column) => `${quoteIdent(column.name)}${column.type.kind === 'string' ? ' COLLATE BINARY' : ''}`,
    );
    const texts = key.map((column, i) => `CAST(${quoteIdent(column.name)} AS TEXT) AS k${i}`);
    const sql =
      `SELECT * FROM (SELECT ${texts.join(', ')}, row_number() OVER (ORDER BY ${order.join(', ')}) AS rn` +
      ` FROM ${tableSql(table)} WHERE ${rangeSql('sqlite', key, range)}) WHERE rn % ${step} = 0 ORDER BY rn`;
    const keys = [...this.rows(sql)]
      .map((row) => row.slice(0, key.length).map((value) => (value === null ? null : String(value))))
      .filter((tuple) => isUsableBound(key, tuple));
    return keys.slice(0, wanted);
  }

  async rowHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    ranges: readonly KeyRange[],
  ): Promise<LeafRow[]> {
    const identity = key.length > 0 ? key : columns;
    const positions = identity.map((column) => columns.indexOf(column));
    const sql = `SELECT ${columnList(columns)} FROM ${tableSql(table)} WHERE ${rangesSql('sqlite', key, ranges)}`;
    const result: LeafRow[] = [];
    for (const values of this.rows(sql)) {
      const texts = columns.map((column, i) => canonicalValueText(column, values[i] ?? null));
      result.push({
        key: positions.map((position) => texts[position]).join('\t'),
        hash: rowHashHex(texts.join('\t')),
        columnHashes: texts.map(columnHash).join(''),
      });
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  private *rows(sql: string): Generator<JsValue[]> {
    let statement;
    try {
      statement = this.db.prepare(sql);
    } catch (error) {
      throw new SluiceError('SOURCE_READ', `verify query on ${this.label} failed: ${messageOf(error)}`, {
        hint: 'the file changed or is not readable; nothing was concluded — run verify again',
        cause: error,
        sql,
      });
    }
    statement.setReadBigInts(true);
    statement.setReturnArrays(true);
    yield* statement.iterate() as unknown as Iterable<JsValue[]>;
  }
}

/** Opens `sqlite:<path>` read-only for verify. */
export async function openSqliteEndpoint(url: string): Promise<VerifyEndpoint> {
  const connector = connectorForUrl(url);
  // Let the connector validate the path (missing file, not a file) with its own messages.
  await connector.check();
  await connector.close();
  const file = url.slice('sqlite:'.length);
  const { DatabaseSync } = nodeSqlite();
  return new SqliteEndpoint(new DatabaseSync(file, { readOnly: true }), url);
}
