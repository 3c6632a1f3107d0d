import { z } from 'zod';

/** One schema gives validation, the TypeScript type, docs and the UI form of a SQLite source. */
export const sqliteConfigSchema = z.object({
  path: z.string().min(1).describe('Path of the SQLite database file; opened read-only, never created.'),
});

export type SqliteConfig = z.output<typeof sqliteConfigSchema>;
