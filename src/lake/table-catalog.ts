/**
 * The lake's table catalog: the SQL catalog in the control database says which metadata file is
 * each table's current state, and a commit is a compare-and-swap of that pointer. A commit
 * writes its metadata as a new object under a fresh name, then swaps the pointer; only then does
 * it write `v<N>.metadata.json` and `version-hint.text`, for path-based readers (icebird, Hadoop
 * catalogs), so those never see an uncommitted version either.
 *
 * Tables the catalog does not hold are found by path (version hint) and read as they are; the
 * first commit registers such a table (a lake written before the catalog existed). A table whose
 * files show it was committed through a SQL catalog — another control database — is not taken
 * over: reading it works, committing to it is refused. Because every catalog commit also bumps
 * the version hint, a hint ahead of this catalog's pointer means someone committed elsewhere:
 * that table is refused rather than shown or written at a stale version.
 */
import type { ControlQueries } from '../control/control-db.js';
import type { IcebergTableRow } from '../control/iceberg-tables-repository.js';
import { IcebergTablesRepository } from '../control/iceberg-tables-repository.js';
import { SluiceError, isSluiceError, messageOf } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';
import type { TableMetadata } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import {
  assertTableIdent,
  catalogMetadataKey,
  metadataKey,
  qualifiedName,
  tablePrefix,
  versionHintKey,
  versionOfMetadataLocation,
} from './table-location.js';
import type { LoadedTable } from './table-versions.js';
import { loadTableByPath, readMetadataFile, readVersionHint } from './table-versions.js';

/** A table the catalog knows of, or one found by path. */
export interface CatalogEntry extends TableIdent {
  /** True when the SQL catalog holds it; false when found by path only. */
  registered: boolean;
}

/** How often the pointer is re-read after a failed swap statement before giving up on knowing. */
const OUTCOME_CHECKS = 3;

export class TableCatalog {
  private readonly tables: IcebergTablesRepository | null;

  /** `control` null: no SQL catalog, every table is read by path and commits are refused. */
  constructor(
    readonly storage: ObjectStorage,
    control: ControlQueries | null,
  ) {
    this.tables = control ? new IcebergTablesRepository(control, storage.rootUrl) : null;
  }

  /** The table's current state, or null when it does not exist. */
  async load(ident: TableIdent): Promise<LoadedTable | null> {
    assertTableIdent(ident);
    if (!this.tables) return loadTableByPath(this.storage, ident);
    // The hint is read before the pointer: a hint written by a commit of this catalog then
    // never exceeds the pointer read after it, so a hint ahead of it was written elsewhere.
    const hint = await readVersionHint(this.storage, ident);
    const row = await this.tables.get(ident.namespace, ident.name);
    if (!row) return loadTableByPath(this.storage, ident);
    const version = versionOf(ident, row.metadataLocation);
    if (hint !== null && hint > version) throw this.committedElsewhere(ident, hint, version);
    if (await this.droppedByHand(row.metadataLocation, ident)) return null;
    const metadata = await readMetadataFile(this.storage, ident, row.metadataLocation);
    return { ident, version, metadata, metadataUrl: row.metadataLocation, registered: true };
  }

  /**
   * True when the table's metadata is gone altogether (someone deleted its folder to drop the
   * table): the catalog entry is stale and the table does not exist. Only `metadata/` is looked
   * at: a writer re-creating the dropped table writes its data files long before its metadata,
   * and another opener in between must see a dropped table, not a damaged one (a concurrent
   * test caught that race). A missing metadata file next to other metadata of the table
   * (older versions, manifests) is damage instead, reported by `readMetadataFile`.
   */
  private async droppedByHand(location: string, ident: TableIdent): Promise<boolean> {
    if (await this.storage.exists(this.storage.keyOf(location))) return false;
    return (await this.storage.list(`${tablePrefix(ident)}metadata/`)).length === 0;
  }

  /** Like `load`, but a missing table is TABLE_NOT_FOUND. */
  async require(ident: TableIdent): Promise<LoadedTable> {
    const table = await this.load(ident);
    if (!table) {
      throw new SluiceError(
        'TABLE_NOT_FOUND',
        `no lake table ${qualifiedName(ident)} under ${this.storage.rootUrl}`,
        {
          hint: 'list the tables with `sluice tables`, or check --lake (and --control)',
        },
      );
    }
    return table;
  }

  /** The catalog's tables and those found by path (`_`- and `.`-prefixed folders skipped), sorted. */
  async list(): Promise<CatalogEntry[]> {
    const rows: IcebergTableRow[] = this.tables ? await this.tables.list() : [];
    const entries = new Map<string, CatalogEntry>(
      rows.map((row) => [qualifiedName(row), { namespace: row.namespace, name: row.name, registered: true }]),
    );
    for (const namespaceKey of await this.storage.listPrefixes('')) {
      const namespace = namespaceKey.slice(0, -1);
      if (isHidden(namespace)) continue;
      for (const tableKey of await this.storage.listPrefixes(namespaceKey)) {
        const ident = { namespace, name: tableKey.slice(namespaceKey.length, -1) };
        if (isHidden(ident.name) || entries.has(qualifiedName(ident))) continue;
        if ((await readVersionHint(this.storage, ident)) === null) continue;
        entries.set(qualifiedName(ident), { ...ident, registered: false });
      }
    }
    return [...entries.values()].sort((a, b) =>
      a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace),
    );
  }

  /**
   * Publishes `metadata` as the table's next version on top of `base` (null: a new table).
   * Throws COMMIT_CONFLICT (retryable) when another writer committed first; the metadata file
   * written for the attempt is removed again. The caller's own files are the caller's to remove.
   */
  async commit(ident: TableIdent, base: LoadedTable | null, metadata: TableMetadata): Promise<LoadedTable> {
    const tables = this.requireSqlCatalog(ident);
    if (base && !base.registered) await this.assertNotManagedElsewhere(ident);
    const version = (base?.version ?? 0) + 1;
    const key = catalogMetadataKey(ident, version);
    const url = this.storage.url(key);
    if (!(await this.storage.putNew(key, JSON.stringify(metadata, null, 2)))) {
      throw new SluiceError('DESTINATION_WRITE', `refusing to overwrite ${url}`, {
        hint: 'metadata file names are unique per commit attempt; this is a bug in Sluice',
      });
    }
    const swapped = await this.swapPointer(tables, ident, base, url);
    if (!swapped) {
      await this.storage.delete(key).catch(() => undefined);
      throw new SluiceError('COMMIT_CONFLICT', `another writer committed ${qualifiedName(ident)} first`, {
        retryable: true,
        hint: 'run it again: it starts from the table state the other writer committed',
      });
    }
    await this.publishForPathReaders(ident, version, metadata);
    return { ident, version, metadata, metadataUrl: url, registered: true };
  }

  /** The swap (or the insert of a new table); on a failed statement, asks again whether it happened. */
  private async swapPointer(
    tables: IcebergTablesRepository,
    ident: TableIdent,
    base: LoadedTable | null,
    url: string,
  ): Promise<boolean> {
    try {
      if (base?.registered) return await tables.swap(ident.namespace, ident.name, base.metadataUrl, url);
      if (await tables.create(ident.namespace, ident.name, url, base?.metadataUrl ?? null)) return true;
      // A table created over a dropped one (`load` found only a stale entry) takes its entry over.
      const stale = base ? null : await tables.get(ident.namespace, ident.name);
      if (!stale || (await this.storage.exists(this.storage.keyOf(stale.metadataLocation)))) return false;
      return await tables.swap(ident.namespace, ident.name, stale.metadataLocation, url);
    } catch (error) {
      // The statement may have been applied before the connection failed: the pointer tells.
      for (let check = 0; check < OUTCOME_CHECKS; check++) {
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** check));
        try {
          const row = await tables.get(ident.namespace, ident.name);
          return row?.metadataLocation === url;
        } catch {
          // still unreachable; ask again
        }
      }
      throw new SluiceError(
        'COMMIT_UNKNOWN',
        `cannot tell whether the commit of ${qualifiedName(ident)} happened: ${messageOf(error)}`,
        {
          cause: error,
          hint: `the control database failed during the commit; its files were kept. Check \`sluice history ${qualifiedName(ident)}\` once the database is back: if the run's snapshot is listed, the commit happened`,
        },
      );
    }
  }

  /** `v<N>.metadata.json` and the hint, after the swap. Failures here only delay path-based readers. */
  private async publishForPathReaders(
    ident: TableIdent,
    version: number,
    metadata: TableMetadata,
  ): Promise<void> {
    try {
      // Another writer owning v<N> means a commit outside this catalog; the hint must not point at it.
      if (await this.storage.putNew(metadataKey(ident, version), JSON.stringify(metadata, null, 2))) {
        await this.storage.overwrite(versionHintKey(ident), String(version));
      }
    } catch {
      // The commit stands; path-based readers see it after the next commit.
    }
  }

  private requireSqlCatalog(ident: TableIdent): IcebergTablesRepository {
    if (this.tables) return this.tables;
    throw new SluiceError('USAGE', `cannot commit to ${qualifiedName(ident)} without a catalog`, {
      hint: 'open the lake with a control database (--control, or the lake default) to change it',
    });
  }

  /** Refuses to register a table whose metadata files were written by a SQL-catalog commit. */
  private async assertNotManagedElsewhere(ident: TableIdent): Promise<void> {
    const files = await this.storage.list(`${tablePrefix(ident)}metadata/`);
    if (files.some((key) => /\/\d+-[0-9a-f-]{36}\.metadata\.json$/.test(key))) {
      throw new SluiceError(
        'COMMIT_CONFLICT',
        `${qualifiedName(ident)} is managed by another control database, not by this one`,
        {
          hint: 'pass the --control (or project control:) that wrote the table; a lake must have one catalog for all its writers',
        },
      );
    }
  }

  private committedElsewhere(ident: TableIdent, hint: number, version: number): SluiceError {
    return new SluiceError(
      'LAKE_CORRUPT',
      `${qualifiedName(ident)} was committed outside this catalog: its version hint says v${hint}, the catalog v${version}`,
      {
        hint:
          'every writer of a lake must use the same control database (--control, or the lake default <root>/_sluice/control.db); use the one that wrote v' +
          String(hint),
      },
    );
  }
}

function versionOf(ident: TableIdent, location: string): number {
  const version = versionOfMetadataLocation(location);
  if (version === null) {
    throw new SluiceError(
      'LAKE_CORRUPT',
      `the catalog entry of ${qualifiedName(ident)} names an unexpected file: ${location}`,
      {
        hint: 'metadata files are named v<N>.metadata.json or <N>-<uuid>.metadata.json; was the control database edited by hand?',
      },
    );
  }
  return version;
}

function isHidden(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True for errors that mean a commit lost the race (as opposed to failing outright). */
export function isCommitConflict(error: unknown): boolean {
  return isSluiceError(error, 'COMMIT_CONFLICT') && error.retryable;
}
