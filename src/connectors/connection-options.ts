/**
 * Config options every networked SQL source (PostgreSQL, MySQL/MariaDB) has, with one set of
 * limits and defaults so that a setting means the same whichever engine it is given to.
 */
import { z } from 'zod';

/**
 * `parallelism`: connections that read one large table side by side (1 to 64, default 1). The
 * description says how the engine splits the table.
 */
export function parallelismOption(description: string) {
  return z.number().int().min(1).max(64).default(1).describe(description);
}

/** `connectTimeoutMs`: how long to wait for a connection (default 10 s). */
export const connectTimeoutOption = z
  .number()
  .int()
  .positive()
  .default(10_000)
  .describe('How long to wait for a connection before giving up.');
