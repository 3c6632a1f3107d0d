/** Background uploads: bounded overlap, failures never lost, settle waits for everything. */
import { describe, expect, it } from 'vitest';
import { BackgroundUploads } from '../../src/destinations/lake/background-uploads.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('BackgroundUploads', () => {
  it('runs at most `limit` uploads at once and drains them all', async () => {
    const uploads = new BackgroundUploads(2);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 6; i++) {
      await uploads.add(async () => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        done.push(i);
      });
    }
    await uploads.drain();
    expect(peak).toBe(2);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reports a failure at the next add, and again at drain', async () => {
    const uploads = new BackgroundUploads(2);
    await uploads.add(async () => {
      throw new Error('upload 1 failed');
    });
    await tick();
    await expect(uploads.add(async () => {})).rejects.toThrow('upload 1 failed');
    await expect(uploads.drain()).rejects.toThrow('upload 1 failed');
  });

  it('settles without throwing, after every upload has ended', async () => {
    const uploads = new BackgroundUploads(2);
    let finished = false;
    await uploads.add(async () => {
      await tick();
      finished = true;
    });
    await uploads.add(async () => {
      throw new Error('lost');
    });
    await uploads.settle();
    expect(finished).toBe(true);
  });
});
