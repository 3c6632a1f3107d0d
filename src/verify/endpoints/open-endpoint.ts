/**
 * Turns a `--from` / `--to` URL of `sluice verify` into an endpoint. Any side can be any kind:
 * a PostgreSQL URL is the same endpoint whether it names a source or a destination.
 */
import { connectorForUrl } from '../../connectors/registry.js';
import { SluiceError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import { lakeRootOf } from '../../destinations/registry.js';
import { openDuckdbEndpoint } from './duckdb-endpoint.js';
import type { VerifyEndpoint } from './endpoint.js';
import { openLakeEndpoint } from './lake-endpoint.js';
import { openPostgresEndpoint } from './postgres-endpoint.js';
import { openSqliteEndpoint } from './sqlite-endpoint.js';
import { openStagedEndpoint } from './staged-endpoint.js';

const SUPPORTED =
  'postgres://user@host:5432/db[?schema=s], mysql://user@host:3306/db (mariadb:// too), sqlite:<path>, lake:<dir>, duckdb:<file>, file:<glob> (s3://bucket/<glob> too)';

export async function openEndpoint(url: string): Promise<VerifyEndpoint> {
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgresEndpoint(url);
  if (/^sqlite:/i.test(url)) return openSqliteEndpoint(url);
  if (url.startsWith('lake:')) return openLakeEndpoint(lakeRootOf(url));
  if (url.startsWith('duckdb:')) return openDuckdbEndpoint(url);
  // Sources without hashing SQL of their own are read as a sync reads them, then hashed by DuckDB.
  if (/^((mysql|mariadb):\/\/|file:|s3:\/\/)/i.test(url))
    return openStagedEndpoint(url, connectorForUrl(url));
  throw new SluiceError('USAGE', `unrecognised verify endpoint: ${redactUrl(url)}`, {
    hint: `use one of: ${SUPPORTED}`,
  });
}
