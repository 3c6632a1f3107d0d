/**
 * Turns mysql2 errors into SluiceErrors a person can act on. Messages name host, port, database
 * and user, never the password, and pass through redact() in case a driver echoed a URL.
 */
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { NETWORK_ERROR_CODES, driverErrorCode } from '../driver-errors.js';
import type { MysqlTarget } from './mysql-connection.js';

/** The connection broke or the server ended it: repeating the work may succeed. */
const LOST = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);

function where(target: MysqlTarget): string {
  return `${target.host}:${target.port}`;
}

export function connectError(error: unknown, target: MysqlTarget): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = driverErrorCode(error);
  const detail = redact(messageOf(error));
  const at = where(target);
  if (code && NETWORK_ERROR_CODES.has(code)) {
    const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host name not found' : code;
    return new SluiceError('SOURCE_CONNECT', `cannot reach MySQL at ${at} (${why})`, {
      hint: `check the host and port in the source URL and that the server accepts TCP connections on ${at}`,
      retryable: true,
      cause: error,
    });
  }
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return new SluiceError('SOURCE_CONNECT', `MySQL at ${at} refused user "${target.user}": ${detail}`, {
        hint: 'check the user name and password in the source URL',
        cause: error,
      });
    case 'ER_DBACCESS_DENIED_ERROR':
      return new SluiceError(
        'SOURCE_CONNECT',
        `user "${target.user}" may not use database "${target.database}" on ${at}: ${detail}`,
        { hint: `GRANT SELECT ON \`${target.database}\`.* TO the user "${target.user}"`, cause: error },
      );
    case 'ER_BAD_DB_ERROR':
      return new SluiceError('SOURCE_NOT_FOUND', `database "${target.database}" does not exist on ${at}`, {
        hint: 'check the database name at the end of the source URL (SHOW DATABASES lists them)',
        cause: error,
      });
    case 'ER_CON_COUNT_ERROR':
    case 'ER_TOO_MANY_USER_CONNECTIONS':
      return new SluiceError('SOURCE_CONNECT', `MySQL at ${at} has no free connections: ${detail}`, {
        hint: 'lower parallelism in the source URL, or raise max_connections on the server',
        retryable: true,
        cause: error,
      });
  }
  return new SluiceError('SOURCE_CONNECT', `cannot connect to MySQL at ${at}: ${detail}`, {
    hint: 'check the source URL (host, port, database, user)',
    retryable: code !== undefined && LOST.has(code),
    cause: error,
  });
}

/** An error while discovering or reading `table` (`database.table`), with the SQL that failed. */
export function queryError(error: unknown, what: string, table: string | null, sql: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = driverErrorCode(error);
  const detail = redact(messageOf(error));
  switch (code) {
    case 'ER_NO_SUCH_TABLE':
      return new SluiceError('SOURCE_NOT_FOUND', `table ${table ?? '?'} does not exist: ${detail}`, {
        hint: 'the table was dropped or renamed since discovery; run discovery again',
        cause: error,
        sql,
      });
    case 'ER_BAD_FIELD_ERROR':
      return new SluiceError('SOURCE_NOT_FOUND', `${table ?? what}: ${detail}`, {
        hint: 'the table changed since discovery; run discovery again',
        cause: error,
        sql,
      });
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_COLUMNACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
      return new SluiceError('SOURCE_READ', `${what} failed: ${detail}`, {
        hint: `grant the source user SELECT on ${table ?? 'the database'} (GRANT SELECT ON … TO …)`,
        cause: error,
        sql,
      });
  }
  const lost =
    (code !== undefined && LOST.has(code)) || /connection lost|closed the connection/i.test(detail);
  return new SluiceError('SOURCE_READ', `${what} failed: ${detail}`, {
    hint: lost ? 'the connection to MySQL was lost; run the sync again' : 'see the cause and the SQL',
    retryable: lost,
    cause: error,
    sql,
  });
}
