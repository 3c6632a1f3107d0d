/**
 * The Iceberg lake as a destination: `append` adds a snapshot with the new files (creating the
 * table on the first write), `replace` commits an overwrite snapshot that removes every live
 * file and may bring a new schema, `merge` upserts and deletes by primary key, rewriting only the
 * files holding a changed key (lake-merge-writer.ts). Columns follow the stream's schema policy
 * and new files its partition spec (stream-table-plan.ts). Earlier snapshots and their files stay
 * for history and time travel. One embedded DuckDB converts staged chunks to Parquet; each open stream gets its own
 * connection to it. Commits go through the lake's SQL catalog in the control database (see
 * src/lake/table-catalog.ts): the lake's own `_sluice/control.db` unless one is named.
 */
import { randomUUID } from 'node:crypto';
import type { ControlDb } from '../../control/control-db.js';
import { SluiceError } from '../../core/errors.js';
import type { SourcePosition } from '../../core/stream.js';
import type { DuckDB, DuckDBOptions } from '../../engine/duckdb.js';
import { openDuckDB } from '../../engine/duckdb.js';
import { LakeCatalog } from '../../lake/lake-catalog.js';
import type { LakeControl } from '../../lake/lake-control.js';
import { openLakeControl } from '../../lake/lake-control.js';
import { mergeLayout } from '../../lake/merge/merge-layout.js';
import { assertTableIdent } from '../../lake/table-location.js';
import { TableCatalog } from '../../lake/table-catalog.js';
import type { StorageLocation } from '../../storage/open-storage.js';
import { openStorage } from '../../storage/open-storage.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type {
  Destination,
  DestinationCapabilities,
  DestinationStream,
  StagedLoadWriter,
  StreamWriter,
} from '../destination.js';
import { LakeLoadWriter } from './lake-load-writer.js';
import { LakeMergeWriter } from './lake-merge-writer.js';
import { exportLakeKeys } from './lake-table-keys.js';
import { LakeStreamWriter } from './lake-stream-writer.js';
import { planStreamTable } from './stream-table-plan.js';

/** Options for a lake destination. */
export interface LakeDestinationOptions {
  /** The store to write to; defaults to the store of the root given. */
  storage?: ObjectStorage;
  /** Settings of the DuckDB that writes Parquet. */
  duckdb?: DuckDBOptions;
  /**
   * The control database holding the lake's catalog: a URL, or an open database (left open on
   * close). Default: the lake's own `sqlite:<root>/_sluice/control.db`; a lake on S3 must name one.
   */
  control?: string | ControlDb;
}

export class LakeDestination implements Destination {
  /** Appends, replaces and merges (copy-on-write by primary key). */
  readonly capabilities: DestinationCapabilities = {
    dispositions: ['append', 'replace', 'merge'],
    stagedFormats: ['csv', 'parquet'],
  };
  private readonly storage: ObjectStorage;
  private db: Promise<DuckDB> | undefined;
  private control: Promise<LakeControl> | undefined;
  private closed = false;

  /** `root` is the lake directory (path or `file://` URL) or `s3://bucket/prefix`. Does no I/O. */
  constructor(
    root: string | StorageLocation,
    private readonly options: LakeDestinationOptions = {},
  ) {
    this.storage = options.storage ?? openStorage(root);
  }

  async check(): Promise<void> {
    const probe = `.sluice-check-${randomUUID()}`;
    if (!(await this.storage.putNew(probe, 'ok'))) {
      throw new SluiceError('DESTINATION_WRITE', `cannot create a file under ${this.storage.rootUrl}`, {
        hint: 'check that the lake directory is writable',
      });
    }
    await this.storage.delete(probe);
    await this.catalog();
  }

  async openStream(stream: DestinationStream): Promise<StreamWriter> {
    if (this.closed) {
      throw new SluiceError('USAGE', 'the lake destination is closed', { hint: 'open a new destination' });
    }
    const ident = { namespace: stream.namespace, name: stream.name };
    assertTableIdent(ident);
    const catalog = await this.catalog();
    const base = await catalog.load(ident);
    const { schema, partition } = planStreamTable(base, stream);
    if (stream.disposition === 'merge') {
      const layout = mergeLayout(
        ident,
        stream.columns,
        stream.primaryKey,
        schema,
        partition,
        stream.softDelete ?? false,
      );
      const connection = await (await this.duckdb()).connect();
      return new LakeMergeWriter(this.storage, connection, { stream, base, schema, layout, catalog });
    }
    const operation = stream.disposition === 'append' ? 'append' : 'overwrite';
    const connection = await (await this.duckdb()).connect();
    return new LakeStreamWriter(this.storage, connection, {
      stream,
      ident,
      base,
      operation,
      schema,
      partition,
      catalog,
    });
  }

  /** A full `replace` or `append` staged on the table's load branch (lake-load-writer.ts). */
  async openStagedLoad(stream: DestinationStream, identity: string): Promise<StagedLoadWriter> {
    const ident = { namespace: stream.namespace, name: stream.name };
    assertTableIdent(ident);
    if (this.closed || stream.disposition === 'merge') {
      throw new SluiceError(
        'USAGE',
        `cannot stage a ${stream.disposition} load of ${stream.namespace}.${stream.name}`,
        {
          hint: 'this is a bug in Sluice: staged loads are full replace or append loads into an open lake',
        },
      );
    }
    const catalog = await this.catalog();
    const base = await catalog.load(ident);
    const { schema, partition } = planStreamTable(base, stream);
    const connection = await (await this.duckdb()).connect();
    const operation = stream.disposition === 'append' ? 'append' : 'overwrite';
    const plan = { stream, ident, base, operation, schema, partition, catalog } as const;
    try {
      return await LakeLoadWriter.open(this.storage, connection, { ...plan }, identity);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  async lastPosition(table: { namespace: string; name: string }): Promise<SourcePosition | null> {
    await this.catalog();
    const control = (await this.control!).db;
    // The same catalog (control database) the stream's commit goes through.
    const catalog = new LakeCatalog(this.storage, control === null ? {} : { control });
    return catalog.lastPosition(table);
  }

  async exportKeys(
    table: { namespace: string; name: string },
    key: readonly string[],
    path: string,
  ): Promise<number> {
    await this.catalog();
    const control = (await this.control!).db;
    const catalog = new LakeCatalog(this.storage, control === null ? {} : { control });
    return exportLakeKeys(catalog, await this.duckdb(), table, key, path);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const db = this.db;
    this.db = undefined;
    if (db) (await db).close();
    const control = this.control;
    this.control = undefined;
    if (control) await (await control).close();
  }

  private async catalog(): Promise<TableCatalog> {
    this.control ??= openLakeControl(this.storage, this.options.control, 'write');
    return new TableCatalog(this.storage, (await this.control).db);
  }

  private duckdb(): Promise<DuckDB> {
    // Row order inside a data file carries no meaning; not keeping it halves the writer's memory.
    this.db ??= openDuckDB({ preserveInsertionOrder: false, ...this.options.duckdb });
    return this.db;
  }
}
