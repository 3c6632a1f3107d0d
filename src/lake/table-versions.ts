/**
 * Reading a table's metadata files. The SQL catalog (`table-catalog.ts`) says which file is
 * current; this file reads it, failing with LAKE_CORRUPT (and a hint) when it is missing or
 * damaged. It also finds tables the way path-based readers do — `version-hint.text`, then newer
 * `v<N>.metadata.json` files — for tables that are not in the catalog (a lake written before the
 * catalog existed, or read without its control database). Those `v<N>` files are written only
 * after a catalog commit succeeded, so probing for newer ones never finds an uncommitted version.
 */
import { SluiceError, isSluiceError } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';
import type { TableMetadata } from './table-metadata.js';
import { parseTableMetadata } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import {
  assertTableIdent,
  metadataKey,
  qualifiedName,
  tablePrefix,
  versionHintKey,
  versionOfMetadataKey,
} from './table-location.js';

/** A table's metadata as of one version. */
export interface LoadedTable {
  /** The table's name. */
  ident: TableIdent;
  /** Metadata version N (the table's Nth metadata file). */
  version: number;
  /** The parsed metadata. */
  metadata: TableMetadata;
  /** URL of the metadata file. */
  metadataUrl: string;
  /**
   * True when the SQL catalog holds the table (its pointer named `metadataUrl`); false when it
   * was found by path only, in which case the next commit registers it.
   */
  registered: boolean;
}

/** Reads and parses the metadata file at `url`; LAKE_CORRUPT when it is missing or unusable. */
export async function readMetadataFile(
  storage: ObjectStorage,
  ident: TableIdent,
  url: string,
): Promise<TableMetadata> {
  let text: string;
  try {
    text = (await storage.read(storage.keyOf(url))).toString('utf8');
  } catch (error) {
    if (!isSluiceError(error, 'SOURCE_NOT_FOUND')) throw error;
    throw new SluiceError(
      'LAKE_CORRUPT',
      `the current metadata file of ${qualifiedName(ident)} is missing: ${url}`,
      {
        cause: error,
        hint: 'restore the file from a backup; nothing was changed, and commits to this table are refused until it is back',
      },
    );
  }
  return parseTableMetadata(text, url);
}

/** The table as path-based readers see it (hint, then newer `v<N>` files); null when there is none. */
export async function loadTableByPath(
  storage: ObjectStorage,
  ident: TableIdent,
): Promise<LoadedTable | null> {
  assertTableIdent(ident);
  let version = (await readVersionHint(storage, ident)) ?? (await highestPathVersion(storage, ident));
  if (version !== 0 && !(await storage.exists(metadataKey(ident, version)))) {
    version = await highestPathVersion(storage, ident);
  }
  while (await storage.exists(metadataKey(ident, version + 1))) version += 1;
  if (version === 0) return null;
  const url = storage.url(metadataKey(ident, version));
  return {
    ident,
    version,
    metadata: await readMetadataFile(storage, ident, url),
    metadataUrl: url,
    registered: false,
  };
}

/** The number in `version-hint.text`, or null when it is absent or unreadable. */
export async function readVersionHint(storage: ObjectStorage, ident: TableIdent): Promise<number | null> {
  const key = versionHintKey(ident);
  let text: string;
  try {
    text = (await storage.read(key)).toString('utf8');
  } catch (error) {
    if (isSluiceError(error, 'SOURCE_NOT_FOUND')) return null;
    throw error;
  }
  const hinted = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(hinted) && hinted > 0 ? hinted : null;
}

/** The highest `v<N>.metadata.json` present; 0 for none. */
async function highestPathVersion(storage: ObjectStorage, ident: TableIdent): Promise<number> {
  const versions = (await storage.list(`${tablePrefix(ident)}metadata/v`)).map(versionOfMetadataKey);
  return Math.max(0, ...versions.filter((version): version is number => version !== null));
}
