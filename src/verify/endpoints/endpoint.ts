/**
 * One side of `sluice verify`: something that lists tables and hashes their rows in its own
 * engine (PostgreSQL SQL, DuckDB over the lake, JavaScript over SQLite rows), with the canonical
 * rendering of `row-hash.ts`, so two endpoints of different kinds produce comparable numbers.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import type { StreamSchema } from '../../core/stream.js';
import type { KeyRange, KeyTuple } from '../key-ranges.js';
import type { TableRef } from '../row-hash.js';

/** A table as an endpoint sees it (discovery's shape). */
export type VerifyTable = StreamSchema;

/** Row count and hash sum of one bucket of a `rangeHashes` call. */
export interface RangeHash {
  /** Rows in the bucket. */
  rows: number;
  /** Exact sum of the rows' 60-bit hashes, as decimal digits. */
  hashSum: string;
}

/** One row of a `rowHashes` call. */
export interface LeafRow {
  /** Canonical text of the key columns (TAB-joined), or of the whole row when the key is all columns. */
  key: string;
  /** 15-hex-digit hash of the row's canonical text. */
  hash: string;
  /** 8 hex digits per compared column, in column order, to name the columns that changed. */
  columnHashes: string;
}

/** An open endpoint. Every method throws SluiceError when the endpoint fails, never returns partial data. */
export interface VerifyEndpoint {
  /** What the endpoint is, safe to print (passwords redacted). */
  readonly label: string;
  /** Tables with columns in canonical types, primary keys and row counts or estimates. */
  listTables(): Promise<VerifyTable[]>;
  /**
   * Row count and hash sum per bucket of `bounds` (bucket i lies between bounds i−1 and i, see
   * `key-ranges.ts`), over the rows inside `within` only; buckets without rows are left out.
   * With no bounds this is the fingerprint of `within` (bucket 0).
   */
  rangeHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>>;
  /**
   * Optional fast path: `rangeHashes` with the fingerprint of `typed-hash.ts` (DuckDB's `hash()`
   * of the typed values, computed in this process) instead of md5 sums. Its numbers are only
   * comparable with another endpoint's `typedRangeHashes`: bisection uses it when both sides
   * have it, `rangeHashes` otherwise.
   */
  typedRangeHashes?(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>>;
  /**
   * About `wanted` keys inside `range`, sorted in key order and roughly evenly spaced, to split
   * it into sub-ranges; `rows` is the range's row count, so large ranges can be sampled rather
   * than read. Keys with a NULL are left out.
   */
  sampleKeys(
    table: TableRef,
    key: readonly CanonicalColumn[],
    range: KeyRange,
    rows: number,
    wanted: number,
  ): Promise<KeyTuple[]>;
  /** Key, row hash and per-column hashes of every row inside `ranges` (`key` may be every column). */
  rowHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    key: readonly CanonicalColumn[],
    ranges: readonly KeyRange[],
  ): Promise<LeafRow[]>;
  /** Releases connections and engines. Safe to call twice. */
  close(): Promise<void>;
}
