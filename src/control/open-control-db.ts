/**
 * The one way in: `openControlDb(url)` picks the home from the URL, connects and migrates.
 *
 * - `sqlite:<path>`: embedded file, relative paths against `cwd`; `sqlite::memory:` for tests;
 * - `postgres://…` or `postgresql://…`: PostgreSQL, objects in schema `?schema=` (default `sluice`).
 */
import { resolve } from 'node:path';
import { SluiceError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { ControlDb } from './control-db.js';
import { migrate } from './migrate.js';
import { openPostgresControlDb } from './postgres-control-db.js';
import { SQLITE_MEMORY, openSqliteControlDb } from './sqlite-control-db.js';

/** Options for `openControlDb`. */
export interface OpenControlDbOptions {
  /** Directory a relative `sqlite:` path is resolved against; default `process.cwd()`. */
  cwd?: string;
  /** PostgreSQL schema; overrides the URL's `?schema=`. */
  schema?: string;
  /** SQLite: how long to wait for another process's write lock; default 10 s. */
  busyTimeoutMs?: number;
}

/** Opens the control database at `url` and applies pending migrations. */
export async function openControlDb(url: string, options: OpenControlDbOptions = {}): Promise<ControlDb> {
  const db = await connect(url, options);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}

function connect(url: string, options: OpenControlDbOptions): ControlDb | Promise<ControlDb> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw unsupported(url);
    const file = path === SQLITE_MEMORY ? path : resolve(options.cwd ?? process.cwd(), path);
    return openSqliteControlDb(file, { busyTimeoutMs: options.busyTimeoutMs });
  }
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresControlDb(url, { schema: options.schema });
  throw unsupported(url);
}

function unsupported(url: string): SluiceError {
  return new SluiceError('CONFIG', `unsupported control database URL: ${redactUrl(url)}`, {
    hint: 'use sqlite:<path> or postgres://user:password@host:5432/database',
  });
}
