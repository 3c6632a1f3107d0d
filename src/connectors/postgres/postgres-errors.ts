/**
 * Turns driver errors into SluiceErrors a person can act on. Messages name host, port, database
 * and user, never the password, and pass through redact() in case a driver echoed the URL.
 */
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { StreamPlan } from '../../core/stream.js';
import { NETWORK_ERROR_CODES, driverErrorCode } from '../driver-errors.js';
import { parseRejection } from './postgres-types.js';

/** Where a connection goes, for messages. */
export interface PgTarget {
  /** Host name or address from the URL. */
  host: string;
  /** Port from the URL, 5432 when absent. */
  port: number;
  /** Database name from the URL. */
  database: string;
  /** User name from the URL. */
  user: string;
}

export function pgTarget(url: string): PgTarget {
  try {
    const parsed = new URL(url);
    return {
      host: decodeURIComponent(parsed.hostname) || 'localhost',
      port: parsed.port ? Number(parsed.port) : 5432,
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
      user: decodeURIComponent(parsed.username),
    };
  } catch {
    return { host: '?', port: 5432, database: '?', user: '?' };
  }
}

const codeOf = driverErrorCode;
const NETWORK = NETWORK_ERROR_CODES;

/** Node socket errors after which a new connection may well work. */
const TRANSIENT_SOCKET = new Set([...NETWORK, 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * SQLSTATEs worth retrying: class 08 (connection exception), 40001 serialization failure,
 * 40P01 deadlock, 53300 too many connections, 57P01/57P02/57P03 admin or crash shutdown and
 * "cannot connect now" (starting up). Everything else (28 auth, 42 syntax or missing objects,
 * 3D000 missing database, 22 data) fails the same way again, so it is terminal.
 */
const TRANSIENT_SQLSTATE = /^(08...|40001|40P01|53300|57P0[123])$/;

/**
 * pg reports a socket closed under it without a code, only with one of these messages (and
 * pg-copy-streams with "Connection terminated" too).
 */
const LOST_MESSAGE = /connection terminated|terminated unexpectedly|connection ended|ECONNRESET|EPIPE/i;

/**
 * True when repeating the operation on a new connection may succeed: the one place PostgreSQL
 * driver errors are classified retryable or terminal.
 */
export function isTransientPgError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (TRANSIENT_SOCKET.has(code) || TRANSIENT_SQLSTATE.test(code))) return true;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return false;
  return LOST_MESSAGE.test(messageOf(error));
}

export function connectError(error: unknown, target: PgTarget): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = codeOf(error);
  const where = `${target.host}:${target.port}`;
  const detail = redact(messageOf(error));
  if (code && NETWORK.has(code)) {
    const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host name not found' : code;
    return new SluiceError('SOURCE_CONNECT', `cannot reach PostgreSQL at ${where} (${why})`, {
      hint: `check the host and port in the source URL and that PostgreSQL accepts TCP connections on ${where}`,
      retryable: true,
      cause: error,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new SluiceError(
      'SOURCE_CONNECT',
      `PostgreSQL at ${where} refused user "${target.user}": ${detail}`,
      {
        hint:
          code === '28P01'
            ? 'check the user name and password in the source URL'
            : `check the user name, and that pg_hba.conf lets "${target.user}" connect to "${target.database}" from this host`,
        cause: error,
      },
    );
  }
  if (code === '3D000') {
    return new SluiceError('SOURCE_NOT_FOUND', `database "${target.database}" does not exist on ${where}`, {
      hint: 'check the database name at the end of the source URL (psql -l lists them)',
      cause: error,
    });
  }
  if (isTransientPgError(error) || /timeout/i.test(detail)) {
    return new SluiceError('SOURCE_CONNECT', `cannot connect to PostgreSQL at ${where}: ${detail}`, {
      hint: 'the server is busy, starting or slow to answer; try again shortly',
      retryable: true,
      cause: error,
    });
  }
  return new SluiceError('SOURCE_CONNECT', `cannot connect to PostgreSQL at ${where}: ${detail}`, {
    hint: 'check the source URL (host, port, database, user, sslmode)',
    cause: error,
  });
}

export function readError(error: unknown, plan: StreamPlan, sql: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const { namespace, name } = plan.schema;
  const table = `${namespace}.${name}`;
  const code = codeOf(error);
  const detail = redact(messageOf(error));
  const rejection = parseRejection(detail);
  if (rejection) {
    const column = plan.schema.columns[rejection.columnIndex];
    const kind = column?.type.kind ?? 'unknown';
    const key = rejection.key ? ` (row key ${rejection.key})` : '';
    return new SluiceError(
      'TYPE_UNSUPPORTED',
      `${table}.${column?.name ?? '?'}: value ${rejection.value}${key} cannot be carried as ${kind}`,
      {
        hint:
          kind === 'decimal'
            ? 'NaN has no decimal equivalent; update or filter those rows in the source'
            : `infinite, BC and 24:00 values have no ${kind} equivalent in the lake; update or filter those rows in the source`,
        cause: error,
        sql,
      },
    );
  }
  if (code === '42P01' || code === '3F000') {
    return new SluiceError('SOURCE_NOT_FOUND', `table ${table} does not exist`, {
      hint: `run discovery again to list the tables of schema "${namespace}"`,
      cause: error,
      sql,
    });
  }
  if (code === '42703') {
    return new SluiceError('SOURCE_NOT_FOUND', `${table}: ${detail}`, {
      hint: 'the table changed since discovery; run discovery again',
      cause: error,
      sql,
    });
  }
  if (code === '42501') {
    return new SluiceError('SOURCE_READ', `${table}: ${detail}`, {
      hint: `grant the source user SELECT on ${table}`,
      cause: error,
      sql,
    });
  }
  const transient = isTransientPgError(error);
  return new SluiceError('SOURCE_READ', `reading ${table} failed: ${detail}`, {
    hint: transient
      ? 'the connection to PostgreSQL was lost or the server asked to retry; the run retries this itself, and a rerun resumes safely'
      : 'see the cause and the SQL',
    retryable: transient,
    cause: error,
    sql,
  });
}
