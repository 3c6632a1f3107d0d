/**
 * Merges the chunk streams of several readers of one stream (key ranges read side by side) into
 * one, in the order chunks complete, numbered 0, 1, … as the Connector contract requires. A
 * reader is pulled again only after its last chunk was taken, so at most one finished chunk per
 * reader waits on disk. When the merge ends early — the consumer stopped, or a reader failed —
 * `stop` runs first (e.g. cutting connections, so readers blocked on the network end now), then
 * every reader is closed and its unfinished chunk removed, and so is every finished chunk that
 * was never handed on; the first failure is rethrown.
 */
import { rm } from 'node:fs/promises';
import type { StagedChunk } from '../core/stream.js';

type Pulled<T> = { reader: number; result: IteratorResult<T> } | { reader: number; error: unknown };

export async function* interleaveChunks(
  readers: readonly AsyncGenerator<StagedChunk>[],
  stop: () => void,
): AsyncGenerator<StagedChunk> {
  let index = 0;
  const discard = (chunk: StagedChunk) => rm(chunk.path, { force: true });
  for await (const chunk of interleave(readers, stop, discard)) yield { ...chunk, index: index++ };
}

/**
 * The merge itself, for items of any kind (e.g. key-range events carrying chunks): `discard`
 * removes what a finished item left on disk when it is never handed on.
 */
export async function* interleave<T>(
  readers: readonly AsyncGenerator<T>[],
  stop: () => void,
  discard: (item: T) => Promise<void>,
): AsyncGenerator<T> {
  const pending = new Map<number, Promise<Pulled<T>>>();
  const pull = (reader: number) => {
    const next = (readers[reader] as AsyncGenerator<T>).next().then(
      (result): Pulled<T> => ({ reader, result }),
      // Kept as a value: a failure must surface through the race, never as an unhandled rejection.
      (error: unknown): Pulled<T> => ({ reader, error }),
    );
    pending.set(reader, next);
  };
  readers.forEach((_, reader) => pull(reader));
  let finished = false;
  try {
    while (pending.size > 0) {
      const pulled = await Promise.race(pending.values());
      pending.delete(pulled.reader);
      if ('error' in pulled) throw pulled.error;
      if (pulled.result.done) continue;
      yield pulled.result.value;
      pull(pulled.reader);
    }
    finished = true;
  } finally {
    if (!finished) {
      stop();
      for (const pulled of await Promise.all(pending.values())) {
        if ('result' in pulled && !pulled.result.done) await discard(pulled.result.value);
      }
      await Promise.allSettled(readers.map((reader) => reader.return(undefined)));
    }
  }
}
