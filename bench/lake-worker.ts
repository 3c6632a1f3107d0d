/**
 * The measured half of the lake benchmarks, in a process of its own so each side's peak memory
 * is its own: `tsx bench/lake-worker.ts '<json task>'` prints one JSON line with the timed
 * section's seconds, the process's peak RSS and the task's numbers.
 *
 * Tasks: `append` (Sluice appends staged chunks to a new lake table), `copy` (DuckDB's own
 * `COPY (SELECT … FROM read_csv(…)) TO 'x.parquet'` of the same chunks, with the same DuckDB
 * settings as Sluice's writer), `merge` (a batch of changes merged into a day-partitioned table
 * built untimed first), `rewrite` (DuckDB copying that whole table to one Parquet file: what a
 * merge without copy-on-write pruning costs).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parsePartitionBy } from '../src/core/partition-fields.js';
import type { StagedChunk } from '../src/core/stream.js';
import type { DestinationStream } from '../src/destinations/destination.js';
import { LakeDestination } from '../src/destinations/lake/lake-destination.js';
import { duckdbType } from '../src/core/canonical-types.js';
import { openDuckDB, quoteIdent, quoteLiteral } from '../src/engine/duckdb.js';
import { parquetScanSql } from '../src/engine/lake-views.js';
import { duckdbTypeOfIceberg } from '../src/lake/iceberg-schema.js';
import { LakeCatalog } from '../src/lake/lake-catalog.js';
import { APPEND_COLUMNS, ORDER_COLUMNS, linkedCopy } from './lake-staging.js';

/** What the parent asks for. */
export type LakeTask =
  | { kind: 'append' | 'copy'; chunks: StagedChunk[]; workDir: string }
  | { kind: 'merge'; chunks: StagedChunk[]; changes: StagedChunk; workDir: string }
  | { kind: 'rewrite'; lake: string; workDir: string };

/** What the worker prints. */
export interface LakeTaskResult {
  /** Seconds of the timed section. */
  seconds: number;
  /** Peak resident memory of the worker process. */
  peakRssBytes: number;
  /** Task numbers (rows, bytes, files). */
  numbers: Record<string, number | string>;
}

const TABLE = { namespace: 'bench', name: 'orders' };
const DUCKDB = { preserveInsertionOrder: false } as const;

async function commit(
  root: string,
  stream: Omit<DestinationStream, 'namespace' | 'name' | 'runId'>,
  chunks: StagedChunk[],
  dir: string,
) {
  const destination = new LakeDestination(root);
  try {
    const writer = await destination.openStream({ ...TABLE, runId: 'bench', ...stream });
    for (const chunk of chunks) await writer.write(await linkedCopy(chunk, dir));
    return await writer.commit(null);
  } finally {
    await destination.close();
  }
}

async function run(task: LakeTask): Promise<Omit<LakeTaskResult, 'peakRssBytes'>> {
  await fs.mkdir(task.workDir, { recursive: true });
  const lake = path.join(task.workDir, 'lake');
  switch (task.kind) {
    case 'append': {
      const started = performance.now();
      const result = await commit(
        lake,
        { columns: APPEND_COLUMNS, primaryKey: [], disposition: 'append' },
        task.chunks,
        task.workDir,
      );
      return {
        seconds: (performance.now() - started) / 1000,
        numbers: { rows: result.rowsWritten, bytes: result.bytesWritten, files: result.filesWritten },
      };
    }
    case 'copy': {
      const db = await openDuckDB(DUCKDB);
      try {
        const columns = APPEND_COLUMNS.map(
          (column) => `${quoteLiteral(column.name)}: ${quoteLiteral(duckdbType(column.type))}`,
        );
        const files = task.chunks.map((chunk) => quoteLiteral(chunk.path)).join(', ');
        const target = path.join(task.workDir, 'copy.parquet');
        const started = performance.now();
        await db.run(
          `COPY (SELECT * FROM read_csv([${files}], columns = {${columns.join(', ')}}, header = false, auto_detect = false)) ` +
            `TO ${quoteLiteral(target)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        const seconds = (performance.now() - started) / 1000;
        return { seconds, numbers: { bytes: (await fs.stat(target)).size } };
      } finally {
        db.close();
      }
    }
    case 'merge': {
      const partitionBy = parsePartitionBy('day(placed_at)');
      const stream = { columns: ORDER_COLUMNS, primaryKey: ['id'], partitionBy };
      await commit(lake, { ...stream, disposition: 'append' }, task.chunks, task.workDir);
      const started = performance.now();
      const result = await commit(lake, { ...stream, disposition: 'merge' }, [task.changes], task.workDir);
      const seconds = (performance.now() - started) / 1000;
      const merge = result.merge!;
      return {
        seconds,
        numbers: {
          changes: result.rowsStaged ?? 0,
          inserted: merge.inserted,
          updated: merge.updated,
          deleted: merge.deleted,
          filesRewritten: merge.filesRewritten,
          bytesRewritten: merge.bytesRewritten,
          tableBytes: merge.bytesBefore,
          lake,
        },
      };
    }
    case 'rewrite': {
      const catalog = LakeCatalog.open(task.lake);
      const db = await openDuckDB(DUCKDB);
      try {
        const table = await catalog.loadTable(TABLE);
        const paths = (await catalog.dataFiles(table)).map((file) => file.localPath!);
        const columns = catalog.schemaOf(table).fields.map((field) => ({
          name: field.name,
          fieldId: field.id,
          duckdbType: duckdbTypeOfIceberg(field.type),
        }));
        const target = path.join(task.workDir, 'rewrite.parquet');
        const started = performance.now();
        await db.run(
          `COPY (SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${parquetScanSql(paths, columns)}) TO ${quoteLiteral(target)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        return { seconds: (performance.now() - started) / 1000, numbers: { files: paths.length } };
      } finally {
        db.close();
        await catalog.close();
      }
    }
  }
}

const result = await run(JSON.parse(process.argv[2] ?? '{}') as LakeTask);
const output: LakeTaskResult = { ...result, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
console.log(JSON.stringify(output));
