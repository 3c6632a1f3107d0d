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

  it('gives no place ahead to items that do not count: the next counted item streams meanwhile', async () => {
    // A key-range read: each range's chunk, then a marker that holds nothing.
    const log: string[] = [];
    const source = (async function* () {
      for (let range = 0; range < 3; range++) {
        log.push(`produce chunk ${range}`);
        await new Promise((r) => setTimeout(r, 5));
        yield `chunk ${range}`;
        yield `end ${range}`;
      }
    })();
    const seen: string[] = [];
    for await (const item of readAhead(source, 1, (item) => item.startsWith('chunk'))) {
      seen.push(item);
      if (item.startsWith('chunk')) await new Promise((r) => setTimeout(r, 30));
      log.push(`consumed ${item}`);
    }
    expect(seen).toEqual(['chunk 0', 'end 0', 'chunk 1', 'end 1', 'chunk 2', 'end 2']);
    // The next range's chunk streams while the consumer still works on this one...
    expect(log.indexOf('produce chunk 1')).toBeLessThan(log.indexOf('consumed chunk 0'));
    expect(log.indexOf('produce chunk 2')).toBeLessThan(log.indexOf('consumed chunk 1'));
    // ...but never two chunks ahead.
    expect(log.indexOf('produce chunk 2')).toBeGreaterThan(log.indexOf('consumed chunk 0'));

    // Counted, the marker took the place and the next chunk waited for the consumer.
    log.length = 0;
    const counted = (async function* () {
      for (let range = 0; range < 2; range++) {
        log.push(`produce chunk ${range}`);
        yield `chunk ${range}`;
        yield `end ${range}`;
      }
    })();
    for await (const item of readAhead(counted, 1)) {
      if (item.startsWith('chunk')) await new Promise((r) => setTimeout(r, 30));
      log.push(`consumed ${item}`);
    }
    expect(log.indexOf('produce chunk 1')).toBeGreaterThan(log.indexOf('consumed chunk 0'));
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
