/**
 * `sluice runs` and `sluice runs show` over a real sync recorded in a control database: the
 * list, one run with its streams and per-chunk manifests (the sha256 is the staged file's),
 * JSON and text, and the errors a person can act on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINOOK_SQLITE } from '../helpers/chinook.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let control: string;
let runId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-runs-'));
  control = `sqlite:${path.join(dir, 'control.db')}`;
  const sync = await runCli([
    'sync',
    '--from',
    `sqlite:${CHINOOK_SQLITE}`,
    '--to',
    `lake:${path.join(dir, 'lake')}`,
    '--tables',
    'Genre,Track',
    '--control',
    control,
    '--json',
  ]);
  expect(sync.code).toBe(0);
  runId = (JSON.parse(sync.stdout) as { runId: string }).runId;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sluice runs', () => {
  it('lists runs newest first with their totals (--json)', async () => {
    const listed = await runCli(['runs', '--control', control, '--json', '--limit', '5']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        id: runId,
        status: 'succeeded',
        rowsRead: 3528,
        rowsWritten: 3528,
        rowsQuarantined: 0,
        verification: 'passed',
        durationMs: expect.any(Number),
        bytesRead: expect.any(Number),
        peakRssBytes: expect.any(Number),
      }),
    ]);
  });

  it('lists runs as a table for people', async () => {
    const listed = await runCli(['runs', '--control', control]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+\\S+\\s+succeeded\\s+3528\\s+3528`));
  });

  it('shows one run with its streams and chunk manifests', async () => {
    const shown = await runCli(['runs', 'show', runId, '--control', control, '--json']);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as {
      streams: unknown[];
      chunks: { stream: string; rows: number; contentSha256: string }[];
    };
    expect(detail).toMatchObject({ id: runId, status: 'succeeded', verification: 'passed' });
    expect(detail.streams).toEqual([
      expect.objectContaining({
        stream: 'main.Genre',
        rowsRead: 25,
        rows: 25,
        attempts: 1,
        verification: 'passed',
      }),
      expect.objectContaining({ stream: 'main.Track', rowsRead: 3503, rows: 3503, attempts: 1 }),
    ]);
    expect(detail.chunks.map((c) => [c.stream, c.rows])).toEqual([
      ['main.Genre', 25],
      ['main.Track', 3503],
    ]);
    for (const chunk of detail.chunks) expect(chunk.contentSha256).toMatch(/^[0-9a-f]{64}$/);

    const text = await runCli(['runs', 'show', runId, '--control', control]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/verification\s+passed/);
    // Each stream's check says what it compared (from the stored report): content, into a lake.
    expect(text.stdout).toMatch(
      /main\.Genre\s+succeeded\s+25\s+25\s+0\s+\S+ \S+\s+1\s+1\s+passed \(content\)/,
    );
    expect(text.stdout).toContain(detail.chunks[0]!.contentSha256);
  });

  it('says what to do about an unknown run or an empty control database', async () => {
    const missing = await runCli(['runs', 'show', 'run_nope', '--control', control]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run run_nope');
    expect(missing.stderr).toMatch(/hint: .*sluice runs/);

    const empty = await runCli(['runs', '--control', `sqlite:${path.join(dir, 'none', 'control.db')}`]);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('no runs recorded yet');
  });
});
