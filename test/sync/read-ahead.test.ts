import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/sync/read-ahead.js';

/** A source that records when each item is produced relative to consumption. */
function recordingSource(count: number, log: string[]) {
  return (async function* () {
    for (let i = 0; i < count; i++) {
      log.push(`produce ${i}`);
      await new Promise((r) => setTimeout(r, 1));
      yield i;
    }
  })();
}

describe('readAhead', () => {
  it('yields every item once, in order', async () => {
    const seen: number[] = [];
    for await (const item of readAhead(recordingSource(10, []), 2)) seen.push(item);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('produces the next item while the consumer still works on the current one, but no further than depth', async () => {
    const log: string[] = [];
    for await (const item of readAhead(recordingSource(4, log), 1)) {
      await new Promise((r) => setTimeout(r, 20));
      log.push(`consumed ${item}`);
    }
    // Item 1 is produced before item 0 is consumed; item 2 is not (depth 1).
    expect(log.indexOf('produce 1')).toBeLessThan(log.indexOf('consumed 0'));
    expect(log.indexOf('produce 2')).toBeGreaterThan(log.indexOf('consumed 0'));
  });

  it('passes the source error to the consumer and stops the source when the consumer stops', async () => {
    const failing = (async function* () {
      yield 1;
      throw new Error('connection lost');
    })();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(failing, 2)) seen.push(item);
      })(),
    ).rejects.toThrow('connection lost');
    expect(seen).toEqual([1]);

    let closed = false;
    const endless = (async function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    })();
    for await (const item of readAhead(endless, 1)) if (item === 3) break;
    expect(closed).toBe(true);
  });
});
