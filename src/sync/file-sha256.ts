import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * sha256 of a file, hex. Staged chunks are hashed right after staging, before the destination
 * consumes (and deletes) them; the file was just written, so this reads from the page cache.
 */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const data of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(data as Buffer);
  return hash.digest('hex');
}
