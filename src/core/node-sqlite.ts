/**
 * Loads Node's built-in SQLite (`node:sqlite`, Node ≥ 22.13) without its one-time
 * "experimental feature" warning, which would otherwise land in every CLI command's stderr.
 * Used by the SQLite source and the embedded control database: no native addon to build.
 */
import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';

const require = createRequire(import.meta.url);

let loaded: typeof NodeSqlite | undefined;

export function nodeSqlite(): typeof NodeSqlite {
  if (loaded) return loaded;
  const original = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('SQLite is an experimental feature')) return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = require('node:sqlite') as typeof NodeSqlite;
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}
