import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/run-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sluice CLI: help and usage errors', () => {
  it.each([[], ['init'], ['sync'], ['query'], ['tables'], ['history']])(
    '--help works for %j',
    async (...cmd) => {
      const result = await runCli([...cmd, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: sluice');
      if (cmd.length > 0) expect(result.stdout).toContain('Example');
    },
  );

  it('stops quietly when its output pipe closes early (sluice … | head)', async () => {
    const child = spawnCli(['sync', '--help']);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read the first bytes, then close the pipe as `head -1` would.
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    child.stdout?.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('exits 2 with one clear line and a hint on usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['bogus'], /unknown command/],
      [['sync', '--from', 'sqlite:x.db'], /--to is missing/],
      [['sync', '--from', 'sqlite:x.db', '--to', 'lake:/tmp/x'], /say which tables/],
      [
        ['sync', '--from', 'sqlite:x.db', '--to', 'lake:/tmp/x', '--all', '--mode', 'fast'],
        /--mode must be one of/,
      ],
      [['sync', '--from', 'ftp://host/x', '--to', 'lake:/tmp/x', '--all'], /unrecognised source URL/i],
      [['query', 'SELECT 1'], /--lake is missing/],
      [['history', 'nodot', '--lake', '/tmp'], /not a namespace\.table/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { cwd: dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /); // no stack trace without --debug
    }
  });

  it('says "not yet supported" (exit 2) for sources, destinations and modes that arrive later', async () => {
    await writeFile(path.join(dir, 'one.csv'), 'id\n1\n');
    const cases: string[][] = [
      ['--from', `file:${dir}/one.csv`, '--to', `lake:${dir}/l`, '--all', '--mode', 'cdc'],
    ];
    for (const args of cases) {
      const result = await runCli(['sync', ...args, '--control', `sqlite:${dir}/control.db`], { cwd: dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/not yet supported/);
      expect(result.stderr, args.join(' ')).toMatch(/^hint: /m);
    }
  });

  it('never prints a password', async () => {
    const result = await runCli(
      ['sync', '--from', 'postgres://app:s3cr3t-pw@127.0.0.1:1/shop', '--to', `lake:${dir}/l`, '--all'],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach|connect/i);
    expect(result.stderr + result.stdout).not.toContain('s3cr3t-pw');
    const debug = await runCli(
      [
        'sync',
        '--from',
        'postgres://app:s3cr3t-pw@127.0.0.1:1/shop',
        '--to',
        `lake:${dir}/l`,
        '--all',
        '--debug',
      ],
      { cwd: dir },
    );
    expect(debug.stderr + debug.stdout).not.toContain('s3cr3t-pw');
  });

  it('init writes a starter file once, and sync reports a project file problem with its path', async () => {
    const config = path.join(dir, 'sluice.yml');
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    expect(await readFile(config, 'utf8')).toContain('connections:');
    const again = await runCli(['init'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    // The starter needs SHOP_PASSWORD: the error names the variable and where it is used.
    const sync = await runCli(['sync'], { cwd: dir, env: { SHOP_PASSWORD: undefined } });
    expect(sync.stderr).toMatch(/SHOP_PASSWORD/);
    expect(sync.code).toBe(2);
    const missing = await runCli(['sync', '--config', 'nope.yml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/sluice init|--config/);
  });
});
