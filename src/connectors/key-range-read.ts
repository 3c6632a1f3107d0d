/**
 * Full reads split into ranges of the first primary key column, for loads that commit range by
 * range and resume after a crash from the last committed range (sync/resumable-load.ts).
 *
 * A plan is a sorted list of bounds b0 < b1 < … < b(n-2) cutting the key domain into n ranges:
 * range 0 is key < b0 (and NULL keys), range i is b(i-1) <= key < b(i), the last is key >=
 * b(n-2). The ranges are disjoint and cover every possible key, so a plan made yesterday still
 * reads every row of today's table exactly once, whatever was inserted or deleted meanwhile.
 * Bounds are kept as the source's own text of the key value (JSON-safe, exact for every type).
 */
import { SluiceError } from '../core/errors.js';
import type { StagedChunk, StreamPlan } from '../core/stream.js';
import type { Connector } from './connector.js';

/** How a stream's rows are cut into key ranges. */
export interface KeyRangePlan {
  /** The key column the ranges cut; null when the stream is read as one range (no usable key). */
  column: string | null;
  /** Sorted, distinct bounds in the source's text form: `bounds.length + 1` ranges. */
  bounds: string[];
}

/** One event of a key-range read: a staged chunk of a range, or the end of a range. */
export type KeyRangeEvent =
  | {
      /** The range the chunk belongs to. */
      range: number;
      /** A staged chunk (numbered 0, 1, … across the whole read). */
      chunk: StagedChunk;
    }
  | {
      /** The range that is complete: every chunk of it came before this event. */
      range: number;
      /** Marks the end of the range. */
      done: true;
    };

/** A source whose full reads can be cut into key ranges and read range by range. */
export interface KeyRangeSource {
  /**
   * Plans ranges of about `rowsPerRange` rows (by sampling the key column; no more than
   * `maxRanges`). A stream without a usable key is one range.
   */
  planKeyRanges(plan: StreamPlan, rowsPerRange: number, maxRanges: number): Promise<KeyRangePlan>;
  /**
   * Reads the given ranges of `keys` (each exactly once, from one snapshot for the whole call),
   * yielding each range's chunks followed by its end. Ranges may interleave when read in parallel.
   */
  readKeyRanges(
    plan: StreamPlan,
    keys: KeyRangePlan,
    ranges: readonly number[],
  ): AsyncIterable<KeyRangeEvent>;
}

/** True when `connector` reads full streams range by range. */
export function canReadKeyRanges(connector: Connector): connector is Connector & KeyRangeSource {
  const candidate = connector as Partial<KeyRangeSource>;
  return typeof candidate.planKeyRanges === 'function' && typeof candidate.readKeyRanges === 'function';
}

/** Number of ranges of a plan. */
export function rangeCount(keys: KeyRangePlan): number {
  return keys.column === null ? 1 : keys.bounds.length + 1;
}

/** The plan as it was recorded (JSON), or null when it is not a key-range plan. */
export function parseKeyRangePlan(value: unknown): KeyRangePlan | null {
  if (value === null || typeof value !== 'object') return null;
  const { column, bounds } = value as Partial<KeyRangePlan>;
  if (column !== null && typeof column !== 'string') return null;
  if (!Array.isArray(bounds) || !bounds.every((bound) => typeof bound === 'string')) return null;
  return { column, bounds };
}

/**
 * The inclusive lower and exclusive upper bound of range `index` (null: unbounded), checked
 * against the plan.
 */
export function rangeBounds(keys: KeyRangePlan, index: number): { from: string | null; to: string | null } {
  if (!Number.isInteger(index) || index < 0 || index >= rangeCount(keys)) {
    throw new SluiceError('USAGE', `key range ${index} is not in the plan (${rangeCount(keys)} ranges)`, {
      hint: 'this is a bug in Sluice',
    });
  }
  return { from: keys.bounds[index - 1] ?? null, to: keys.bounds[index] ?? null };
}

/** Size of the first and last range, and of the second and last but one, against the others. */
const END_RANGE_SIZES = [0.25, 0.5];

/**
 * Where the bounds of a load of about `parts` equal ranges fall, as ascending fractions of its
 * rows in key order (each strictly between 0 and 1; one fewer than the ranges). The first two
 * and the last two ranges are a quarter and a half of the others. A load's rows pass through a
 * pipeline (the source's export, the typed decode, the destination's write): nothing downstream
 * starts before the first range is read whole, and the last range is decoded and written after
 * the source has finished, with the stages before it idle. Smaller ranges at both ends shorten
 * both stretches; in the middle, bigger ranges mean fewer commits. Up to 3 parts (or when the
 * extra ranges would pass `maxRanges`) the ranges are equal.
 */
export function rangeFractions(parts: number, maxRanges = Number.POSITIVE_INFINITY): number[] {
  const ends = END_RANGE_SIZES.length;
  const sizes =
    parts <= 3 || parts - 1 + 2 * ends > maxRanges
      ? Array.from({ length: Math.max(1, parts) }, () => 1)
      : [
          ...END_RANGE_SIZES,
          ...Array.from({ length: parts - 1 }, () => 1),
          ...[...END_RANGE_SIZES].reverse(),
        ];
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const fractions: number[] = [];
  let sum = 0;
  for (const size of sizes.slice(0, -1)) {
    sum += size;
    fractions.push(sum / total);
  }
  return fractions;
}

/** Picks `parts - 1` bounds from sorted, possibly repeating sample keys: distinct, evenly spaced. */
export function boundsFromSample(sortedKeys: readonly string[], parts: number): string[] {
  const bounds: string[] = [];
  for (let i = 1; i < parts; i++) {
    const key = sortedKeys[Math.floor((i * sortedKeys.length) / parts)];
    if (key !== undefined && key !== bounds[bounds.length - 1] && key !== sortedKeys[0]) bounds.push(key);
  }
  return bounds;
}
