/**
 * A sync killed with SIGKILL cannot record its end: its run stays `running` in the control
 * database. `sluice runs` (and any later run) marks it `abandoned`: at once here, since its
 * process, on this machine, no longer exists; elsewhere once its heartbeat is a minute old.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqlite } from '../../src/core/node-sqlite.js';
import { openControlDb } from '../../src/control/open-control-db.js';
import { runCli } from '../helpers/run-cli.js';
import { killHard, spawnCliUntil } from '../helpers/spawn-cli-until.js';

let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-runs-abandoned-'));
  source = path.join(dir, 'big.db');
  const db = new (nodeSqlite().DatabaseSync)(source);
  db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)
    INSERT INTO big SELECT i, printf('row %d with some text to stage', i) FROM n`);
  db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runs of killed processes', () => {
  it('a SIGKILLed sync shows as abandoned, not running forever', async () => {
    const control = `sqlite:${path.join(dir, 'control.db')}`;
    const args = [
      'sync',
      '--from',
      `sqlite:${source}`,
      '--to',
      `lake:${path.join(dir, 'lake')}`,
      '--all',
      '--control',
      control,
    ];
    // The run is recorded before its first stream reports "reading…".
    const child = await spawnCliUntil(args, 'reading');
    await killHard(child);

    // What the killed run left behind: a run that says it is running.
    const db = await openControlDb(control);
    const [left] = await db.query<{ id: string; status: string; holder: string }>(
      'SELECT id, status, holder FROM runs',
    );
    await db.close();
    expect(left).toMatchObject({ status: 'running', holder: expect.stringContaining(`pid ${child.pid}`) });

    const listed = await runCli(['runs', '--control', control, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        id: left?.id,
        status: 'abandoned',
        errorCode: 'ABANDONED',
        errorMessage: expect.stringContaining(`pid ${child.pid}) no longer exists`),
        finishedAt: expect.any(String),
      }),
    ]);
    const shown = await runCli(['runs', 'show', left?.id ?? '', '--control', control]);
    expect(shown.stdout).toMatch(/status\s+abandoned \(ABANDONED\)/);

    // The next sync succeeds and its own run is not mistaken for a dead one.
    const rerun = await runCli([...args, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const statuses = JSON.parse((await runCli(['runs', '--control', control, '--json'])).stdout) as {
      status: string;
    }[];
    expect(statuses.map((r) => r.status)).toEqual(['succeeded', 'abandoned']);
  });
});
