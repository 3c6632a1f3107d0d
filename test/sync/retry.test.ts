import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/core/errors.js';
import { backoffDelay, withRetry } from '../../src/sync/retry.js';

const transient = () => new SluiceError('SOURCE_READ', 'connection lost', { retryable: true });
const policy = { attempts: 4, baseMs: 1, maxMs: 4 };

describe('withRetry', () => {
  it('retries retryable errors until the operation succeeds', async () => {
    const seen: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw transient();
        return 'done';
      },
      { ...policy, onRetry: (_error, attempt) => seen.push(-attempt) },
    );
    expect(result).toBe('done');
    expect(seen).toEqual([1, -1, 2, -2, 3]);
  });

  it('throws a terminal error at once, and a retryable one after the last attempt', async () => {
    let calls = 0;
    const terminal = new SluiceError('SOURCE_CONNECT', 'bad password');
    await expect(
      withRetry(async () => {
        calls++;
        throw terminal;
      }, policy),
    ).rejects.toBe(terminal);
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw transient();
      }, policy),
    ).rejects.toMatchObject({ retryable: true });
    expect(calls).toBe(4);

    calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('not a SluiceError');
      }, policy),
    ).rejects.toThrow('not a SluiceError');
    expect(calls).toBe(1);
  });

  it('stops retrying once its signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          controller.abort();
          throw transient();
        },
        { ...policy, signal: controller.signal },
      ),
    ).rejects.toMatchObject({ retryable: true });
    expect(calls).toBe(1);
  });

  it('backs off exponentially with full jitter up to the ceiling', () => {
    const p = { attempts: 10, baseMs: 500, maxMs: 30_000 };
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(p, n, top))).toEqual([
      499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999,
    ]);
    expect(backoffDelay(p, 5, () => 0)).toBe(0);
    expect(backoffDelay(p, 5, () => 0.5)).toBe(4000);
  });
});
