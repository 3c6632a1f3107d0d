/**
 * Pulls up to `depth` items from an async iterable ahead of its consumer, so a source keeps
 * streaming the next chunk to disk while the destination converts the current one. The bound
 * keeps staged data (and so disk and memory) flat; `return()` on the result stops the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  let finished = false;
  const fill = () => {
    while (!finished && pending.length <= depth) {
      // Async generators queue next() calls internally, so pulls stay in order.
      const next = iterator.next();
      pending.push(next);
      // Stop queueing pulls after the end or an error; the error surfaces when awaited in order.
      next.then(
        (r) => {
          if (r.done) finished = true;
        },
        () => {
          finished = true;
        },
      );
    }
  };
  try {
    for (;;) {
      fill();
      const head = pending.shift();
      if (!head) return;
      const result = await head;
      if (result.done) return;
      yield result.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
