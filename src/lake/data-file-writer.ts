/**
 * Rows → Iceberg data files: the rows of a DuckDB query become one Parquet file, or, for a
 * partitioned spec, one file per partition (the partition keys computed in the same pass, see
 * partitioning/partition-sql.ts), each described by its data_file record with counts, bounds and
 * partition tuple. Files are left on local disk for the caller to publish (`putFile`), so uploads
 * can overlap with the next conversion.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { DuckDB } from '../engine/duckdb.js';
import { quoteIdent } from '../engine/duckdb.js';
import { copyQueryToParquet } from '../engine/parquet-writer.js';
import { copyQueryToPartitionedParquet } from '../engine/partitioned-parquet.js';
import type { ObjectStorage } from '../storage/storage.js';
import { dataFileFromParquet } from './data-file-stats.js';
import type { IcebergField } from './iceberg-schema.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from './iceberg-schema.js';
import type { DataFile } from './manifest-schemas.js';
import { partitionTuple } from './partitioning/partition-avro.js';
import { partitionPath } from './partitioning/partition-path.js';
import type { BoundPartitionField } from './partitioning/partition-spec.js';
import { valueOfKey, withPartitionKeys } from './partitioning/partition-sql.js';
import type { TableIdent } from './table-location.js';
import { dataFileKey } from './table-location.js';

/** What the rows of a query are written as. */
export interface DataFileTarget {
  /** The table the files belong to. */
  ident: TableIdent;
  /** The fields the query returns, each as a column named by its Parquet (Avro-compatible) name. */
  fields: readonly IcebergField[];
  /** The partition spec's fields, bound to the table's schema; empty when unpartitioned. */
  partition: readonly BoundPartitionField[];
  /** Start of every file name (e.g. the chunk index), so names sort in write order. */
  prefix: string;
}

/** A data file written locally, waiting to be published under `key`. */
export interface LocalDataFile {
  /** Object key the file is published under. */
  key: string;
  /** The local file (on the store's temp area; `putFile(key, localPath)` publishes it). */
  localPath: string;
  /** Its manifest record (location = the URL of `key`). */
  file: DataFile;
}

/** Writes the rows of `query` as data files; none when it returns no rows. */
export async function writeDataFiles(
  db: DuckDB,
  storage: ObjectStorage,
  query: string,
  target: DataFileTarget,
): Promise<LocalDataFile[]> {
  const columns = target.fields.map((field) => ({
    parquetName: avroCompatibleName(field.name),
    fieldId: field.id,
  }));
  if (target.partition.length === 0) {
    const key = dataFileKey(target.ident, `${target.prefix}-${randomUUID()}.parquet`);
    const localPath = await storage.tempFileFor(key);
    try {
      const written = await copyQueryToParquet(db, query, columns, localPath);
      if (written.rows === 0) {
        await fs.rm(localPath, { force: true });
        return [];
      }
      return [{ key, localPath, file: dataFileFromParquet(storage.url(key), written, target.fields) }];
    } catch (error) {
      await fs.rm(localPath, { force: true });
      throw error;
    }
  }
  return writePartitioned(db, storage, query, target, columns);
}

async function writePartitioned(
  db: DuckDB,
  storage: ObjectStorage,
  query: string,
  target: DataFileTarget,
  columns: { parquetName: string; fieldId: number }[],
): Promise<LocalDataFile[]> {
  const dir = await storage.tempFileFor(dataFileKey(target.ident, `${target.prefix}-${randomUUID()}`));
  await fs.mkdir(dir, { recursive: true });
  try {
    const written = target.fields.map((field) => field.id);
    const requests = target.partition.map((bound, i) => ({
      transform: bound.transform,
      sourceType: bound.source.type,
      // A source column the rows do not carry (dropped by the schema policy) is NULL in every row.
      column: written.includes(bound.source.id)
        ? quoteIdent(avroCompatibleName(bound.source.name))
        : `CAST(NULL AS ${duckdbTypeOfIceberg(bound.source.type)})`,
      label: bound.source.name,
      as: keyColumn(i),
    }));
    const files = await copyQueryToPartitionedParquet(
      db,
      withPartitionKeys(query, requests),
      columns,
      requests.map((request) => request.as),
      dir,
    );
    const result: LocalDataFile[] = [];
    try {
      for (const written of files) {
        const values = target.partition.map((bound, i) =>
          valueOfKey(bound.resultType, written.partition.get(keyColumn(i)) ?? null),
        );
        const name = `${target.prefix}-${randomUUID()}.parquet`;
        const key = dataFileKey(target.ident, `${partitionPath(target.partition, values)}/${name}`);
        const localPath = await storage.tempFileFor(key);
        await fs.rename(written.path, localPath);
        const tuple = partitionTuple(target.partition, values);
        const file = dataFileFromParquet(storage.url(key), written, target.fields, tuple);
        result.push({ key, localPath, file });
      }
    } catch (error) {
      await Promise.allSettled(result.map((file) => fs.rm(file.localPath, { force: true })));
      throw error;
    }
    return result;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function keyColumn(i: number): string {
  return `__sluice_partition_${i}`;
}
