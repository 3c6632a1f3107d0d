/**
 * A private, throwaway MariaDB for tests that need server settings the machine's shared one does
 * not have (the binlog in ROW format for change data capture). The machine's server binaries
 * (`mariadb-install-db`, `/usr/sbin/mariadbd`) run on their own data directory under the OS temp
 * dir, on a free loopback port, as root (`--user=root`), with `--no-defaults` so nothing of the
 * machine's configuration leaks in. Nothing is left behind: the server is killed and the
 * directory removed on `stop()` and on any process exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from '../../examples/marketplace/embedded-server.js';
import type { TestMariaDb } from './mariadb.js';

const INSTALL_DB = '/usr/bin/mariadb-install-db';
const SERVER = '/usr/sbin/mariadbd';
const START_TIMEOUT_MS = 60_000;

/** How to start the server. */
export interface PrivateMariaDbOptions {
  /** Extra server flags (`--name=value`), after (and so overriding) the defaults. */
  flags?: string[];
}

/** A running private server. */
export interface PrivateMariaDbServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The free TCP port it listens on. */
  readonly port: number;
  /** The server's data directory (binlog files live here too). */
  readonly dataDir: string;
  /** Runs SQL as root outside any database (several statements allowed). */
  adminSql(text: string, params?: unknown[]): Promise<unknown>;
  /** Creates a database named from `label` and returns the handle the MariaDB test helpers take. */
  createDatabase(label: string): Promise<TestMariaDb>;
  /** Kills the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** True when this machine has the MariaDB server binaries. */
export function mariadbServerInstalled(): boolean {
  return existsSync(SERVER) && existsSync(INSTALL_DB);
}

/**
 * The binlog settings change data capture needs; `binlog_row_image=FULL` and CRC32 checksums are
 * MariaDB's defaults, spelled out so a changed default cannot quietly change what tests cover.
 */
const DEFAULT_FLAGS = [
  '--log-bin=binlog',
  '--binlog-format=ROW',
  '--binlog-row-image=FULL',
  '--binlog-checksum=CRC32',
  '--server-id=1',
  '--skip-name-resolve',
  // Debian's packaged server defaults (its my.cnf is skipped by --no-defaults).
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_general_ci',
  '--innodb-buffer-pool-size=64M',
  '--innodb-log-file-size=48M',
  // Durability is pointless for a server deleted at exit.
  '--innodb-flush-log-at-trx-commit=0',
  '--sync-binlog=0',
  '--max-connections=200',
];

export async function startPrivateMariaDb(
  options: PrivateMariaDbOptions = {},
): Promise<PrivateMariaDbServer> {
  const baseDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-mariadb-'));
  const dataDir = path.join(baseDir, 'data');
  const tmpDir = path.join(baseDir, 'tmp');
  mkdirSync(tmpDir);
  const port = await freePort();
  // Last-resort cleanup when the process exits without stop(): only synchronous work is possible.
  const server: { child?: ChildProcess } = {};
  const killSync = () => {
    const pid = server.child?.pid;
    if (pid !== undefined && server.child?.exitCode === null) process.kill(pid, 'SIGKILL');
    rmSync(baseDir, { recursive: true, force: true });
  };
  process.once('exit', killSync);

  const install = spawnSync(
    INSTALL_DB,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      // Passed on to the bootstrap server, which creates temporary tables too.
      `--tmpdir=${tmpDir}`,
    ],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) {
    killSync();
    throw new Error(`${INSTALL_DB} failed (${install.status}): ${install.stderr || install.stdout}`);
  }
  let log = '';
  const child = spawn(
    SERVER,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${path.join(baseDir, 'sock')}`,
      `--pid-file=${path.join(baseDir, 'mariadbd.pid')}`,
      // Internal temporary tables of its own: servers sharing /tmp have failed each other's
      // information_schema queries ("Error on delete of '/tmp/#sql-temptable-…'").
      `--tmpdir=${tmpDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      ...DEFAULT_FLAGS,
      ...(options.flags ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.child = child;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr.on('data', (data: Buffer) => (log = (log + data.toString('utf8')).slice(-4000)));
  child.stdout.resume();

  const connect = (multipleStatements = true) =>
    mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'root',
      multipleStatements,
      charset: 'UTF8MB4_GENERAL_CI',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      jsonStrings: true,
    });
  const withConnection = async <T>(
    database: string | undefined,
    work: (c: mysql.Connection) => Promise<T>,
  ) => {
    const connection = await connect();
    try {
      if (database) await connection.query(`USE \`${database}\``);
      return await work(connection);
    } finally {
      await connection.end();
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(baseDir, { recursive: true, force: true });
    process.removeListener('exit', killSync);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`mariadbd exited during start-up (${child.exitCode}): ${log}`);
    }
    try {
      const connection = await connect();
      await connection.end();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`mariadbd did not accept connections on port ${port}: ${log}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const adminSql = (text: string, params: unknown[] = []) =>
    withConnection(undefined, (c) => c.query(text, params));
  return {
    host: '127.0.0.1',
    port,
    dataDir,
    adminSql,
    async createDatabase(label) {
      const name = `sluice_t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
      await adminSql(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\``);
      return {
        name,
        url: `mysql://root@127.0.0.1:${port}/${name}`,
        sql: (text, params = []) => withConnection(name, (c) => c.query(text, params)),
        rows: (text, params = []) =>
          withConnection(name, async (c) => (await c.query(text, params))[0] as Record<string, unknown>[]),
        drop: () => adminSql(`DROP DATABASE IF EXISTS \`${name}\``).then(() => undefined),
      };
    },
    stop,
  };
}
