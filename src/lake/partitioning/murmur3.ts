/**
 * MurmurHash3 x86 32-bit with seed 0, the hash Iceberg's bucket transform is defined with
 * (spec Appendix B). `Math.imul` keeps the 32-bit multiplications exact; the result is signed,
 * as Java's `int` (the spec's published values are signed).
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The signed 32-bit hash of `bytes`. */
export function murmur3x86_32(bytes: Uint8Array): number {
  let h = 0;
  const blocks = bytes.length - (bytes.length % 4);
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = Math.imul(rotl(h ^ mixK(k), 13), 5) + 0xe6546b64;
  }
  const rest = bytes.length - blocks;
  if (rest > 0) {
    let tail = bytes[blocks]!;
    if (rest > 1) tail |= bytes[blocks + 1]! << 8;
    if (rest > 2) tail |= bytes[blocks + 2]! << 16;
    h ^= mixK(tail);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function mixK(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}
