/**
 * Ids generated in code, so the schema needs no SERIAL/AUTOINCREMENT and ids are the same in both
 * homes. ULID layout: 48-bit millisecond time then 80 random bits, in Crockford base32, so ids
 * sort by creation time (to the millisecond) and read well in logs: `run_01JD3…`.
 */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeBase32(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[Number(value & 31n)]! + out;
    value >>= 5n;
  }
  return out;
}

/** A new time-ordered id such as `run_01JD3Q7Z8W6XKJ2M4N5P6R7S8T`. */
export function newId(prefix: string, now: number = Date.now()): string {
  const random = BigInt(`0x${randomBytes(10).toString('hex')}`);
  return `${prefix}_${encodeBase32(BigInt(now), 10)}${encodeBase32(random, 16)}`;
}
