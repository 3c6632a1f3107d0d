/**
 * Sets of completed key ranges as compact text ("0-41,43,45-47"), the position a resumable load
 * commits with each piece: ranges finish out of order when read in parallel, and the text stays
 * short for the thousands of ranges of a very big table.
 */
import { SluiceError } from '../core/errors.js';

/** `done` as runs of consecutive numbers, ascending. */
export function formatRangeSet(done: ReadonlySet<number>): string {
  const sorted = [...done].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length;) {
    const start = sorted[i] as number;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] as number;
    runs.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return runs.join(',');
}

/** The set `text` describes; LAKE_CORRUPT when it is not one `formatRangeSet` wrote. */
export function parseRangeSet(text: string): Set<number> {
  const done = new Set<number>();
  if (text === '') return done;
  for (const run of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(run);
    const start = Number(match?.[1]);
    const end = Number(match?.[2] ?? match?.[1]);
    if (!match || end < start) {
      throw new SluiceError('LAKE_CORRUPT', `unreadable set of loaded key ranges: ${JSON.stringify(text)}`, {
        hint: 'the staged load was edited by hand; the load starts over',
      });
    }
    for (let range = start; range <= end; range++) done.add(range);
  }
  return done;
}
