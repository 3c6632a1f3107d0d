/**
 * Pulls up to `depth` items from an async iterable ahead of its consumer, so a source keeps
 * streaming the next chunk to disk while the destination converts the current one. The bound
 * keeps staged data (and so disk and memory) flat; `return()` on the result stops the source.
 *
 * `counts(item)` says whether an item takes a place in that bound (default: every item). Items
 * that hold nothing, such as the end-of-range markers of a key-range read, must not: counted,
 * a marker would take the one place ahead, and the next range would start streaming only once
 * the consumer had converted the current one (reading and converting took turns).
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  depth: number,
  counts: (item: T) => boolean = () => true,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  /** Pulls not yet handed to the consumer, in order; `free` once known not to count. */
  const pending: { next: Promise<IteratorResult<T>>; free: boolean }[] = [];
  let finished = false;
  /** The consumer stopped: no more pulls, even when a free item resolves afterwards. */
  let stopped = false;
  const pull = () => {
    // Async generators queue next() calls internally, so pulls stay in order.
    const entry = { next: iterator.next(), free: false };
    pending.push(entry);
    // Stop queueing pulls after the end or an error; the error surfaces when awaited in order.
    entry.next.then(
      (r) => {
        if (r.done) finished = true;
        else if (counts(r.value)) return;
        // Holds nothing (or ends the source): its place goes to the next pull.
        entry.free = true;
        fill();
      },
      () => {
        finished = true;
      },
    );
  };
  const fill = () => {
    while (!finished && !stopped && pending.filter((entry) => !entry.free).length < depth) pull();
  };
  try {
    for (;;) {
      if (pending.length === 0 && !finished) pull();
      const head = pending.shift();
      if (!head) return;
      fill();
      const result = await head.next;
      if (result.done) return;
      yield result.value;
    }
  } finally {
    stopped = true;
    if (!finished) await iterator.return?.();
  }
}
