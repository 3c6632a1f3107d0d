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

type Pulled = { reader: number; result: IteratorResult<StagedChunk> } | { reader: number; error: unknown };

export async function* interleaveChunks(
  readers: readonly AsyncGenerator<StagedChunk>[],
  stop: () => void,
): AsyncGenerator<StagedChunk> {
  const pending = new Map<number, Promise<Pulled>>();
  const pull = (reader: number) => {
    const next = (readers[reader] as AsyncGenerator<StagedChunk>).next().then(
      (result): Pulled => ({ reader, result }),
      // Kept as a value: a failure must surface through the race, never as an unhandled rejection.
      (error: unknown): Pulled => ({ reader, error }),
    );
    pending.set(reader, next);
  };
  readers.forEach((_, reader) => pull(reader));
  let index = 0;
  let finished = false;
  try {
    while (pending.size > 0) {
      const pulled = await Promise.race(pending.values());
      pending.delete(pulled.reader);
      if ('error' in pulled) throw pulled.error;
      if (pulled.result.done) continue;
      yield { ...pulled.result.value, index: index++ };
      pull(pulled.reader);
    }
    finished = true;
  } finally {
    if (!finished) {
      stop();
      for (const pulled of await Promise.all(pending.values())) {
        if ('result' in pulled && !pulled.result.done) await rm(pulled.result.value.path, { force: true });
      }
      await Promise.allSettled(readers.map((reader) => reader.return(undefined)));
    }
  }
}
