/**
 * SQL over a lake: every table's current snapshot as a DuckDB view `<namespace>.<table>`, or
 * the snapshot `asOf` picks (time-travel.ts). A lake on S3 is read from local copies of its live
 * data files (see local-copies.ts).
 */
import type { DuckDB, DuckDBOptions, QueryResult } from '../engine/duckdb.js';
import { openDuckDB } from '../engine/duckdb.js';
import type { LakeViewTable } from '../engine/lake-views.js';
import { createLakeViews } from '../engine/lake-views.js';
import type { StorageLocation } from '../storage/open-storage.js';
import { duckdbTypeOfIceberg } from './iceberg-schema.js';
import type { LakeDataFile } from './lake-catalog.js';
import type { LakeCatalogOptions } from './lake-catalog.js';
import { LakeCatalog } from './lake-catalog.js';
import type { LocalCopyOptions } from './local-copies.js';
import { localCopies } from './local-copies.js';
import { currentSnapshot } from './table-metadata.js';
import type { AsOf } from './time-travel.js';
import { checkAsOf, schemaOfSnapshot, snapshotForRead } from './time-travel.js';
import type { ScanFilter } from './partitioning/scan-filter.js';
import { scanFilterSql } from './partitioning/scan-filter.js';
import { checkTableFilters } from './table-filters.js';
import type { TableFilter } from './table-filters.js';

/**
 * The view description of every table in the catalog, at its current snapshot or the one `asOf`
 * picks (a table that did not exist yet then gets no view). Files of a remote store are first
 * copied to the local cache, all tables' files in one bounded parallel pass.
 */
export async function lakeViewTables(
  catalog: LakeCatalog,
  copies: LocalCopyOptions = {},
  asOf: readonly AsOf[] = [],
  where: readonly TableFilter[] = [],
): Promise<LakeViewTable[]> {
  const loaded = await Promise.all((await catalog.listTables()).map((summary) => catalog.loadTable(summary)));
  checkAsOf(asOf, loaded);
  checkTableFilters(where, loaded);
  const tables: (LakeViewTable & { remote: LakeDataFile[] })[] = [];
  for (const table of loaded) {
    const pinned = snapshotForRead(table, asOf);
    if (pinned === null) continue;
    const snapshot = pinned ?? currentSnapshot(table.metadata);
    const schema = snapshot ? schemaOfSnapshot(table.metadata, snapshot) : catalog.schemaOf(table);
    const columns = schema.fields.map((field) => ({
      name: field.name,
      fieldId: field.id,
      duckdbType: duckdbTypeOfIceberg(field.type),
    }));
    const filter: ScanFilter | undefined = where.find(
      (entry) => entry.table === `${table.ident.namespace}.${table.ident.name}`,
    )?.filter;
    const remote = snapshot
      ? await catalog.dataFiles(table, {
          snapshot: String(snapshot['snapshot-id']),
          ...(filter && { filter }),
        })
      : [];
    const types = new Map(columns.map((column) => [column.name, column.duckdbType]));
    tables.push({
      ...table.ident,
      columns,
      files: [],
      remote,
      ...(filter && { where: scanFilterSql(filter, types) }),
    });
  }
  const paths = await localCopies(
    catalog.storage,
    tables.flatMap((table) => table.remote),
    copies,
  );
  let offset = 0;
  return tables.map(({ remote, ...table }) => {
    const files = paths.slice(offset, offset + remote.length);
    offset += remote.length;
    return { ...table, files };
  });
}

/** Adds a view per lake table to an open DuckDB (for a session running several queries). */
export async function attachLake(
  db: DuckDB,
  catalog: LakeCatalog,
  copies: LocalCopyOptions = {},
  asOf: readonly AsOf[] = [],
  where: readonly TableFilter[] = [],
): Promise<LakeViewTable[]> {
  const tables = await lakeViewTables(catalog, copies, asOf, where);
  await createLakeViews(db, tables);
  return tables;
}

/** How `queryLake` runs. */
export interface QueryLakeOptions {
  /** Settings of the DuckDB that runs the query. */
  duckdb?: DuckDBOptions;
  /** Where files of a remote lake are cached, and how many download at once. */
  copies?: LocalCopyOptions;
  /** The control database holding the lake's catalog (default: the lake's own). */
  control?: LakeCatalogOptions['control'];
  /** Time travel: the snapshots to read instead of the current ones. */
  asOf?: readonly AsOf[];
  /** Filtered views: a table's view holds only matching rows, and reads only files that may hold them. */
  where?: readonly TableFilter[];
}

/** Runs one query against the lake at `root` and returns its columns and exact rows. */
export async function queryLake(
  root: string | StorageLocation,
  sql: string,
  options: QueryLakeOptions = {},
): Promise<QueryResult> {
  const db = await openDuckDB(options.duckdb);
  const catalog = LakeCatalog.open(root, { control: options.control });
  try {
    await attachLake(db, catalog, options.copies, options.asOf, options.where);
    return await db.query(sql);
  } finally {
    db.close();
    await catalog.close();
  }
}
