/**
 * A verify endpoint whose engine runs the hashing SQL itself (PostgreSQL, DuckDB over the lake).
 * The engine-specific parts — listing tables, running SQL, closing — come from the caller.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { RunRows } from '../fingerprint-queries.js';
import type { HashDialect } from '../hash-dialect.js';
import { isUsableBound, type KeyRange, type KeyTuple } from '../key-ranges.js';
import { leafRowsSql, rangeHashesSql, sampledKeysSql, thinnedKeysSql } from '../range-queries.js';
import type { TableRef } from '../row-hash.js';
import type { LeafRow, RangeHash, VerifyEndpoint, VerifyTable } from './endpoint.js';

/** Ranges up to this many rows are read exactly (through an index); larger ones are sampled. */
const EXACT_SAMPLE_ROWS = 100_000;
/** Sampled keys per wanted bound: enough that the picked bounds split the range evenly. */
const OVERSAMPLE = 20;
/**
 * PostgreSQL samples whole pages, whose rows are often neighbours in key order: a page counts as
 * one key. Assuming up to this many rows per page, the share is raised until each wanted bound
 * has several pages to come from.
 */
const ROWS_PER_PAGE = 150;
const PAGES_PER_BOUND = 8;

/** What a SQL endpoint is built from. */
export interface SqlEngine {
  /** The engine's dialect. */
  dialect: HashDialect;
  /** Printable description (no password). */
  label: string;
  /** Runs one statement on the endpoint's single session. */
  run: RunRows;
  /** Lists the endpoint's tables. */
  listTables(): Promise<VerifyTable[]>;
  /** Releases the session. */
  close(): Promise<void>;
}

/** Rows between two thinned keys, so that `wanted` keys split `rows` rows into equal parts. */
export function thinningStep(rows: number, wanted: number): number {
  return Math.max(1, Math.ceil(rows / (wanted + 1)));
}

function samplePercent(dialect: HashDialect, rows: number, wanted: number): number {
  const keys = (100 * wanted * OVERSAMPLE) / rows;
  return dialect === 'postgres'
    ? Math.max(keys, (100 * wanted * PAGES_PER_BOUND * ROWS_PER_PAGE) / rows)
    : keys;
}

/** Picks about `wanted` evenly spaced keys from a sorted random sample. */
export function evenlySpaced(keys: readonly KeyTuple[], wanted: number): KeyTuple[] {
  if (keys.length <= wanted) return [...keys];
  const step = keys.length / (wanted + 1);
  const picked: KeyTuple[] = [];
  for (let i = 1; i <= wanted; i++) {
    const key = keys[Math.floor(i * step - 0.5)];
    if (key) picked.push(key);
  }
  return picked;
}

export class SqlEndpoint implements VerifyEndpoint {
  readonly label: string;

  constructor(private readonly engine: SqlEngine) {
    this.label = engine.label;
  }

  listTables(): Promise<VerifyTable[]> {
    return this.engine.listTables();
  }

  async rangeHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>> {
    const rows = await this.query(rangeHashesSql(this.engine.dialect, table, columns, key, within, bounds));
    return new Map(
      rows.map((row) => [Number(row.bucket), { rows: Number(row.rows), hashSum: String(row.hash_sum) }]),
    );
  }

  async sampleKeys(
    table: TableRef,
    key: readonly CanonicalColumn[],
    range: KeyRange,
    rows: number,
    wanted: number,
  ): Promise<KeyTuple[]> {
    const dialect = this.engine.dialect;
    const exact = rows <= EXACT_SAMPLE_ROWS;
    const step = thinningStep(rows, wanted);
    const sql = exact
      ? thinnedKeysSql(dialect, table, key, range, step)
      : sampledKeysSql(dialect, table, key, range, samplePercent(dialect, rows, wanted));
    const keys = (await this.query(sql))
      .map((row) => key.map((_, i) => (row[`k${i}`] === null ? null : String(row[`k${i}`]))))
      .filter((tuple) => isUsableBound(key, tuple));
    // Thinned keys already sit at the wanted quantiles (every step-th row); a random sample is thinned here.
    return exact ? keys.slice(0, wanted) : evenlySpaced(keys, wanted);
  }

  async rowHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    ranges: readonly KeyRange[],
  ): Promise<LeafRow[]> {
    const identity = key.length > 0 ? key : columns;
    const rows = await this.query(leafRowsSql(this.engine.dialect, table, columns, identity, ranges, key));
    return rows.map((row) => ({
      key: String(row.key),
      hash: String(row.hash),
      columnHashes: String(row.column_hashes),
    }));
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  private async query(sql: string): Promise<readonly Record<string, unknown>[]> {
    try {
      return await this.engine.run(sql);
    } catch (error) {
      if (error instanceof SluiceError && error.code !== 'QUERY') throw error;
      const detail = redact(messageOf(error));
      const lost = /terminat|ECONNRESET|closed|Connection|EPIPE|not queryable/i.test(detail);
      throw new SluiceError('SOURCE_READ', `verify query on ${this.label} failed: ${detail}`, {
        hint: lost
          ? `the connection to ${this.label} was lost during verify; nothing was concluded — run verify again`
          : 'see the cause and the SQL (--debug); nothing was concluded about the tables',
        retryable: lost,
        cause: error,
        sql,
      });
    }
  }
}
