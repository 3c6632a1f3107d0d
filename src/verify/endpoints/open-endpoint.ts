/**
 * Turns a `--from` / `--to` URL of `sluice verify` into an endpoint. Any side can be any kind:
 * a PostgreSQL URL is the same endpoint whether it names a source or a destination.
 */
import { SluiceError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import { lakeRootOf } from '../../destinations/registry.js';
import type { VerifyEndpoint } from './endpoint.js';
import { openLakeEndpoint } from './lake-endpoint.js';
import { openPostgresEndpoint } from './postgres-endpoint.js';
import { openSqliteEndpoint } from './sqlite-endpoint.js';

const SUPPORTED = 'postgres://user@host:5432/db[?schema=s], sqlite:<path>, lake:<dir>';

export async function openEndpoint(url: string): Promise<VerifyEndpoint> {
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgresEndpoint(url);
  if (/^sqlite:/i.test(url)) return openSqliteEndpoint(url);
  if (url.startsWith('lake:')) return openLakeEndpoint(lakeRootOf(url));
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (
    scheme === 'mysql' ||
    scheme === 'mariadb' ||
    scheme === 'duckdb' ||
    scheme === 'file' ||
    scheme === 's3'
  ) {
    throw new SluiceError('NOT_SUPPORTED', `verify cannot read ${scheme} endpoints yet`, {
      hint: `verify works today with ${SUPPORTED}`,
    });
  }
  throw new SluiceError('USAGE', `unrecognised verify endpoint: ${redactUrl(url)}`, {
    hint: `use one of: ${SUPPORTED}`,
  });
}
