import { z } from 'zod';
import { connectTimeoutOption, parallelismOption } from '../connection-options.js';

/** One schema gives validation, the TypeScript type, docs and the UI form of a PostgreSQL source. */
export const postgresConfigSchema = z.object({
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//i, { message: 'must start with postgres:// or postgresql://' })
    .describe('Connection URL, e.g. postgres://user:password@host:5432/database (sslmode=… is honoured).'),
  schema: z.string().min(1).default('public').describe('Schema whose tables are discovered and read.'),
  ssl: z
    .boolean()
    .optional()
    .describe('Use TLS (true) or not (false) when the URL has no sslmode; an sslmode in the URL wins.'),
  parallelism: parallelismOption(
    'Connections that read the key ranges of one large table side by side, all from one snapshot (resumable full loads).',
  ),
  connectTimeoutMs: connectTimeoutOption,
});

export type PostgresConfig = z.output<typeof postgresConfigSchema>;
