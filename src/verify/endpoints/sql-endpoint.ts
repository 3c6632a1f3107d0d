/**
 * A verify endpoint whose engine runs the hashing SQL itself (PostgreSQL, DuckDB over the lake).
 * The engine-specific parts — listing tables, running SQL, closing, PostgreSQL's COPY — come
 * from the caller. The fast typed hashes (`typed-hash.ts`) run in the engine when it is DuckDB;
 * PostgreSQL's rows are streamed out with COPY into a private DuckDB opened on first use
 * (`copy-hash.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { RunRows } from '../fingerprint-queries.js';
import { castText, type HashDialect } from '../hash-dialect.js';
import { isUsableBound, rangeSql, rangesSql, type KeyRange, type KeyTuple } from '../key-ranges.js';
import { leafRowsSql, rangeHashesSql, sampledKeysSql, thinnedKeysSql } from '../range-queries.js';
import { quoteIdent, tableSql, type TableRef } from '../row-hash.js';
import { typedRangeHashesSql } from '../typed-hash.js';
import { openDuckDB, type DuckDB } from '../../engine/duckdb.js';
import { copyOutSql, hashCopyOutput } from './copy-hash.js';
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
  /**
   * PostgreSQL only: runs a `COPY … TO STDOUT` on the session and returns its bytes, so the
   * rows can be hashed by DuckDB (`typedRangeHashes`); absent, a PostgreSQL endpoint has no
   * fast path.
   */
  copyOut?(sql: string): AsyncIterable<Buffer>;
}

function isIntegerKey(key: readonly CanonicalColumn[]): boolean {
  return key.length === 1 && (key[0]?.type.kind === 'int32' || key[0]?.type.kind === 'int64');
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

/** The rows of a `(bucket, rows, hash_sum)` query. */
function toRangeHashes(rows: readonly Record<string, unknown>[]): Map<number, RangeHash> {
  return new Map(
    rows.map((row) => [Number(row.bucket), { rows: Number(row.rows), hashSum: String(row.hash_sum) }]),
  );
}

export class SqlEndpoint implements VerifyEndpoint {
  readonly label: string;
  /** Set when the engine is DuckDB, or PostgreSQL with `copyOut` (see the interface). */
  readonly typedRangeHashes?: VerifyEndpoint['typedRangeHashes'];
  private hasher: Promise<{ db: DuckDB; dir: string }> | undefined;

  constructor(private readonly engine: SqlEngine) {
    this.label = engine.label;
    if (engine.dialect === 'duckdb') this.typedRangeHashes = (...args) => this.typedInEngine(...args);
    else if (engine.copyOut) {
      const copyOut = engine.copyOut;
      this.typedRangeHashes = (...args) => this.typedThroughCopy(copyOut, ...args);
    }
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
    return toRangeHashes(
      await this.query(rangeHashesSql(this.engine.dialect, table, columns, key, within, bounds)),
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
    if (!exact && isIntegerKey(key)) return this.interpolatedKeys(table, key, range, wanted);
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

  /**
   * Bounds of a large range of a single integer key, evenly spaced between its min and max (an
   * index lookup in PostgreSQL) rather than sampled: keys are usually dense, and sampling 10M
   * rows cost a second before the first pass could start. Sparse keys only make uneven ranges,
   * which cost extra passes where ranges differ, never a wrong result.
   */
  private async interpolatedKeys(
    table: TableRef,
    key: readonly CanonicalColumn[],
    range: KeyRange,
    wanted: number,
  ): Promise<KeyTuple[]> {
    const dialect = this.engine.dialect;
    const column = quoteIdent(key[0]?.name ?? '');
    const [row] = await this.query(
      `SELECT ${castText(dialect, `min(${column})`)} AS lo, ${castText(dialect, `max(${column})`)} AS hi` +
        ` FROM ${tableSql(table)} WHERE ${rangeSql(dialect, key, range)}`,
    );
    if (row?.lo === null || row?.lo === undefined || row.hi === null || row.hi === undefined) return [];
    const low = BigInt(String(row.lo));
    const span = BigInt(String(row.hi)) - low;
    const bounds: KeyTuple[] = [];
    for (let i = 1n; i <= BigInt(wanted); i++) {
      const bound = String(low + (span * i) / BigInt(wanted + 1));
      if (bound !== String(low) && bound !== bounds[bounds.length - 1]?.[0]) bounds.push([bound]);
    }
    return bounds;
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

  async close(): Promise<void> {
    const hasher = this.hasher;
    this.hasher = undefined;
    if (hasher) {
      const opened = await hasher.catch(() => undefined);
      opened?.db.close();
      if (opened) rmSync(opened.dir, { recursive: true, force: true });
    }
    await this.engine.close();
  }

  /** The fast fingerprint computed by the DuckDB that holds the table. */
  private async typedInEngine(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>> {
    const where = rangesSql('duckdb', key, within);
    return toRangeHashes(await this.query(typedRangeHashesSql(tableSql(table), where, columns, key, bounds)));
  }

  /** The fast fingerprint of PostgreSQL rows: selected by range in PostgreSQL, hashed by a local DuckDB. */
  private async typedThroughCopy(
    copyOut: (sql: string) => AsyncIterable<Buffer>,
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>> {
    const sql = copyOutSql(table, columns, rangesSql('postgres', key, within));
    const { db, dir } = await this.openHasher();
    return this.guarded(sql, () =>
      hashCopyOutput({ copy: copyOut(sql), db, stageDir: dir, columns, key, bounds }),
    );
  }

  private openHasher(): Promise<{ db: DuckDB; dir: string }> {
    this.hasher ??= (async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-verify-copy-'));
      try {
        // One thread: PostgreSQL's COPY has the other core, and idle DuckDB workers spin.
        return { db: await openDuckDB({ threads: 1 }), dir };
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    })();
    return this.hasher;
  }

  private query(sql: string): Promise<readonly Record<string, unknown>[]> {
    return this.guarded(sql, () => this.engine.run(sql));
  }

  /** Runs `action` for `sql`, turning engine and driver errors into one SOURCE_READ that says whether the connection was lost. */
  private async guarded<T>(sql: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
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
