/**
 * The behaviour every SQL destination (a DuckDB file, PostgreSQL) must show, run against the real
 * engine: staged chunks of every canonical type → append, append (doubled rows), replace, merge
 * (last staged row of a key wins); failures leave the table and its state row exactly as they
 * were; the state row commits with the data. Content is compared row by row: the destination's
 * row hashes (src/verify SQL in the engine) against hashes computed in JavaScript from the
 * staged text.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { Disposition, SourcePosition } from '../../src/core/stream.js';
import type { CommitResult, Destination } from '../../src/destinations/destination.js';
import type { LastCommit } from '../../src/destinations/sql/sql-state.js';
import { STATE_COLUMNS } from '../../src/destinations/sql/sql-state.js';
import type { RunRows } from '../../src/verify/fingerprint-queries.js';
import { tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import type { HashDialect } from '../../src/verify/hash-dialect.js';
import type { RowHash } from '../../src/verify/row-diff.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';
import { expectedRowHashes } from '../helpers/expected-row-hashes.js';
import { ALL_TYPES, rowText, rowsBetween, stageChunk } from '../lake/lake-fixtures.js';

/** A SQL destination with a way to look inside it. */
export interface SqlDestinationHarness {
  /** Engine name for test titles. */
  label: string;
  /** Dialect of the fingerprint SQL run inside the destination. */
  dialect: HashDialect;
  /** A new destination object over the same database (the suite closes it before looking inside). */
  open(): Destination & { lastCommit(namespace: string, name: string): Promise<LastCommit | null> };
  /** Runs `action` with SQL access to the destination database while no destination is open. */
  withSql<T>(action: (run: RunRows) => Promise<T>): Promise<T>;
}

type Row = (string | null)[];

const int64 = (name: string): CanonicalColumn => ({
  name,
  type: { kind: 'int64' },
  nullable: true,
  sourceType: 'bigint',
});

/** Row `id` of the fixture with its `name` column replaced, to see which version of a key won. */
function renamed(id: number, name: string): Row {
  const row = rowText(id);
  row[ALL_TYPES.findIndex((column) => column.name === 'name')] = `${name} ${id}`;
  return row;
}

const range = (from: number, to: number, map: (id: number) => Row) =>
  Array.from({ length: to - from + 1 }, (_, i) => map(from + i));

export function sqlDestinationSuite(harness: SqlDestinationHarness): void {
  let stageDir: string;
  beforeAll(async () => {
    stageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-sql-dest-'));
  });
  afterAll(async () => {
    await fs.rm(stageDir, { recursive: true, force: true });
  });

  const TABLE = { namespace: 'shop', name: 'all types' };

  async function commit(options: {
    disposition: Disposition;
    runId: string;
    chunks: readonly Row[][];
    position?: SourcePosition | null;
    table?: { namespace: string; name: string };
    columns?: CanonicalColumn[];
    key?: string[];
    /** Rows carry a trailing `_sluice_op` field (a change stream). */
    operations?: boolean;
  }): Promise<CommitResult> {
    const destination = harness.open();
    try {
      await destination.check();
      const writer = await destination.openStream({
        ...(options.table ?? TABLE),
        columns: options.columns ?? ALL_TYPES,
        primaryKey: options.key ?? ['id'],
        disposition: options.disposition,
        runId: options.runId,
      });
      try {
        for (const [index, rows] of options.chunks.entries()) {
          const chunk = await stageChunk(stageDir, index, rows);
          await writer.write(options.operations ? { ...chunk, operations: true } : chunk);
        }
        return await writer.commit(options.position ?? null);
      } catch (error) {
        await writer.abort();
        throw error;
      }
    } finally {
      await destination.close();
    }
  }

  async function lastCommit(table = TABLE): Promise<LastCommit | null> {
    const destination = harness.open();
    try {
      return await destination.lastCommit(table.namespace, table.name);
    } finally {
      await destination.close();
    }
  }

  function hashes(table = TABLE, columns = ALL_TYPES, key = ['id']): Promise<RowHash[]> {
    return harness.withSql((run) => tableRowHashes(harness.dialect, run, table, columns, key));
  }

  /** Same rows, same number of times each. */
  async function expectRows(rows: readonly Row[], table = TABLE, columns = ALL_TYPES): Promise<void> {
    const actual = await hashes(table, columns, [columns[0]!.name]);
    const expected = expectedRowHashes(columns, rows, [columns[0]!.name]);
    expect(diffRowHashes(expected, actual)).toEqual({ missing: [], extra: [], changed: [] });
    expect(actual).toHaveLength(rows.length);
  }

  const stagingTables = () =>
    harness.withSql(async (run) =>
      (
        await run(
          "SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, '_sluice_stage_')",
        )
      ).map((row) => row.table_name),
    );

  describe(`${harness.label} destination: append, append, replace, merge`, () => {
    const first = [rowsBetween(1, 400), rowsBetween(401, 1000)];
    const replacement = [rowsBetween(2001, 2300), rowsBetween(2301, 2305)];

    it('append creates the table and loads every canonical type exactly', async () => {
      const result = await commit({
        disposition: 'append',
        runId: 'run-1',
        chunks: first,
        position: { cursor: 10 },
      });
      expect(result).toMatchObject({ snapshotId: '1', rowsWritten: 1000, totalRows: 1000, filesWritten: 0 });
      expect(result.bytesWritten).toBeGreaterThan(0);
      await expectRows(first.flat());
      expect(await lastCommit()).toMatchObject({
        version: 1,
        runId: 'run-1',
        disposition: 'append',
        position: { cursor: 10 },
        rowsWritten: 1000,
        totalRows: 1000,
      });
    });

    it('a second append of the same rows doubles them', async () => {
      const result = await commit({ disposition: 'append', runId: 'run-2', chunks: [first.flat()] });
      expect(result).toMatchObject({ snapshotId: '2', rowsWritten: 1000, totalRows: 2000 });
      await expectRows([...first.flat(), ...first.flat()]);
    });

    it('replace leaves exactly the new rows', async () => {
      const result = await commit({
        disposition: 'replace',
        runId: 'run-3',
        chunks: replacement,
        position: { cursor: 30 },
      });
      expect(result).toMatchObject({ snapshotId: '3', rowsWritten: 305, totalRows: 305 });
      await expectRows(replacement.flat());
    });

    it('merge updates and inserts by key; the last staged row of a key wins', async () => {
      const chunks = [
        [
          ...range(2001, 2100, (id) => renamed(id, 'v1')),
          renamed(3001, 'superseded'),
          ...rowsBetween(3001, 3050),
        ],
        range(2001, 2010, (id) => renamed(id, 'v2')),
      ];
      const result = await commit({ disposition: 'merge', runId: 'run-4', chunks, position: { cursor: 40 } });
      expect(result).toMatchObject({ snapshotId: '4', rowsWritten: 161, totalRows: 355 });
      await expectRows([
        ...range(2001, 2010, (id) => renamed(id, 'v2')),
        ...range(2011, 2100, (id) => renamed(id, 'v1')),
        ...rowsBetween(2101, 2305),
        ...rowsBetween(3001, 3050),
      ]);
      expect(await lastCommit()).toMatchObject({
        version: 4,
        runId: 'run-4',
        disposition: 'merge',
        position: { cursor: 40 },
      });
    });

    const afterMerge = () => [
      ...range(2001, 2010, (id) => renamed(id, 'v2')),
      ...range(2011, 2100, (id) => renamed(id, 'v1')),
      ...rowsBetween(2101, 2305),
      ...rowsBetween(3001, 3050),
    ];

    it('a malformed chunk fails the load and leaves table and state as they were', async () => {
      const destination = harness.open();
      try {
        const writer = await destination.openStream({
          ...TABLE,
          columns: ALL_TYPES,
          primaryKey: ['id'],
          disposition: 'replace',
          runId: 'run-bad-chunk',
        });
        await writer.write(await stageChunk(stageDir, 0, rowsBetween(1, 10)));
        const ragged = await stageChunk(stageDir, 1, rowsBetween(11, 12));
        await fs.appendFile(ragged.path, '13,t\n');
        await expect(writer.write({ ...ragged, rows: 3 })).rejects.toThrow();
        await writer.abort();
      } finally {
        await destination.close();
      }
      await expectRows(afterMerge());
      expect(await lastCommit()).toMatchObject({ version: 4, runId: 'run-4' });
      expect(await stagingTables()).toEqual([]);
    });

    it('a commit that fails in the middle changes nothing (a NULL key breaks the merge)', async () => {
      const nullKey = rowText(5000);
      nullKey[0] = null;
      await expect(
        commit({
          disposition: 'merge',
          runId: 'run-null-key',
          chunks: [[renamed(2001, 'never'), ...rowsBetween(4001, 4010)], [nullKey]],
        }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/DESTINATION_WRITE|QUERY/) });
      await expectRows(afterMerge());
      expect(await lastCommit()).toMatchObject({ version: 4, runId: 'run-4' });
      expect(await stagingTables()).toEqual([]);
    });
  });

  describe(`${harness.label} destination: the state row commits with the data`, () => {
    const table = { namespace: 'poisoned', name: 'events' };
    const columns = [int64('id'), int64('value')];
    const rows = (from: number, to: number) => range(from, to, (id) => [String(id), String(id * 10)]);

    beforeAll(async () => {
      // A state table that refuses one run id: that commit fails at its very last statement.
      await harness.withSql(async (run) => {
        await run('CREATE SCHEMA poisoned');
        await run(
          `CREATE TABLE poisoned._sluice_state (${STATE_COLUMNS.join(', ')}, CHECK (run_id <> 'run-poison'))`,
        );
      });
    });

    it('a failed state write leaves no new table behind', async () => {
      await expect(
        commit({ disposition: 'append', runId: 'run-poison', chunks: [rows(1, 5)], table, columns }),
      ).rejects.toThrow();
      expect(
        await harness.withSql(async (run) =>
          run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'poisoned'"),
        ),
      ).toEqual([{ table_name: '_sluice_state' }]);
    });

    it('a failed state write rolls back a replace', async () => {
      await commit({
        disposition: 'append',
        runId: 'run-ok',
        chunks: [rows(1, 5)],
        table,
        columns,
        position: { lsn: '0/1' },
      });
      await expect(
        commit({
          disposition: 'replace',
          runId: 'run-poison',
          chunks: [rows(6, 9)],
          table,
          columns,
          position: { lsn: '0/2' },
        }),
      ).rejects.toThrow();
      await expectRows(rows(1, 5), table, columns);
      expect(await lastCommit(table)).toMatchObject({
        version: 1,
        runId: 'run-ok',
        position: { lsn: '0/1' },
      });
    });
  });

  describe(`${harness.label} destination: shapes, keys and edge cases`, () => {
    const table = (name: string) => ({ namespace: 'misc', name });

    it('an empty stream creates an empty table', async () => {
      const result = await commit({ disposition: 'append', runId: 'r', chunks: [], table: table('empty') });
      expect(result).toMatchObject({ rowsWritten: 0, totalRows: 0 });
      await expectRows([], table('empty'));
    });

    it('append refuses other columns and names them; replace brings them', async () => {
      const evolving = table('evolving');
      await commit({
        disposition: 'append',
        runId: 'r1',
        chunks: [[['1', '2']]],
        table: evolving,
        columns: [int64('a'), int64('b')],
        key: [],
      });
      const error = await commit({
        disposition: 'append',
        runId: 'r2',
        chunks: [[['3', '4']]],
        table: evolving,
        columns: [int64('a'), int64('c')],
        key: [],
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DESTINATION_WRITE' });
      expect((error as Error).message).toMatch(/"c" is new.*"b" is missing/);
      await commit({
        disposition: 'replace',
        runId: 'r3',
        chunks: [[['5', '6']]],
        table: evolving,
        columns: [int64('a'), int64('c')],
        key: ['a'],
      });
      await expectRows([['5', '6']], evolving, [int64('a'), int64('c')]);
    });

    it('accepts an append with the same columns in another order', async () => {
      const evolving = table('evolving');
      await commit({
        disposition: 'append',
        runId: 'r4',
        chunks: [[['60', '50']]],
        table: evolving,
        columns: [int64('c'), int64('a')],
        key: [],
      });
      await expectRows(
        [
          ['5', '6'],
          ['50', '60'],
        ],
        evolving,
        [int64('a'), int64('c')],
      );
    });

    it('append into a keyed table refuses a key it holds, with a hint', async () => {
      const error = await commit({
        disposition: 'append',
        runId: 'r5',
        chunks: [[['5', '7']]],
        table: table('evolving'),
        columns: [int64('a'), int64('c')],
        key: ['a'],
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'DESTINATION_WRITE',
        hint: expect.stringMatching(/merge or replace/),
      });
      await expectRows(
        [
          ['5', '6'],
          ['50', '60'],
        ],
        table('evolving'),
        [int64('a'), int64('c')],
      );
    });

    it('merge refuses a key other than the table’s primary key', async () => {
      const error = await commit({
        disposition: 'merge',
        runId: 'r6',
        chunks: [[['5', '8']]],
        table: table('evolving'),
        columns: [int64('a'), int64('c')],
        key: ['c'],
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'DESTINATION_WRITE',
        hint: expect.stringMatching(/--primary-key a/),
      });
    });

    it('merge refuses a stream without a key before anything is written', async () => {
      await expect(
        commit({
          disposition: 'merge',
          runId: 'r7',
          chunks: [],
          table: table('keyless'),
          columns: [int64('a')],
          key: [],
        }),
      ).rejects.toMatchObject({ code: 'USAGE' });
    });

    it('merge of a table whose columns are all key inserts the new keys only', async () => {
      const keys = table('keys');
      const columns = [int64('a'), int64('b')];
      await commit({
        disposition: 'merge',
        runId: 'r8',
        chunks: [
          [
            ['1', '1'],
            ['1', '2'],
          ],
        ],
        table: keys,
        columns,
        key: ['a', 'b'],
      });
      await commit({
        disposition: 'merge',
        runId: 'r9',
        chunks: [
          [
            ['1', '2'],
            ['2', '2'],
          ],
        ],
        table: keys,
        columns,
        key: ['a', 'b'],
      });
      await expectRows(
        [
          ['1', '1'],
          ['1', '2'],
          ['2', '2'],
        ],
        keys,
        columns,
      );
    });
  });

  describe(`${harness.label} destination: change streams and the resume position`, () => {
    const changes = { namespace: 'changes', name: 'items' };
    const columns = [int64('a'), int64('b')];
    /** The table after the change stream of the first test. */
    const AFTER_CHANGES: Row[] = [
      ['1', '11'],
      ['3', '33'],
      ['5', '55'],
      ['6', '60'],
    ];

    it('merge applies _sluice_op deletes; the last change of a key wins; lastPosition is the committed one', async () => {
      const destination = harness.open();
      try {
        expect(await destination.lastPosition!(changes)).toBeNull();
      } finally {
        await destination.close();
      }
      await commit({
        disposition: 'merge',
        runId: 'c1',
        chunks: [
          [
            ['1', '10'],
            ['2', '20'],
            ['3', '30'],
            ['5', '50'],
          ],
        ],
        table: changes,
        columns,
        key: ['a'],
        position: { lsn: '0/10' },
      });
      await commit({
        disposition: 'merge',
        runId: 'c2',
        operations: true,
        // 2 deleted; 3 deleted then inserted again (insert wins); 4 inserted then deleted (gone);
        // 5 updated; 6 inserted; a delete row carries only its key.
        chunks: [
          [
            ['1', '11', 'u'],
            ['2', null, 'd'],
            ['3', null, 'd'],
            ['3', '33', 'i'],
            ['4', '40', 'i'],
          ],
          [
            ['4', null, 'd'],
            ['5', '55', 'u'],
            ['6', '60', null],
          ],
        ],
        table: changes,
        columns,
        key: ['a'],
        position: { lsn: '0/20' },
      });
      await expectRows(AFTER_CHANGES, changes, columns);
      const destination2 = harness.open();
      try {
        expect(await destination2.lastPosition!(changes)).toEqual({ lsn: '0/20' });
      } finally {
        await destination2.close();
      }
    });

    it('refuses an unknown operation and a change stream into append, changing nothing', async () => {
      const unknown = await commit({
        disposition: 'merge',
        runId: 'c3',
        operations: true,
        chunks: [[['1', '12', 'x']]],
        table: changes,
        columns,
        key: ['a'],
      }).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: expect.stringMatching(/DESTINATION_WRITE|QUERY/) });
      const intoAppend = await commit({
        disposition: 'append',
        runId: 'c4',
        operations: true,
        chunks: [[['7', '70', 'i']]],
        table: changes,
        columns,
        key: [],
      }).catch((e: unknown) => e);
      expect(intoAppend).toMatchObject({ code: 'NOT_SUPPORTED', hint: expect.stringMatching(/merge/) });
      await expectRows(AFTER_CHANGES, changes, columns);
    });

    it('refuses soft delete (not applied by SQL destinations) before anything is written', async () => {
      const destination = harness.open();
      try {
        await expect(
          destination.openStream({
            ...changes,
            columns,
            primaryKey: ['a'],
            disposition: 'merge',
            runId: 'c6',
            softDelete: true,
          }),
        ).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
      } finally {
        await destination.close();
      }
    });

    it('merge refuses a new column with SCHEMA_CHANGE and a --resnapshot hint', async () => {
      const error = await commit({
        disposition: 'merge',
        runId: 'c5',
        chunks: [[['1', '1', '1']]],
        table: changes,
        columns: [...columns, int64('c')],
        key: ['a'],
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SCHEMA_CHANGE', hint: expect.stringMatching(/--resnapshot/) });
      expect((error as Error).message).toMatch(/"c" is new/);
    });
  });
}
