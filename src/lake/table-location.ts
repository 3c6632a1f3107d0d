/**
 * Where a table's objects live: `<namespace>/<table>/metadata/v<N>.metadata.json`, the
 * `version-hint.text` path-based readers open first, manifests beside them and Parquet files
 * under `data/`.
 */
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../core/errors.js';

/** A table's name in the lake. */
export interface TableIdent {
  /** Namespace (the first folder under the lake root). */
  namespace: string;
  /** Table name (the folder under the namespace). */
  name: string;
}

/** `namespace.name`, for messages. */
export function qualifiedName(ident: TableIdent): string {
  return `${ident.namespace}.${ident.name}`;
}

/** Throws USAGE when a part of the name cannot be a folder name. */
export function assertTableIdent(ident: TableIdent): void {
  for (const part of [ident.namespace, ident.name]) {
    if (
      part === '' ||
      part === '.' ||
      part === '..' ||
      part.includes('/') ||
      part.includes('\\') ||
      part.startsWith('.')
    ) {
      throw new SluiceError('USAGE', `cannot name a lake table ${JSON.stringify(qualifiedName(ident))}`, {
        hint: 'namespaces and table names must be non-empty, must not start with "." and must not contain "/" or "\\"',
      });
    }
  }
}

/** The table's folder key, ending in `/`. */
export function tablePrefix(ident: TableIdent): string {
  return `${ident.namespace}/${ident.name}/`;
}

/** Key of metadata version N. */
export function metadataKey(ident: TableIdent, version: number): string {
  return `${tablePrefix(ident)}metadata/v${version}.metadata.json`;
}

/**
 * Key of a new metadata file for version N as a SQL-catalog commit writes it, named like Iceberg's
 * own catalogs (`00006-<uuid>.metadata.json`): a fresh name per attempt, so a writer that loses
 * the compare-and-swap or dies before it never blocks the next one. `v<N>.metadata.json` is
 * written as a copy only after the swap succeeded, for path-based readers.
 */
export function catalogMetadataKey(ident: TableIdent, version: number): string {
  return `${tablePrefix(ident)}metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** The version number of a metadata file URL or key in either naming (`v6.…`, `00006-<uuid>.…`), or null. */
export function versionOfMetadataLocation(location: string): number | null {
  const match = /\/(?:v(\d+)|(\d+)-[0-9a-f-]{36})\.metadata\.json$/.exec(location);
  if (!match) return null;
  return Number(match[1] ?? match[2]);
}

/** Key of the version hint (the bare current version number). */
export function versionHintKey(ident: TableIdent): string {
  return `${tablePrefix(ident)}metadata/version-hint.text`;
}

/** Key of a metadata-folder object such as a manifest. */
export function metadataFileKey(ident: TableIdent, fileName: string): string {
  return `${tablePrefix(ident)}metadata/${fileName}`;
}

/** Key of a data file. */
export function dataFileKey(ident: TableIdent, fileName: string): string {
  return `${tablePrefix(ident)}data/${fileName}`;
}

/** The version number of a `v<N>.metadata.json` key, or null for other keys. */
export function versionOfMetadataKey(key: string): number | null {
  const match = /\/v(\d+)\.metadata\.json$/.exec(key);
  return match ? Number(match[1]) : null;
}
