/**
 * Loading a table's current metadata and publishing the next version. On a filesystem the
 * commit point is the exclusive creation of `v<N+1>.metadata.json`: of two writers based on
 * version N exactly one creates it, the other gets COMMIT_CONFLICT. The version hint is written
 * afterwards for path-based readers; Sluice itself treats it as a starting point and probes for
 * newer versions, so a hint left behind by a crash cannot hide a commit.
 */
import { SluiceError } from '../core/errors.js';
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
  /** Metadata version N (file `v<N>.metadata.json`). */
  version: number;
  /** The parsed metadata. */
  metadata: TableMetadata;
  /** URL of the metadata file. */
  metadataUrl: string;
}

/** The table's latest metadata, or null when the table does not exist. */
export async function loadTable(storage: ObjectStorage, ident: TableIdent): Promise<LoadedTable | null> {
  assertTableIdent(ident);
  let version = await hintedVersion(storage, ident);
  while (await storage.exists(metadataKey(ident, version + 1))) version += 1;
  if (version === 0) return null;
  const key = metadataKey(ident, version);
  const url = storage.url(key);
  const metadata = parseTableMetadata((await storage.read(key)).toString('utf8'), url);
  return { ident, version, metadata, metadataUrl: url };
}

/** Like `loadTable`, but a missing table is TABLE_NOT_FOUND. */
export async function requireTable(storage: ObjectStorage, ident: TableIdent): Promise<LoadedTable> {
  const table = await loadTable(storage, ident);
  if (!table) {
    throw new SluiceError(
      'TABLE_NOT_FOUND',
      `no lake table ${qualifiedName(ident)} under ${storage.rootUrl}`,
      {
        hint: 'list the tables with `sluice tables`, or check the --lake root',
      },
    );
  }
  return table;
}

/**
 * Publishes `metadata` as version `version` (one above the base it was built on). Throws
 * COMMIT_CONFLICT (retryable) when another writer published that version first.
 */
export async function publishVersion(
  storage: ObjectStorage,
  ident: TableIdent,
  version: number,
  metadata: TableMetadata,
): Promise<LoadedTable> {
  const key = metadataKey(ident, version);
  if (!(await storage.putNew(key, JSON.stringify(metadata, null, 2)))) {
    throw new SluiceError(
      'COMMIT_CONFLICT',
      `another writer committed ${qualifiedName(ident)} version ${version} first`,
      {
        retryable: true,
        hint: 'run the sync again; it starts from the table state the other writer committed',
      },
    );
  }
  // Committed. A failed hint write only delays path-based readers, so it must not fail the commit.
  await storage.overwrite(versionHintKey(ident), String(version)).catch(() => undefined);
  return { ident, version, metadata, metadataUrl: storage.url(key) };
}

/** The hint's version, or the highest `v<N>` present when there is no readable hint; 0 for none. */
async function hintedVersion(storage: ObjectStorage, ident: TableIdent): Promise<number> {
  const hintKey = versionHintKey(ident);
  if (await storage.exists(hintKey)) {
    const hinted = Number.parseInt((await storage.read(hintKey)).toString('utf8').trim(), 10);
    if (Number.isSafeInteger(hinted) && hinted > 0 && (await storage.exists(metadataKey(ident, hinted))))
      return hinted;
  }
  const versions = (await storage.list(`${tablePrefix(ident)}metadata/v`)).map(versionOfMetadataKey);
  return Math.max(0, ...versions.filter((version): version is number => version !== null));
}
