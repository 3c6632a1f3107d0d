/**
 * The hermetic PostgreSQL the demo, tests and benchmarks start: it runs with the requested
 * settings, and its files and process are gone after stop() and after Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../helpers/embedded-postgres.js';

const NODE = path.resolve('node_modules/.bin/node');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded PostgreSQL', () => {
  it('starts with throwaway settings, creates databases, and removes everything on stop', async () => {
    const server = await startEmbeddedPostgres({ databases: ['shop'], settings: { work_mem: '32MB' } });
    try {
      const { rows } = await server.query(
        `SELECT current_database() AS db, current_setting('fsync') AS fsync, current_setting('wal_level') AS wal,
                current_setting('work_mem') AS work_mem, current_setting('listen_addresses') AS listen`,
        'shop',
      );
      expect(rows[0]).toEqual({
        db: 'shop',
        fsync: 'off',
        wal: 'minimal',
        work_mem: '32MB',
        listen: '127.0.0.1',
      });
      expect(server.url('shop')).toBe(`postgres://postgres:${server.password}@127.0.0.1:${server.port}/shop`);
      expect(existsSync(server.dataDir)).toBe(true);
    } finally {
      await server.stop();
    }
    expect(existsSync(path.dirname(server.dataDir))).toBe(false);
    await server.stop();
  });

  it('offers wal_level=logical for change data capture', async () => {
    const server = await startEmbeddedPostgres({ logical: true });
    try {
      const { rows } = await server.query(`SELECT current_setting('wal_level') AS wal`);
      expect(rows[0]?.wal).toBe('logical');
    } finally {
      await server.stop();
    }
  });

  it('stops the server and removes its files when the process is interrupted', async () => {
    const child = spawn(NODE, ['--import', 'tsx', 'test/examples/fixtures/hold-embedded-server.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const { dataDir, postmasterPid } = JSON.parse(line.toString()) as {
        dataDir: string;
        postmasterPid: number;
      };
      expect(alive(postmasterPid)).toBe(true);
      child.kill('SIGINT');
      await once(child, 'exit');
      expect(existsSync(path.dirname(dataDir))).toBe(false);
      expect(alive(postmasterPid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
