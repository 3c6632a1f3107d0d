import { describe, expect, it } from 'vitest';
import { mapLimited } from '../../src/core/map-limited.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimited', () => {
  it('keeps the results in list order with at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    const results = await mapLimited(items, 3, async (item, index) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Later items finish first, so order cannot come from completion order.
      await tick(20 - item);
      inFlight -= 1;
      return `${item}@${index}`;
    });
    expect(results).toEqual(items.map((i) => `${i}@${i}`));
    expect(most).toBe(3);
  });

  it('rejects with the first failure and starts no call after it', async () => {
    const started: number[] = [];
    const failing = mapLimited([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      await tick(5);
      if (item === 1) throw new Error('item 1 failed');
      return item;
    });
    await expect(failing).rejects.toThrow('item 1 failed');
    await tick(30);
    expect(started).toEqual([0, 1, 2]);
  });

  it('returns an empty list for no items', async () => {
    expect(await mapLimited([], 4, () => Promise.resolve(1))).toEqual([]);
  });
});
