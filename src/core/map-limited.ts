/**
 * Runs an async function over a list with a bounded number of calls in flight: reads from object
 * storage (manifests, data files, file-source downloads) are latency-bound, so a few at a time
 * finish several times sooner than one by one, while a list of thousands never opens thousands
 * of requests at once.
 */

/**
 * `fn` applied to every item of `items`, at most `limit` calls at a time, started in list order;
 * the results in the same order. The first failure rejects the whole call; calls already started
 * run to their end, and no new one starts.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
