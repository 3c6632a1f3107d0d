/**
 * The Iceberg SQL catalog's one table (`iceberg_tables`, the JDBC catalog's shape): which
 * metadata file is each table's current state. Every change is a single statement that only
 * succeeds against the state the caller saw — INSERT for a new table (the primary key refuses a
 * second), UPDATE … WHERE metadata_location = <expected> for a commit — so of two writers exactly
 * one wins, in both control-database homes, without holding a lock across the writer's I/O.
 */
import type { ControlQueries } from './control-db.js';

/** One registered table. */
export interface IcebergTableRow {
  /** Namespace (one level). */
  namespace: string;
  /** Table name. */
  name: string;
  /** URL of the current metadata file. */
  metadataLocation: string;
  /** URL of the metadata file before the last commit; null for a table's first version. */
  previousMetadataLocation: string | null;
}

interface Row {
  table_namespace: string;
  table_name: string;
  metadata_location: string | null;
  previous_metadata_location: string | null;
}

function toRow(row: Row): IcebergTableRow | null {
  // A row without a location is a table another engine is still creating: not yet a table.
  if (row.metadata_location === null) return null;
  return {
    namespace: row.table_namespace,
    name: row.table_name,
    metadataLocation: row.metadata_location,
    previousMetadataLocation: row.previous_metadata_location,
  };
}

/** The tables of one catalog (one lake root) in the control database. */
export class IcebergTablesRepository {
  /** `catalogName` is the lake root URL. */
  constructor(
    private readonly db: ControlQueries,
    readonly catalogName: string,
  ) {}

  /** The table's row, or null when the catalog does not have it. */
  async get(namespace: string, name: string): Promise<IcebergTableRow | null> {
    const [row] = await this.db.query<Row>(
      `SELECT table_namespace, table_name, metadata_location, previous_metadata_location FROM iceberg_tables
       WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3`,
      [this.catalogName, namespace, name],
    );
    return row ? toRow(row) : null;
  }

  /** Every table of the catalog, sorted by namespace and name. */
  async list(): Promise<IcebergTableRow[]> {
    const rows = await this.db.query<Row>(
      `SELECT table_namespace, table_name, metadata_location, previous_metadata_location FROM iceberg_tables
       WHERE catalog_name = $1 ORDER BY table_namespace, table_name`,
      [this.catalogName],
    );
    return rows.map(toRow).filter((row): row is IcebergTableRow => row !== null);
  }

  /**
   * Registers a new table at `metadataLocation`. False, changing nothing, when the catalog
   * already has the table (another writer created it first).
   */
  async create(
    namespace: string,
    name: string,
    metadataLocation: string,
    previousMetadataLocation: string | null,
  ): Promise<boolean> {
    const inserted = await this.db.execute(
      `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type)
       VALUES ($1, $2, $3, $4, $5, 'TABLE')
       ON CONFLICT (catalog_name, table_namespace, table_name) DO NOTHING`,
      [this.catalogName, namespace, name, metadataLocation, previousMetadataLocation],
    );
    return inserted === 1;
  }

  /**
   * Points the table at `next` if it still points at `expected` (compare-and-swap). False,
   * changing nothing, when another writer committed first.
   */
  async swap(namespace: string, name: string, expected: string, next: string): Promise<boolean> {
    const updated = await this.db.execute(
      `UPDATE iceberg_tables SET metadata_location = $4, previous_metadata_location = $5
       WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3 AND metadata_location = $5`,
      [this.catalogName, namespace, name, next, expected],
    );
    return updated === 1;
  }
}
