/**
 * The quarantine policy (issue 5): `warn` loads the good rows and counts the bad ones; `fail`
 * fails a table whose quarantined rows exceed the threshold (a count or a percentage) and commits
 * nothing of it, neither the data nor the quarantine table; the count is in the report either
 * way. Through the library, the CLI flags (exit codes, JSON report) and the project file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { queryLake } from '../../src/lake/lake-query.js';
import { checkQuarantine, parseQuarantineThreshold } from '../../src/sync/quarantine-policy.js';
import type { QuarantinePolicy } from '../../src/sync/quarantine-policy.js';
import { runSync } from '../../src/sync/run-sync.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let csv: string;
/** 10 good rows and 2 ragged ones. */
const ROWS = [
  'id,name',
  ...Array.from({ length: 5 }, (_, i) => `${i + 1},n${i + 1}`),
  '6,six,extra',
  ...Array.from({ length: 5 }, (_, i) => `${i + 7},n${i + 7}`),
  '12',
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-quarantine-policy-'));
  csv = path.join(dir, 'people.csv');
  await writeFile(csv, ROWS.join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let lakes = 0;
const sync = async (quarantine?: QuarantinePolicy) => {
  const lake = path.join(dir, `lake-${lakes++}`);
  const report = await runSync({
    from: `file:${csv}`,
    to: `lake:${lake}`,
    tables: 'all',
    retry: { attempts: 1 },
    ...(quarantine && { quarantine }),
  });
  return { report, lake };
};

const lakeTables = async (lake: string) => {
  const catalog = LakeCatalog.open(lake);
  try {
    return (await catalog.listTables()).map((t) => `${t.namespace}.${t.name}:${t.totalRecords}`);
  } finally {
    await catalog.close();
  }
};

describe('quarantine policy', () => {
  it('warn (the default) loads the good rows and counts the bad ones', async () => {
    const { report, lake } = await sync();
    expect(report.status).toBe('succeeded');
    expect(report.streams[0]).toMatchObject({ rowsQuarantined: 2, rowsWritten: 10 });
    expect(await lakeTables(lake)).toEqual(['files.people:10', 'files.people__quarantine:2']);
  });

  it('fail over the threshold fails the table and commits nothing of it; the count stays in the report', async () => {
    for (const policy of [
      { policy: 'fail' },
      { policy: 'fail', threshold: 1 },
      { policy: 'fail', threshold: '10%' },
    ] as const) {
      const { report, lake } = await sync(policy);
      expect(report.status, JSON.stringify(policy)).toBe('failed');
      expect(report.streams[0]).toMatchObject({ status: 'failed', rowsQuarantined: 2, rowsWritten: 0 });
      expect(report.rowsQuarantined).toBe(2);
      expect(report.streams[0]?.error).toContain('2 of 12 rows were quarantined');
      expect(await lakeTables(lake)).toEqual([]);
    }
  });

  it('fail at or under the threshold loads like warn', async () => {
    for (const policy of [
      { policy: 'fail', threshold: 2 },
      { policy: 'fail', threshold: '20%' },
    ] as const) {
      const { report, lake } = await sync(policy);
      expect(report.status, JSON.stringify(report.streams)).toBe('succeeded');
      expect(report.streams[0]).toMatchObject({ rowsQuarantined: 2, rowsWritten: 10 });
      expect(report.streams[0]?.warning).toBeUndefined();
      const { rows } = await queryLake(lake, 'SELECT count(*) FROM files.people__quarantine');
      expect(Number(rows[0]?.[0])).toBe(2);
    }
  });

  it('warn over its threshold loads and says so in the report', async () => {
    const { report } = await sync({ policy: 'warn', threshold: 1 });
    expect(report.status).toBe('succeeded');
    expect(report.streams[0]?.warning).toContain('more than the threshold of 1 rows');
  });

  it('thresholds: a count or a percentage, anything else a usage error', () => {
    expect(parseQuarantineThreshold(100)).toEqual({ rows: 100, fraction: null });
    expect(parseQuarantineThreshold('0.5%')).toEqual({ rows: null, fraction: 0.005 });
    for (const bad of ['-1', '1.5', 'ten', '150%']) {
      const error = (() => {
        try {
          return parseQuarantineThreshold(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(isSluiceError(error, 'USAGE'), bad).toBe(true);
    }
    expect(checkQuarantine({ policy: 'fail', threshold: '50%' }, 't', 5, 5)).toBeUndefined();
    expect(() => checkQuarantine({ policy: 'fail', threshold: '50%' }, 't', 6, 5)).toThrow(/6 of 11 rows/);
    expect(checkQuarantine({ policy: 'fail' }, 't', 0, 5)).toBeUndefined();
  });

  it('the CLI: --quarantine-policy fail exits 1 with the count in the JSON report; a bad threshold exits 2', async () => {
    const lake = path.join(dir, 'cli-lake');
    const sync = (...flags: string[]) =>
      runCli(['sync', '--from', `file:${csv}`, '--to', `lake:${lake}`, '--all', ...flags]);
    const failed = await sync('--quarantine-policy', 'fail', '--quarantine-threshold', '1', '--json');
    expect(failed.code, failed.stderr).toBe(1);
    const report = JSON.parse(failed.stdout) as { status: string; streams: { rowsQuarantined: number }[] };
    expect(report).toMatchObject({ status: 'failed', streams: [{ rowsQuarantined: 2 }] });
    const usage = await sync('--quarantine-threshold', 'lots');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('0.5%');
  });

  it('the project file: quarantine: { policy, threshold } per sync and per table', async () => {
    const project = path.join(dir, 'project');
    await rm(project, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(project));
    await writeFile(
      path.join(project, 'sluice.yml'),
      `version: 1
connections:
  drops: { url: "file:${csv}" }
  lake: { url: "lake:./lake" }
syncs:
  - from: drops
    to: lake
    quarantine: { policy: warn }
    streams:
      people: { quarantine: { policy: fail, threshold: "5%" } }
`,
    );
    const result = await runCli(['sync', '--json'], { cwd: project });
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'failed', streams: [{ rowsQuarantined: 2 }] });
  });
});
