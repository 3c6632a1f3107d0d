/**
 * Many writers, one table: no commit is lost, duplicated or half-visible.
 *
 * - Two writers in one process open, write and commit each round at the same moment, so one of
 *   them loses the compare-and-swap every round and must rebase; on both control homes.
 * - Two child processes append in free-running loops at once.
 * - A child writer is killed (SIGKILL) at a random moment while it commits, again and again:
 *   the table always opens at a complete snapshot whose files all exist, holding exactly the
 *   batches that were committed — each whole, none twice — and orphan cleanup afterwards removes
 *   only what no version references.
 *
 * Each batch's rows name the batch, so the table's content shows what was committed.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeDestination } from '../../src/destinations/lake/lake-destination.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { liveFiles } from '../../src/lake/manifest-io.js';
import { removeOrphanFiles } from '../../src/lake/orphan-files.js';
import { currentSnapshot } from '../../src/lake/table-metadata.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { installFileUrlFetch } from './file-url-fetch.js';
import { batchRows, commitRows, countBatches } from './lake-writes.js';

const WRITER = fileURLToPath(new URL('./fixtures/append-writer.ts', import.meta.url));
const TABLE = { namespace: 'shop', name: 'orders' };
const ROUNDS = 12;
const KILLS = 20;

const pgUp = await serviceAvailable('PostgreSQL', 5432);
let database: TestDatabase | undefined;
let dir: string;
let count = 0;
let removeFetchShim: () => void;

beforeAll(async () => {
  removeFetchShim = installFileUrlFetch();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-writers-'));
  if (pgUp) database = await createTestDatabase('concurrent_writers');
});
afterAll(async () => {
  removeFetchShim();
  await fs.rm(dir, { recursive: true, force: true });
  await database?.drop();
});

function freshLake(home: 'sqlite' | 'postgres'): { root: string; control: string | undefined } {
  const n = ++count;
  return {
    root: path.join(dir, `lake-${n}`),
    // sqlite: the lake's own default control database, as a user gets it.
    control: home === 'sqlite' ? undefined : `${database!.url}?schema=writers_${n}`,
  };
}

async function tableBatches(root: string, control: string | undefined): Promise<Map<string, number>> {
  const result = await queryLake(root, 'SELECT batch, n FROM shop.orders', { control });
  return countBatches(result.rows);
}

/** Batches a path-based reader (icebird, via the version hint) sees. */
async function icebirdBatches(root: string): Promise<Map<string, number>> {
  const rows = await icebergRead({ tableUrl: new LocalStorage(root).url('shop/orders') });
  return countBatches(rows.map((row) => [row.batch, row.n]));
}

interface Child {
  /** Batches the child reported committed, with their sizes. */
  committed: Map<string, number>;
  /** Resolves once the child printed `ready`. */
  ready: Promise<void>;
  /** Resolves with the exit code (or signal) when the child ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  process: ChildProcessWithoutNullStreams;
}

function startWriter(
  root: string,
  control: string | undefined,
  id: string,
  rounds: number,
  startAt?: number,
): Child {
  const args = [
    root,
    control ?? 'default',
    id,
    String(rounds),
    ...(startAt === undefined ? [] : [String(startAt)]),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args]);
  const committed = new Map<string, number>();
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') markReady();
      const match = /^committed (\S+) (\d+)$/.exec(line);
      if (match) committed.set(match[1]!, Number(match[2]));
    }
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) =>
      child.on('close', (code, signal) => {
        markReady();
        resolve({ code, signal, stderr });
      }),
  );
  return { committed, ready, exited, process: child };
}

for (const home of ['sqlite', 'postgres'] as const) {
  describe.skipIf(home === 'postgres' && !pgUp)(`concurrent writers (catalog in ${home})`, () => {
    it('loses no rows when two writers in one process commit on the same version every round', async () => {
      const { root, control } = freshLake(home);
      const options = control === undefined ? {} : { control };
      const writers = [new LakeDestination(root, options), new LakeDestination(root, options)];
      const expected = new Map<string, number>();
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          // Both open (and so read the same base) before either commits: one must rebase.
          await Promise.all(
            writers.map(async (writer, w) => {
              const batch = `w${w}-${round}`;
              const size = ((round + w) % 3) + 1;
              await commitRows(writer, TABLE, batchRows(batch, size), { chunkRows: 2 });
              expected.set(batch, size);
            }),
          );
        }
      } finally {
        await Promise.all(writers.map((writer) => writer.close()));
      }
      expect(await tableBatches(root, control)).toEqual(expected);
      expect(await icebirdBatches(root)).toEqual(expected);
      const catalog = LakeCatalog.open(root, { control });
      try {
        const history = await catalog.history(TABLE);
        expect(history).toHaveLength(2 * ROUNDS);
        // Linear history: each snapshot's parent is the one before it.
        history.slice(1).forEach((entry, i) => expect(entry.parentId).toBe(history[i]?.snapshotId));
      } finally {
        await catalog.close();
      }
    });

    it('loses no rows when two processes append to one table at once', async () => {
      const { root, control } = freshLake(home);
      const startAt = Date.now() + 2500;
      const children = ['p1', 'p2'].map((id) => startWriter(root, control, id, ROUNDS, startAt));
      const results = await Promise.all(children.map((child) => child.exited));
      for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });
      const expected = new Map([...children[0]!.committed, ...children[1]!.committed]);
      expect(expected.size).toBe(2 * ROUNDS);
      expect(await tableBatches(root, control)).toEqual(expected);
      expect(await icebirdBatches(root)).toEqual(expected);
    });
  });
}

describe('a writer killed while it commits', () => {
  it(
    'always leaves the table at a complete snapshot holding exactly the committed batches',
    { timeout: 600_000 },
    async () => {
      const { root, control } = freshLake('sqlite');
      const committed = new Map<string, number>();
      for (let kill = 1; kill <= KILLS; kill++) {
        const child = startWriter(root, control, `k${kill}`, 1000);
        await child.ready;
        // Anywhere from before the first commit to a few commits in: staging, manifests, the swap, the hint.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 600));
        child.process.kill('SIGKILL');
        const exit = await child.exited;
        expect(exit.signal, exit.stderr).toBe('SIGKILL');
        for (const [batch, size] of child.committed) committed.set(batch, size);

        const catalog = LakeCatalog.open(root);
        try {
          const tables = await catalog.listTables();
          if (tables.length === 0) {
            expect(committed.size).toBe(0);
            continue;
          }
          const table = await catalog.loadTable(TABLE);
          const snapshot = currentSnapshot(table.metadata)!;
          for (const file of await liveFiles(catalog.storage, snapshot)) {
            expect(await catalog.storage.exists(catalog.storage.keyOf(file.dataFile.file_path))).toBe(true);
          }
        } finally {
          await catalog.close();
        }
        const seen = await tableBatches(root, control);
        // The batch in flight at the kill may have committed without being reported: then whole.
        const unreported = [...seen.keys()].filter((batch) => !committed.has(batch));
        expect(unreported.length).toBeLessThanOrEqual(1);
        for (const batch of unreported) {
          const round = Number(batch.split('-')[1]);
          expect(batch.startsWith(`k${kill}-`)).toBe(true);
          expect(seen.get(batch)).toBe((round % 4) + 1);
          committed.set(batch, seen.get(batch)!);
        }
        expect(seen).toEqual(committed);
        // A path-based reader sees a complete (possibly one commit older) snapshot.
        for (const [batch, size] of await icebirdBatches(root)) expect(committed.get(batch)).toBe(size);
      }
      expect(committed.size).toBeGreaterThan(0);

      const catalog = LakeCatalog.open(root);
      try {
        await removeOrphanFiles(catalog, TABLE, { olderThanMs: 0 });
        const again = await removeOrphanFiles(catalog, TABLE, { olderThanMs: 0, dryRun: true });
        expect(again.orphans).toEqual([]);
      } finally {
        await catalog.close();
      }
      expect(await tableBatches(root, control)).toEqual(committed);
      // A kill between the swap and the hint leaves path readers one commit behind until the next.
      const destination = new LakeDestination(root);
      try {
        await commitRows(destination, TABLE, batchRows('after', 1));
      } finally {
        await destination.close();
      }
      committed.set('after', 1);
      expect(await tableBatches(root, control)).toEqual(committed);
      expect(await icebirdBatches(root)).toEqual(committed);
    },
  );
});
