/**
 * A full load that survives a crash: the source's rows are cut into key ranges
 * (connectors/key-range-read.ts), each finished range is committed to the destination's staging
 * area (the lake table's `sluice-load` branch) with the set of ranges done as its position, and
 * the last range goes with the one commit that publishes the whole load. A run that finds the
 * same load staged — after a SIGKILL, or a retry after a cut connection — reads only the ranges
 * not done yet. The table's readers see the previous version until that last commit.
 *
 * A resumed load is the union of ranges read at different times, from different snapshots (what
 * every resumable loader does): a row that moved between ranges across the crash may appear in
 * neither or, were ranges not disjoint, twice; ranges are disjoint by key and cover every key,
 * so each key is loaded at most once and every row present when its range was read is loaded.
 */
import { SluiceError } from '../core/errors.js';
import type { StagedChunk, StreamPlan } from '../core/stream.js';
import type { KeyRangePlan, KeyRangeSource } from '../connectors/key-range-read.js';
import { parseKeyRangePlan, rangeCount } from '../connectors/key-range-read.js';
import type { StagedLoadWriter } from '../destinations/destination.js';
import { formatRangeSet, parseRangeSet } from './range-set.js';
import { readAhead } from './read-ahead.js';

/** Default rows per key range (and so per staged commit) of a resumable load. */
export const DEFAULT_CHUNK_ROWS = 1_000_000;
/** Most ranges a load is cut into: each is a commit and a line of the position. */
export const MAX_RANGES = 1000;

/** What a key-range load did, besides the chunks it handed on. */
export interface RangeLoadOutcome {
  /** Ranges of the load. */
  ranges: number;
  /** Ranges an earlier run had committed, not read again. */
  rangesSkipped: number;
  /** Rows of those ranges. */
  rowsResumed: number;
}

/** Everything `loadKeyRanges` needs besides the source and the writer. */
export interface RangeLoadOptions {
  /** The read plan, with its stage directory. */
  plan: StreamPlan;
  /** Rows per range when the load is planned anew. */
  rowsPerRange: number;
  /** Handles one staged chunk of a range: write it with the writer, record its manifest. */
  write: (chunk: StagedChunk, range: number) => Promise<void>;
  /** Told before ranges are read: the ranges already committed (resumed), which are skipped. */
  onResume?: (done: ReadonlySet<number>) => Promise<void>;
}

/**
 * Reads the ranges of the load not yet committed and commits each finished one to the writer's
 * staging area, except the last, which the caller commits with the whole load (`writer.commit`).
 */
export async function loadKeyRanges(
  source: KeyRangeSource,
  writer: StagedLoadWriter,
  options: RangeLoadOptions,
): Promise<RangeLoadOutcome> {
  const { plan } = options;
  const resumed = resumedProgress(writer);
  if (!resumed) writer.restart();
  const keys = resumed?.keys ?? (await source.planKeyRanges(plan, options.rowsPerRange, MAX_RANGES));
  const done = new Set(resumed?.done ?? []);
  const total = rangeCount(keys);
  const skipped = done.size;
  await options.onResume?.(done);
  const pending = Array.from({ length: total }, (_, range) => range).filter((range) => !done.has(range));
  const chunksOf = new Map<number, number[]>();
  // A finished range's commit to the staging area runs while the next range's chunks convert
  // (which used to wait for it). One at a time, in range order, each naming only chunks written
  // before it started; all are settled before this returns or throws, so the final commit and
  // an abort see every piece's outcome.
  let checkpoint: Promise<void> | undefined;
  let checkpointFailed = false;
  try {
    // One chunk ahead: the next range streams to disk while this one converts and commits. The
    // end-of-range markers take no place (counted, they serialised reading and converting).
    const events = readAhead(source.readKeyRanges(plan, keys, pending), 1, (event) => 'chunk' in event);
    for await (const event of events) {
      // A failed piece stops the load before its next chunk, not only at the next range's end.
      if (checkpointFailed) await checkpoint;
      if ('chunk' in event) {
        await options.write(event.chunk, event.range);
        chunksOf.set(event.range, [...(chunksOf.get(event.range) ?? []), event.chunk.index]);
        continue;
      }
      done.add(event.range);
      if (done.size < total) {
        const position = { done: formatRangeSet(done), ranges: total };
        const chunks = chunksOf.get(event.range) ?? [];
        chunksOf.delete(event.range);
        await checkpoint;
        checkpoint = writer.checkpoint(chunks, position, keys);
        checkpoint.catch(() => (checkpointFailed = true));
      }
    }
    await checkpoint;
  } catch (error) {
    await checkpoint?.catch(() => undefined);
    throw error;
  }
  if (done.size !== total) {
    throw new SluiceError('SOURCE_READ', `the key-range read ended after ${done.size} of ${total} ranges`, {
      hint: 'this is a bug in the connector: every range it was asked for must end',
    });
  }
  return { ranges: total, rangesSkipped: skipped, rowsResumed: resumed?.rows ?? 0 };
}

/** The staged progress of the same load, or null when there is none or it cannot be read. */
function resumedProgress(
  writer: StagedLoadWriter,
): { keys: KeyRangePlan; done: Set<number>; rows: number } | null {
  const resumed = writer.resumed;
  const keys = resumed ? parseKeyRangePlan(resumed.plan) : null;
  const text = resumed?.position?.['done'];
  if (!resumed || !keys || typeof text !== 'string') return null;
  try {
    const done = parseRangeSet(text);
    // A set naming ranges the plan does not have was not written for this plan.
    return [...done].every((range) => range < rangeCount(keys)) ? { keys, done, rows: resumed.rows } : null;
  } catch {
    return null;
  }
}
