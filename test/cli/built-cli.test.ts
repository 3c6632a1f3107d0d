// bin/sluice.js runs the CLI built from the current src/ (bin/build-cli.js), never an older build,
// and falls back to tsx when it cannot build. Exercised on a copy of the checkout's bin/ and src/
// so the test may edit the source and break dist/.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';

const DESCRIPTION = 'Move tables from operational databases';
let copy: string;

beforeAll(async () => {
  copy = await mkdtemp(path.join(os.tmpdir(), 'sluice-built-cli-'));
  for (const entry of ['bin', 'src', 'tsconfig.json', 'package.json']) {
    await cp(path.join(REPO_ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'));
});
afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

function help(env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(copy, 'bin/sluice.js'), '--help'], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

async function builds(): Promise<string[]> {
  return (await readdir(path.join(copy, 'dist'))).filter((entry) => entry.startsWith('cli-')).sort();
}

describe('bin/sluice.js', () => {
  it('builds the current source once and runs the build', async () => {
    const first = await help();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(DESCRIPTION);
    const [build] = await builds();
    expect(await builds()).toHaveLength(1);
    expect(await readFile(path.join(copy, 'dist', build!, 'src/cli/program.js'), 'utf8')).toContain(
      DESCRIPTION,
    );

    // A second start reuses it.
    expect((await help()).stdout).toContain(DESCRIPTION);
    expect(await builds()).toEqual([build]);
  });

  it('never runs a build of older source: an edit makes a new build', async () => {
    const program = path.join(copy, 'src/cli/program.ts');
    const text = await readFile(program, 'utf8');
    await writeFile(program, text.replace(DESCRIPTION, 'Move tables (edited copy)'));
    const edited = await help();
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain('Move tables (edited copy)');
    expect(edited.stdout).not.toContain(DESCRIPTION);
    expect(await builds()).toHaveLength(2);
    // tsx runs the same source.
    expect((await help({ SLUICE_TSX: '1' })).stdout).toContain('Move tables (edited copy)');
  });

  it('falls back to tsx when it cannot build', async () => {
    await rm(path.join(copy, 'dist'), { recursive: true, force: true });
    // A file where dist/ should be: no build can be written.
    await writeFile(path.join(copy, 'dist'), '');
    const result = await help();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Move tables (edited copy)');
  });
});
