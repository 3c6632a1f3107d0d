import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openControlDb } from '../../src/control/open-control-db.js';
import { describeControlDb } from './control-db-suite.js';

let dir: string;
let count = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-control-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Nested directories: opening must create the parent directories of the file.
describeControlDb('sqlite', () => ({
  freshUrl: async () => `sqlite:${join(dir, `home-${++count}`, 'control.db')}`,
}));

describe('sqlite control database specifics', () => {
  it('resolves a relative path against cwd and uses WAL so processes can share it', async () => {
    const db = await openControlDb('sqlite:.sluice/control.db', { cwd: dir });
    try {
      expect((await stat(join(dir, '.sluice', 'control.db'))).isFile()).toBe(true);
      expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      await db.close();
    }
  });

  it('opens an in-memory database for tests', async () => {
    const db = await openControlDb('sqlite::memory:');
    expect(db.dialect).toBe('sqlite');
    expect(await db.query('SELECT count(*) AS n FROM runs')).toEqual([{ n: 0 }]);
    await db.close();
    await db.close();
  });

  it('reports a file it cannot open as CONTROL_DB with a hint', async () => {
    // A directory where the file should be.
    await expect(openControlDb(`sqlite:${dir}`)).rejects.toMatchObject({
      code: 'CONTROL_DB',
      hint: expect.stringContaining('control:'),
    });
  });
});
