import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import { connectTimeoutOption, parallelismOption } from '../connection-options.js';

/** One schema gives validation, the TypeScript type, docs and the UI form of a MySQL/MariaDB source. */
export const mysqlConfigSchema = z.object({
  url: z
    .string()
    .regex(/^(mysql|mariadb):\/\/[^/?#]+\/[^/?#]+/i, {
      message: 'must be mysql://user:password@host:3306/database (or mariadb://…) and name a database',
    })
    .describe('Connection URL, e.g. mysql://user:password@host:3306/shop; the database is the namespace.'),
  parallelism: parallelismOption(
    'Connections that read one large table side by side, each a range of its integer primary key.',
  ),
  splitMinRows: z
    .number()
    .int()
    .positive()
    .default(1_000_000)
    .describe('Tables estimated below this many rows are read on one connection.'),
  ssl: z.boolean().optional().describe('Use TLS with certificate verification (true) or not (default).'),
  connectTimeoutMs: connectTimeoutOption,
});

export type MysqlConfig = z.output<typeof mysqlConfigSchema>;

/** URL parameters Sluice reads itself; they are taken out before the driver sees the URL. */
const URL_PARAMETERS = ['parallelism', 'splitMinRows', 'ssl'] as const;

/**
 * The validated config of a `mysql://user:pass@host:3306/db[?parallelism=4&splitMinRows=…&ssl=true]`
 * URL (`mariadb://` too). Parsing only: a bad URL is a USAGE error naming the problem.
 */
export function mysqlConfigFromUrl(url: string): MysqlConfig {
  const queryStart = url.indexOf('?');
  const base = queryStart < 0 ? url : url.slice(0, queryStart);
  const params = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
  const unknown = [...params.keys()].filter((key) => !(URL_PARAMETERS as readonly string[]).includes(key));
  const usage = (problem: string) =>
    new SluiceError('USAGE', `invalid MySQL source ${redactUrl(url)}: ${problem}`, {
      hint: 'use mysql://user:password@host:3306/database[?parallelism=4] (mariadb:// too; percent-encode special characters in the password)',
    });
  if (unknown.length > 0)
    throw usage(`unknown parameter ${unknown.join(', ')} (known: ${URL_PARAMETERS.join(', ')})`);
  const number = (key: string) => (params.has(key) ? Number(params.get(key)) : undefined);
  const ssl = params.get('ssl');
  if (ssl !== null && ssl !== 'true' && ssl !== 'false') throw usage('ssl must be true or false');
  const parsed = mysqlConfigSchema.safeParse({
    url: base,
    parallelism: number('parallelism'),
    splitMinRows: number('splitMinRows'),
    ssl: ssl === null ? undefined : ssl === 'true',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usage(`${issue?.path.join('.') || 'url'} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}
