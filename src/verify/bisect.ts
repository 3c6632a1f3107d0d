/**
 * Locates the rows behind a difference without reading whole tables into memory.
 *
 * Level 0 hashes the table in key ranges (bounds sampled from one side) on both sides at once;
 * equal totals end there: the cost of an identical table is one hashing pass per side. Ranges
 * whose (rows, hash sum) differ are split again with bounds sampled inside them — both sides
 * hash only those ranges — until a range holds at most `leafRows` rows; then both sides list
 * the rows of the differing leaves (key, row hash, per-column hashes) and the lists are diffed.
 * A key that cannot be split into ranges (see `key-ranges.ts`) is compared as one range, and a
 * table without a key by the multiset of its whole-row hashes.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { LeafRow, RangeHash, VerifyEndpoint } from './endpoints/endpoint.js';
import {
  WHOLE_TABLE,
  bucketRange,
  canSplitKey,
  sameKey,
  type KeyRange,
  type KeyTuple,
} from './key-ranges.js';
import { COLUMN_HASH_DIGITS } from './range-queries.js';
import { diffRowHashes } from './row-diff.js';
import type { TableRef } from './row-hash.js';

/** One side of a table comparison. */
export interface BisectSide {
  /** Where the table lives. */
  endpoint: VerifyEndpoint;
  /** The table there. */
  table: TableRef;
  /** Compared columns on this side, paired by position with the other side's. */
  columns: readonly CanonicalColumn[];
  /** Key columns on this side (empty: whole-row comparison), paired by position. */
  key: readonly CanonicalColumn[];
}

/** Tuning of the bisection. */
export interface BisectOptions {
  /** A differing range with at most this many rows (on either side) is diffed row by row. */
  leafRows: number;
  /** Sub-ranges a differing range is split into. */
  fanout: number;
  /** Ranges of the first pass, at most. */
  maxTopRanges: number;
  /** Rows the caller expects (estimate; 0 when unknown): sizes the first pass. */
  expectedRows: number;
}

export const DEFAULT_BISECT: Omit<BisectOptions, 'expectedRows'> = {
  leafRows: 1000,
  fanout: 64,
  maxTopRanges: 256,
};

/** What the bisection did, for reports and tests. */
export interface BisectStats {
  /** Hashing passes per side (1 for an identical table). */
  passes: number;
  /** Key ranges whose hashes were compared. */
  rangesCompared: number;
  /** Of those, the ranges that differed. */
  rangesDiffering: number;
  /** Differing ranges whose rows were listed on both sides. */
  leafRanges: number;
  /** Row hashes fetched, both sides together. */
  rowsFetched: number;
  /** True when the passes used the fast typed hashes (`typed-hash.ts`), false for md5 sums. */
  typedHashing: boolean;
}

/** A changed row: its key and the compared columns whose values differ. */
export interface ChangedRow {
  /** Canonical key text. */
  key: string;
  /** Names (source side) of the columns that differ. */
  columns: string[];
}

/** The outcome for one table. */
export interface BisectResult {
  /** Rows on the source side. */
  sourceRows: number;
  /** Rows on the destination side. */
  destinationRows: number;
  /** True when counts and hash sums are equal. */
  identical: boolean;
  /** Canonical keys (or whole-row texts without a key) only in the source, sorted. */
  missing: string[];
  /** Canonical keys (or whole-row texts) only in the destination, sorted. */
  extra: string[];
  /** Keys on both sides whose rows differ, sorted by key. */
  changed: ChangedRow[];
  /** Counters. */
  stats: BisectStats;
}

/** A range that differs, with both sides' row counts. */
interface Pending {
  range: KeyRange;
  sourceRows: number;
  destinationRows: number;
}

const MAX_DEPTH = 24;
/** Leaf ranges listed per query, to keep the SQL text small. */
const LEAVES_PER_QUERY = 100;

function hashesEqual(a: RangeHash | undefined, b: RangeHash | undefined): boolean {
  return (a?.rows ?? 0) === (b?.rows ?? 0) && (a?.hashSum ?? '0') === (b?.hashSum ?? '0');
}

function total(hashes: Map<number, RangeHash>): { rows: number; sum: bigint } {
  let rows = 0;
  let sum = 0n;
  for (const hash of hashes.values()) {
    rows += hash.rows;
    sum += BigInt(hash.hashSum);
  }
  return { rows, sum };
}

export async function bisectTable(
  source: BisectSide,
  destination: BisectSide,
  options: BisectOptions,
): Promise<BisectResult> {
  const stats: BisectStats = {
    passes: 0,
    rangesCompared: 0,
    rangesDiffering: 0,
    leafRanges: 0,
    rowsFetched: 0,
    typedHashing: false,
  };
  const splittable =
    canSplitKey(source.key) && canSplitKey(destination.key) && source.key.length === destination.key.length;

  // Both sides must hash the same way within a pass: the fast typed hashes when both have them.
  stats.typedHashing = Boolean(source.endpoint.typedRangeHashes && destination.endpoint.typedRangeHashes);
  const hashes = (side: BisectSide, within: readonly KeyRange[], bounds: readonly KeyTuple[]) =>
    stats.typedHashing && side.endpoint.typedRangeHashes
      ? side.endpoint.typedRangeHashes(side.table, side.columns, side.key, within, bounds)
      : side.endpoint.rangeHashes(side.table, side.columns, side.key, within, bounds);
  // Both sides run to the end even when one fails, so no query is left running on a session.
  const bothSides = async (within: readonly KeyRange[], bounds: readonly KeyTuple[]) => {
    const [left, right] = await Promise.allSettled([
      hashes(source, within, bounds),
      hashes(destination, within, bounds),
    ]);
    if (left.status === 'rejected') throw left.reason;
    if (right.status === 'rejected') throw right.reason;
    return [left.value, right.value] as const;
  };
  const hashesOfPass = async (within: readonly KeyRange[], bounds: readonly KeyTuple[]) => {
    if (stats.typedHashing) {
      try {
        return await bothSides(within, bounds);
      } catch (error) {
        // Values the typed path refuses (those a sync cannot carry: BC dates, NaN decimals …)
        // are still compared by their canonical text: the table falls back to md5 sums. A lost
        // connection (retryable) ends the verify instead.
        if (error instanceof SluiceError && error.retryable) throw error;
        stats.typedHashing = false;
      }
    }
    return bothSides(within, bounds);
  };
  const hashPass = async (within: readonly KeyRange[], bounds: readonly KeyTuple[]) => {
    stats.passes++;
    const [left, right] = await hashesOfPass(within, bounds);
    const pending: Pending[] = [];
    const buckets = new Set([...left.keys(), ...right.keys()]);
    stats.rangesCompared += buckets.size;
    for (const index of [...buckets].sort((a, b) => a - b)) {
      if (hashesEqual(left.get(index), right.get(index))) continue;
      pending.push({
        range: bucketRange(bounds, index),
        sourceRows: left.get(index)?.rows ?? 0,
        destinationRows: right.get(index)?.rows ?? 0,
      });
    }
    stats.rangesDiffering += pending.length;
    return { pending, left: total(left), right: total(right) };
  };

  // Level 0: the whole table, already in ranges when it is large enough to need them.
  const topRanges = splittable
    ? Math.min(options.maxTopRanges, Math.ceil(options.expectedRows / options.leafRows))
    : 1;
  const topBounds =
    topRanges > 1
      ? await sampleBounds(
          source,
          destination,
          {
            range: WHOLE_TABLE,
            sourceRows: options.expectedRows,
            destinationRows: options.expectedRows,
          },
          topRanges - 1,
        )
      : [];
  const top = await hashPass([WHOLE_TABLE], topBounds);
  let pending = top.pending;
  const [sourceTotal, destinationTotal] = [top.left, top.right];
  const result: BisectResult = {
    sourceRows: sourceTotal.rows,
    destinationRows: destinationTotal.rows,
    identical: sourceTotal.rows === destinationTotal.rows && sourceTotal.sum === destinationTotal.sum,
    missing: [],
    extra: [],
    changed: [],
    stats,
  };
  if (result.identical) return result;

  const leaves: KeyRange[] = [];
  for (let depth = 0; pending.length > 0; depth++) {
    const parents: { parent: Pending; children: KeyTuple[] }[] = [];
    for (const range of pending) {
      const rows = Math.max(range.sourceRows, range.destinationRows);
      if (!splittable || rows <= options.leafRows || depth >= MAX_DEPTH) {
        leaves.push(range.range);
        continue;
      }
      // Twice as many sub-ranges as the rows need: sampled bounds are uneven, and a sub-range
      // left above the leaf size costs another pass.
      const wanted = Math.min(options.fanout, Math.ceil((2 * rows) / options.leafRows)) - 1;
      const children = await sampleBounds(source, destination, range, wanted);
      if (children.length === 0) leaves.push(range.range);
      else parents.push({ parent: range, children });
    }
    if (parents.length === 0) break;
    const next = await hashPass(
      parents.map(({ parent }) => parent.range),
      mergeBounds(parents.map(({ parent, children }) => [parent.range.low, ...children, parent.range.high])),
    );
    pending = next.pending;
  }
  stats.leafRanges = leaves.length;
  await diffLeaves(source, destination, leaves, result);
  return result;
}

/** Bounds strictly inside `range`, sampled from the side that has more of its rows. */
async function sampleBounds(
  source: BisectSide,
  destination: BisectSide,
  range: Pending,
  wanted: number,
): Promise<KeyTuple[]> {
  const side = range.sourceRows >= range.destinationRows ? source : destination;
  const rows = Math.max(range.sourceRows, range.destinationRows);
  const keys = await side.endpoint.sampleKeys(side.table, side.key, range.range, rows, wanted);
  return keys.filter((key) => !sameKey(key, range.range.low) && !sameKey(key, range.range.high));
}

/** Concatenates per-parent bound lists (already in key order) without repeating a bound. */
function mergeBounds(lists: readonly (readonly (KeyTuple | null)[])[]): KeyTuple[] {
  const merged: KeyTuple[] = [];
  for (const list of lists) {
    for (const bound of list) {
      if (bound === null) continue;
      if (!sameKey(merged[merged.length - 1] ?? null, bound)) merged.push(bound);
    }
  }
  return merged;
}

async function fetchLeaves(side: BisectSide, leaves: readonly KeyRange[]): Promise<LeafRow[]> {
  const rows: LeafRow[] = [];
  for (let start = 0; start < leaves.length; start += LEAVES_PER_QUERY) {
    const batch = leaves.slice(start, start + LEAVES_PER_QUERY);
    rows.push(...(await side.endpoint.rowHashes(side.table, side.columns, side.key, batch)));
  }
  return rows;
}

async function diffLeaves(
  source: BisectSide,
  destination: BisectSide,
  leaves: readonly KeyRange[],
  result: BisectResult,
): Promise<void> {
  if (leaves.length === 0) return;
  const [left, right] = await Promise.all([fetchLeaves(source, leaves), fetchLeaves(destination, leaves)]);
  result.stats.rowsFetched += left.length + right.length;
  if (source.key.length === 0) {
    diffMultisets(left, right, result);
    return;
  }
  // Rows of one key can sit in different leaves on the two sides when engines order keys
  // differently; diffing the union of all leaves pairs them up again.
  const diff = diffRowHashes(left, right);
  result.missing = diff.missing;
  result.extra = diff.extra;
  const leftByKey = new Map(left.map((row) => [row.key, row]));
  const rightByKey = new Map(right.map((row) => [row.key, row]));
  result.changed = diff.changed.map((key) => ({
    key,
    columns: changedColumns(source.columns, leftByKey.get(key), rightByKey.get(key)),
  }));
}

function changedColumns(
  columns: readonly CanonicalColumn[],
  left: LeafRow | undefined,
  right: LeafRow | undefined,
): string[] {
  if (!left || !right) return [];
  return columns
    .filter((_, i) => {
      const slice = (row: LeafRow) =>
        row.columnHashes.slice(i * COLUMN_HASH_DIGITS, (i + 1) * COLUMN_HASH_DIGITS);
      return slice(left) !== slice(right);
    })
    .map((column) => column.name);
}

/** Whole-row multisets: a row present more often on one side is missing (or extra) that many times. */
function diffMultisets(left: readonly LeafRow[], right: readonly LeafRow[], result: BisectResult): void {
  const counts = new Map<string, number>();
  for (const row of left) counts.set(row.key, (counts.get(row.key) ?? 0) + 1);
  for (const row of right) counts.set(row.key, (counts.get(row.key) ?? 0) - 1);
  for (const [row, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (let i = 0; i < Math.abs(count); i++) (count > 0 ? result.missing : result.extra).push(row);
  }
}
