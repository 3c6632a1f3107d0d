/**
 * Issue 5's "done when" for resumable full loads: the real CLI, loading a 1M-row PostgreSQL
 * table into the lake in key ranges of 20,000 rows, is killed with SIGKILL at 20+ random points
 * (while reading, while committing a range to the staging branch, while publishing the load) and
 * run again. After every kill the table's readers still see the previous published version
 * (main's snapshot is unchanged, or — killed after the publish — the new one); every completed
 * load equals the source row by row with no duplicates; and a resumed run reads only the ranges
 * the killed runs had not committed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { LOAD_BRANCH, LOAD_PROPERTY } from '../../src/lake/load-branch.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { IDENTICAL, diffPostgresTable, fingerprintPostgresTable } from '../helpers/postgres-lake-diff.js';
import { spawnCli } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';

const ROWS = 1_000_000;
const CHUNK_ROWS = 20_000;
const KILLS = 20;
const up = await serviceAvailable('PostgreSQL', 5432);

/** How a run ended: killed (and in which phase), or finished with its JSON report. */
type RunEnd =
  | { killed: true; phase: 'read' | 'checkpoint' | 'publish' }
  | { killed: false; code: number; stdout: string; stderr: string };

describe.skipIf(!up)('a 1M-row full load killed at random points', () => {
  let db: TestDatabase;
  let dir: string;
  let lake: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-kill-'));
    lake = path.join(dir, 'lake');
    db = await createTestDatabase('resumable_kill');
    await db.sql(`
      CREATE TABLE big AS
        SELECT g::bigint AS id, md5(g::text) AS label, (g % 100000)::numeric(12, 2) / 8 AS amount,
               timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at,
               CASE WHEN g % 7 = 0 THEN NULL ELSE g % 13 END AS maybe
          FROM generate_series(1, ${ROWS}) AS g;
      ALTER TABLE big ADD PRIMARY KEY (id);
      ANALYZE big;`);
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const args = () => [
    'sync',
    '--from',
    // Two connections read ranges side by side, so ranges finish out of order (sets with gaps).
    `${db.url}?parallelism=2`,
    '--to',
    `lake:${lake}`,
    '--tables',
    'big',
    '--chunk-rows',
    String(CHUNK_ROWS),
    '--json',
  ];

  /** main's current snapshot id, or null before the first publish. */
  async function mainSnapshot(): Promise<string | null> {
    const catalog = LakeCatalog.open(lake);
    try {
      const [table] = await catalog.listTables();
      return table?.snapshotId ?? null;
    } finally {
      await catalog.close();
    }
  }

  /** True when a staged load with at least one committed range is on the table's branch. */
  async function hasStagedRanges(): Promise<boolean> {
    const catalog = LakeCatalog.open(lake);
    try {
      const table = await catalog.loadTable({ namespace: 'public', name: 'big' });
      return table.metadata.refs[LOAD_BRANCH] !== undefined && LOAD_PROPERTY in table.metadata.properties;
    } finally {
      await catalog.close();
    }
  }

  /**
   * Runs the CLI and kills it: in phase `read` a random 0–300 ms after its `n`th chunk, in phase
   * `checkpoint` 0–30 ms after it (the range's commit to the branch follows its last chunk), in
   * phase `publish` 0–250 ms after it announced the final commit. Unless it finished first.
   */
  function runAndKill(phase: 'read' | 'checkpoint' | 'publish', n: number): Promise<RunEnd> {
    // --json prints no progress, so the kill follows the progress lines of a second, quiet flag set.
    const child = spawnCli(args().filter((arg) => arg !== '--json'));
    let chunks = 0;
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = (delayMs: number) =>
      setTimeout(() => {
        killed = child.kill('SIGKILL');
      }, delayMs);
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      for (const line of text.split('\n')) {
        if (/rows, .* staged$/.test(line) && ++chunks === n && phase !== 'publish') {
          kill(Math.random() * (phase === 'read' ? 300 : 30));
        }
        if (/committing/.test(line) && phase === 'publish') kill(Math.random() * 250);
      }
    });
    return exited(child).then((code) =>
      killed && code === null ? { killed: true, phase } : { killed: false, code: code ?? -1, stdout, stderr },
    );
  }

  it('resumes after every SIGKILL and the lake equals the source exactly', { timeout: 600_000 }, async () => {
    // Version 1, loaded without interruption: the version readers keep seeing while later loads die.
    const first = await finish(spawnCli(args()));
    expect(first.streams[0]).toMatchObject({ status: 'succeeded', rowsRead: ROWS });
    // About ROWS / CHUNK_ROWS ranges (the count follows the planner's row estimate).
    expect(first.streams[0]?.ranges).toBeGreaterThanOrEqual(45);
    const firstSides = await fingerprintPostgresTable(db.url, lake, 'big');
    expect(firstSides.lake).toEqual(firstSides.source);
    expect(firstSides.lake.rows).toBe(ROWS);
    let published = await mainSnapshot();

    let kills = 0;
    let versions = 0;
    const phases = new Set<string>();
    const changeSource = async () => {
      versions++;
      // Changed, deleted and new rows in every part of the key range.
      await db.sql(`
        UPDATE big SET label = 'v${versions}-' || label WHERE id % 10 = ${versions % 10};
        DELETE FROM big WHERE id % 997 = ${versions};
        INSERT INTO big SELECT g, 'new', 1, now(), NULL FROM generate_series(${ROWS + versions * 1000}, ${ROWS + versions * 1000 + 999}) g;`);
    };
    await changeSource();

    while (kills < KILLS) {
      // Killing a publish means reading every range left first: two of those, the rest mid-load.
      const phase = kills % 7 === 6 ? 'publish' : kills % 2 === 0 ? 'read' : 'checkpoint';
      const end = await runAndKill(phase, 1 + Math.floor(Math.random() * 3));
      if (end.killed) {
        kills++;
        phases.add(end.phase);
        const now = await mainSnapshot();
        // Killed before the publish swapped the pointer: readers still see the previous version.
        if (now === published) continue;
        // Killed after it: the new version is complete.
        published = now;
      } else {
        // A finished run succeeded (retries of transient errors allowed); show its output if not.
        if (end.code !== 0 || /FAILED/.test(end.stderr))
          throw new Error(`sluice sync exited ${end.code}:\n${end.stderr}`);
        published = await mainSnapshot();
      }
      // A load was published: it must hold the source's rows, every one hashed, no duplicates.
      const sides = await fingerprintPostgresTable(db.url, lake, 'big');
      expect(sides.lake).toEqual(sides.source);
      await changeSource();
    }
    expect([...phases].sort()).toEqual(['checkpoint', 'publish', 'read']);

    // Leave a load with committed ranges behind (a kill may land before the first range's commit).
    while (!(await hasStagedRanges())) {
      const end = await runAndKill('read', 3);
      expect(end.killed).toBe(true);
      expect(await mainSnapshot()).toBe(published);
    }
    // The killed load resumes: fewer rows read than the table has, committed ranges skipped.
    const last = await finish(spawnCli(args()));
    const stream = last.streams[0]!;
    expect(stream).toMatchObject({ status: 'succeeded', verification: 'passed' });
    const sides = await fingerprintPostgresTable(db.url, lake, 'big');
    // On a difference, name the rows (the row-by-row diff is slower, so only then).
    if (sides.lake.hashSum !== sides.source.hashSum) {
      expect(await diffPostgresTable(db.url, lake, 'big')).toMatchObject(IDENTICAL);
    }
    expect(sides.lake).toEqual(sides.source);
    expect(stream.rowsRead + (stream.rowsResumed ?? 0)).toBe(sides.source.rows);
    expect(stream.rangesSkipped).toBeGreaterThan(0);
    expect(stream.rowsRead).toBeLessThan(sides.source.rows);
  });
});

interface CliStream {
  status: string;
  rowsRead: number;
  verification: string;
  ranges?: number;
  rangesSkipped?: number;
  rowsResumed?: number;
}

/** Waits for `child` to end; its exit code, or null when a signal ended it. */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

/** Waits for a `--json` run to succeed and returns its report. */
async function finish(child: ChildProcess): Promise<{ status: string; streams: CliStream[] }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await exited(child);
  if (code !== 0) throw new Error(`sluice sync exited ${code}:\n${stderr}`);
  return JSON.parse(stdout) as { status: string; streams: CliStream[] };
}
