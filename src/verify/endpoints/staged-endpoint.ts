/**
 * A source read through its connector as a verify endpoint (MySQL/MariaDB, files): each table
 * is read once, the way `sluice sync` reads it — the connector's own full read into staged
 * chunks (stage CSV or typed Parquet, as the lake would get them), read by the same `chunkQuery`
 * the lake and DuckDB destinations load with — into a
 * private DuckDB table, which DuckDB then hashes like the lake (`sql-endpoint.ts`, duckdb
 * dialect). So verify sees exactly the values a sync would have loaded: the connector's type
 * mapping (tinyint(1), bit, unsigned bigint, decimal(65,30), zero dates …) and the files
 * source's typing apply unchanged, and the fingerprints equal every other engine's by the
 * canonical rules of `row-hash.ts`.
 *
 * The read is one consistent snapshot per table (the connector's); bisection passes after it
 * run on the local copy. A connection lost during the read fails the read with the connector's
 * error: nothing is concluded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { duckdbType } from '../../core/canonical-types.js';
import { SluiceError, messageOf } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { StreamPlan } from '../../core/stream.js';
import type { SourceConnector } from '../../connectors/registry.js';
import { openDuckDB, type DuckDB } from '../../engine/duckdb.js';
import { chunkQuery } from '../../engine/chunk-query.js';
import type { KeyRange, KeyTuple } from '../key-ranges.js';
import { quoteIdent, tableSql, type TableRef } from '../row-hash.js';
import type { LeafRow, RangeHash, VerifyEndpoint, VerifyTable } from './endpoint.js';
import { SqlEndpoint } from './sql-endpoint.js';

/** Staged chunk size: large chunks mean few INSERT statements; the files are deleted once loaded. */
const CHUNK_BYTES = 64 * 1024 * 1024;

function key(table: TableRef): string {
  return `${table.namespace}\u0000${table.name}`;
}

class StagedEndpoint implements VerifyEndpoint {
  readonly label: string;
  private readonly hashed: SqlEndpoint;
  private readonly loads = new Map<string, Promise<void>>();
  private tables: Promise<VerifyTable[]> | undefined;
  private closed = false;

  constructor(
    private readonly connector: SourceConnector,
    private readonly db: DuckDB,
    private readonly workDir: string,
    url: string,
  ) {
    this.label = redactUrl(url);
    this.hashed = new SqlEndpoint({
      dialect: 'duckdb',
      label: this.label,
      run: (sql) => db.queryObjects(sql),
      listTables: () => this.listTables(),
      close: async () => undefined,
    });
  }

  listTables(): Promise<VerifyTable[]> {
    this.tables ??= this.connector.discover();
    return this.tables;
  }

  async rangeHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    keyColumns: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>> {
    await this.load(table);
    return this.hashed.rangeHashes(table, columns, keyColumns, within, bounds);
  }

  async typedRangeHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    keyColumns: readonly CanonicalColumn[],
    within: readonly KeyRange[],
    bounds: readonly KeyTuple[],
  ): Promise<Map<number, RangeHash>> {
    await this.load(table);
    // The local copy is DuckDB: the fast path is always there.
    const typed = this.hashed.typedRangeHashes as NonNullable<VerifyEndpoint['typedRangeHashes']>;
    return typed(table, columns, keyColumns, within, bounds);
  }

  async sampleKeys(
    table: TableRef,
    keyColumns: readonly CanonicalColumn[],
    range: KeyRange,
    rows: number,
    wanted: number,
  ): Promise<KeyTuple[]> {
    await this.load(table);
    return this.hashed.sampleKeys(table, keyColumns, range, rows, wanted);
  }

  async rowHashes(
    table: TableRef,
    columns: readonly CanonicalColumn[],
    keyColumns: readonly CanonicalColumn[],
    ranges: readonly KeyRange[],
  ): Promise<LeafRow[]> {
    await this.load(table);
    return this.hashed.rowHashes(table, columns, keyColumns, ranges);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connector.close();
    this.db.close();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** Reads `table` into the local DuckDB once; concurrent callers wait for the same read. */
  private load(table: TableRef): Promise<void> {
    let loading = this.loads.get(key(table));
    if (!loading) {
      loading = this.read(table);
      this.loads.set(key(table), loading);
    }
    return loading;
  }

  private async read(table: TableRef): Promise<void> {
    const schema = (await this.listTables()).find(
      (candidate) => candidate.namespace === table.namespace && candidate.name === table.name,
    );
    if (!schema) {
      throw new SluiceError('USAGE', `${table.namespace}.${table.name} is not a table of ${this.label}`, {
        hint: 'name a table the endpoint lists',
      });
    }
    const stageDir = mkdtempSync(path.join(this.workDir, 'stage-'));
    const plan: StreamPlan = {
      schema,
      mode: 'full',
      primaryKey: [...schema.primaryKey],
      disposition: 'replace',
      stageDir,
      chunkBytes: CHUNK_BYTES,
      // What the lake destination reads, so the source stages what a sync into a lake would.
      stagedFormats: ['csv', 'parquet'],
    };
    const target = tableSql(table);
    const columns = schema.columns;
    await this.db.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.namespace)}`);
    await this.db.run(
      `CREATE TABLE ${target} (${columns.map((c) => `${quoteIdent(c.name)} ${duckdbType(c.type)}`).join(', ')})`,
    );
    const fields = columns.map((column, index) => ({
      index,
      type: column.type,
      as: column.name,
      label: column.name,
    }));
    try {
      for await (const chunk of this.connector.read(plan, null)) {
        try {
          await this.db.run(`INSERT INTO ${target} ${chunkQuery(chunk, columns.length, fields)}`);
        } finally {
          rmSync(chunk.path, { force: true });
          if (chunk.quarantine) rmSync(chunk.quarantine.path, { force: true });
        }
      }
    } catch (error) {
      throw this.readFailed(table, error);
    } finally {
      rmSync(stageDir, { recursive: true, force: true });
    }
  }

  /** The connector's error, restated for verify: its hints speak of syncs, and nothing was concluded. */
  private readFailed(table: TableRef, error: unknown): SluiceError {
    const base = error instanceof SluiceError ? error : undefined;
    return new SluiceError(
      base?.code ?? 'SOURCE_READ',
      `verify could not read ${table.namespace}.${table.name} from ${this.label}: ${messageOf(error)}`,
      {
        hint: `${base?.hint ? `${base.hint.replace(/;? *run the sync again\.?$/, '')}; ` : ''}nothing was concluded about the table — run verify again`,
        retryable: base?.retryable ?? false,
        cause: error,
      },
    );
  }
}

/**
 * Opens a connector-backed endpoint: checks the connection (so a bad URL fails before any
 * hashing, with the connector's hint) and prepares the local DuckDB, which spills to a private
 * temporary directory when a table outgrows its memory limit.
 */
export async function openStagedEndpoint(url: string, connector: SourceConnector): Promise<VerifyEndpoint> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-verify-'));
  let db: DuckDB | undefined;
  try {
    await connector.check();
    db = await openDuckDB({ tempDirectory: path.join(workDir, 'spill'), preserveInsertionOrder: false });
    return new StagedEndpoint(connector, db, workDir, url);
  } catch (error) {
    db?.close();
    await connector.close().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}
