/**
 * Deleting files the lake no longer references. Only files under the lake root are touched: a
 * location elsewhere (a table registered from another place) is left alone rather than deleted
 * through a path the lake does not own.
 */
import type { ObjectStorage } from '../storage/storage.js';

/** Deletes the files at `urls` that lie under the store's root; returns how many were deleted. */
export async function deleteLakeFiles(storage: ObjectStorage, urls: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const url of urls) {
    let key: string;
    try {
      key = storage.keyOf(url);
    } catch {
      continue;
    }
    await storage.delete(key);
    deleted += 1;
  }
  return deleted;
}
