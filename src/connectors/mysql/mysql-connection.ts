/**
 * Connections to MySQL/MariaDB through mysql2's callback API (the one that streams): opening
 * one from the URL, running a query, opening the consistent snapshot a read runs in, and closing
 * — gracefully after a complete read, by cutting the socket after an abandoned one.
 */
import type { Socket } from 'node:net';
import mysql from 'mysql2';
import type { Connection } from 'mysql2';
import { SluiceError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { MysqlConfig } from './mysql-config.js';

/** Where a connection goes, for messages (never the password). */
export interface MysqlTarget {
  /** Host name or address from the URL. */
  host: string;
  /** Port from the URL, 3306 when absent. */
  port: number;
  /** Database from the URL: the namespace. */
  database: string;
  /** User name from the URL. */
  user: string;
}

/** The parts of a mysql:// or mariadb:// URL. */
export interface MysqlEndpoint extends MysqlTarget {
  /** Password from the URL (percent-decoded); empty when absent. */
  password: string;
}

export function parseMysqlUrl(url: string): MysqlEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError('USAGE', `not a valid MySQL URL: ${redactUrl(url)}`, {
      hint: 'use mysql://user:password@host:3306/database (percent-encode special characters in the password)',
    });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new SluiceError('USAGE', `the MySQL URL ${redactUrl(url)} must name one database`, {
      hint: 'end the URL with the database to read, e.g. mysql://user@host:3306/shop',
    });
  }
  return {
    host: decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: parsed.port ? Number(parsed.port) : 3306,
    database,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/** Opens a connection (abandoned when `signal` aborts); driver errors are left to the caller to explain. */
export async function openMysqlConnection(
  endpoint: MysqlEndpoint,
  config: MysqlConfig,
  signal?: AbortSignal,
): Promise<Connection> {
  const connection = mysql.createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    connectTimeout: config.connectTimeoutMs,
    // Every character set arrives as UTF-8, the stage dialect's encoding.
    charset: 'UTF8MB4_GENERAL_CI',
    // Catalog queries get exact strings; reads ask for raw bytes per query (typeCast: false).
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
    enableKeepAlive: true,
    ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
  });
  // Errors on an idle connection surface on its next query; without a listener they would crash the process.
  connection.on('error', () => undefined);
  const stop = () => void closeMysqlConnection(connection, false);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await new Promise<void>((resolve, reject) =>
      connection.connect((error) => (error ? reject(error) : resolve())),
    );
  } catch (error) {
    void closeMysqlConnection(connection, false);
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  return connection;
}

/** Runs one statement and returns its rows (objects, every value as a string or null). */
export function mysqlQuery<T = Record<string, string | null>>(
  connection: Connection,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    connection.query({ sql, values }, (error, rows) => (error ? reject(error) : resolve(rows as T[])));
  });
}

/**
 * Opens the transaction a read runs in: one consistent InnoDB snapshot (REPEATABLE READ, taken
 * at START), in a UTC session so TIMESTAMP values print as UTC. A paused read (the consumer
 * is busy) must not be cut off by net_write_timeout, nor a long one by a statement time limit.
 */
export async function beginSnapshot(connection: Connection): Promise<void> {
  const [server] = await mysqlQuery<{ version: string }>(connection, 'SELECT VERSION() AS version');
  const limit = /mariadb/i.test(server?.version ?? '') ? 'max_statement_time' : 'max_execution_time';
  await mysqlQuery(
    connection,
    `SET SESSION time_zone = '+00:00', SESSION net_write_timeout = 86400, SESSION ${limit} = 0`,
  );
  await mysqlQuery(connection, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await mysqlQuery(connection, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

/**
 * Calls `listener` once when the connection is lost: mysql2 reports a broken connection on the
 * connection (not on a streaming query), and nothing at all when it is closed on purpose, so the
 * socket's close is watched too. Returns the function that stops listening.
 */
export function onConnectionLost(connection: Connection, listener: (error: Error) => void): () => void {
  const socket = socketOf(connection);
  const onError = (error: Error) => listener(error);
  const onClose = () =>
    listener(
      Object.assign(new Error('Connection lost: the connection was closed during the read'), {
        code: 'PROTOCOL_CONNECTION_LOST',
      }),
    );
  connection.on('error', onError);
  socket?.on('close', onClose);
  return () => {
    connection.off('error', onError);
    socket?.off('close', onClose);
  };
}

/** mysql2 keeps its socket on the (untyped) `stream` property. */
function socketOf(connection: Connection): Socket | undefined {
  return (connection as unknown as { stream?: Socket }).stream;
}

/**
 * Closes a connection. Gracefully (COM_QUIT) after complete work; otherwise the socket is cut:
 * a paused result set would keep the server thread — and its snapshot — waiting for hours.
 */
export function closeMysqlConnection(connection: Connection, graceful: boolean): Promise<void> {
  if (graceful) {
    return new Promise((resolve) => connection.end(() => resolve()));
  }
  // destroy() alone only half-closes the socket.
  socketOf(connection)?.destroy();
  connection.destroy();
  return Promise.resolve();
}
