/**
 * Turns a `--from` URL into a connector. Parsing only: creating a connector does no I/O, so a
 * bad URL fails fast with a usage error and a good one fails later, in check(), with a hint.
 *
 *   postgres://user:password@host:5432/database[?schema=name&parallelism=4]   (postgresql:// too; default schema public)
 *   sqlite:<path>                                                (relative to the current directory)
 *   mysql://user:password@host:3306/database[?parallelism=4]     (mariadb:// too; namespace = the database)
 *   file:<path, directory or glob>[?table=…&format=…]            (namespace files; see files/files-url.ts)
 *   s3://bucket/prefix/<glob>[?endpoint=…&region=…&path_style=…]  (the same, in an S3-compatible bucket)
 */
import path from 'node:path';
import { SluiceError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { Connector, SourceCapabilities } from './connector.js';
import { FilesConnector } from './files/files-connector.js';
import { filesConfigFromUrl } from './files/files-url.js';
import { mysqlConfigFromUrl } from './mysql/mysql-config.js';
import { MysqlConnector } from './mysql/mysql-connector.js';
import { PostgresConnector, postgresConnectorDefinition } from './postgres/postgres-connector.js';
import type { PostgresConfig } from './postgres/postgres-config.js';
import { SqliteConnector, sqliteConnectorDefinition } from './sqlite/sqlite-connector.js';

/** A connector made from a URL, with what the URL chose. */
export interface SourceConnector extends Connector {
  /** Source type: 'postgres', 'sqlite' or 'mysql' (for mariadb:// too). */
  readonly type: string;
  /** The namespace discover() lists: the PostgreSQL schema, `main` for SQLite, the MySQL database. */
  readonly namespace: string;
  /** What the source can do beyond full reads (its definition's capabilities); absent: full reads only. */
  readonly capabilities?: SourceCapabilities;
}

const SUPPORTED =
  'postgres://user@host:5432/database[?schema=name], postgresql://…, sqlite:<path>, mysql://user@host:3306/database, mariadb://…, file:<path or glob>, s3://bucket/prefix/<glob>';
/** Sources that arrive in later issues: a clear "not yet" instead of "unknown URL". */
const LATER: readonly [RegExp, string][] = [];

export function connectorForUrl(url: string): SourceConnector {
  if (/^postgres(ql)?:\/\//i.test(url)) return postgresFromUrl(url);
  if (/^sqlite:/i.test(url)) return sqliteFromUrl(url);
  if (/^(mysql|mariadb):\/\//i.test(url)) return new MysqlConnector(mysqlConfigFromUrl(url));
  if (/^(file:|s3:\/\/)/i.test(url)) return new FilesConnector(filesConfigFromUrl(url));
  for (const [pattern, kind] of LATER) {
    if (pattern.test(url)) {
      throw new SluiceError('NOT_SUPPORTED', `${kind} sources are not yet supported`, {
        hint: `${kind} sources arrive with the source connectors issue; supported today: postgres://, sqlite:, mysql://, mariadb://`,
      });
    }
  }
  throw new SluiceError('USAGE', `unrecognised source URL: ${redactUrl(url)}`, {
    hint: `use one of: ${SUPPORTED}`,
  });
}

function postgresFromUrl(url: string): SourceConnector {
  return new PostgresConnector(postgresConfigFromUrl(url));
}

/** The validated PostgreSQL config of a `postgres://…[?schema=s]` URL (also for `sluice verify`'s own sessions). */
export function postgresConfigFromUrl(url: string): PostgresConfig {
  // `schema` is Sluice's parameter, not libpq's: take it out before the driver sees the URL.
  const queryStart = url.indexOf('?');
  const params = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
  const schema = params.get('schema') ?? undefined;
  params.delete('schema');
  const parallelism = params.has('parallelism') ? Number(params.get('parallelism')) : undefined;
  params.delete('parallelism');
  const base = queryStart < 0 ? url : url.slice(0, queryStart);
  const rest = params.toString();
  try {
    new URL(base);
  } catch {
    throw new SluiceError('USAGE', `not a valid PostgreSQL URL: ${redactUrl(url)}`, {
      hint: 'use postgres://user:password@host:5432/database (percent-encode special characters in the password)',
    });
  }
  const parsed = postgresConnectorDefinition.configSchema.safeParse({
    url: rest ? `${base}?${rest}` : base,
    ...(schema === undefined ? {} : { schema }),
    ...(parallelism === undefined ? {} : { parallelism }),
  });
  if (!parsed.success) {
    throw new SluiceError(
      'USAGE',
      `invalid PostgreSQL source ${redactUrl(url)}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message}`,
      {
        hint: `use ${SUPPORTED}`,
      },
    );
  }
  return parsed.data;
}

function sqliteFromUrl(url: string): SourceConnector {
  const file = url.slice('sqlite:'.length);
  if (file === '' || file.startsWith('//')) {
    throw new SluiceError('USAGE', `not a valid SQLite source: ${url}`, {
      hint: 'use sqlite:<path>, e.g. sqlite:./shop.db or sqlite:/var/data/shop.db',
    });
  }
  return new SqliteConnector(sqliteConnectorDefinition.configSchema.parse({ path: path.resolve(file) }));
}
