/**
 * PostgreSQL driver errors → SluiceErrors for the destination side: messages name host, port,
 * database and user (never the password) and pass through redact() in case a driver echoed a URL.
 */
import { SluiceError, messageOf } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { DUPLICATE_KEY_HINT, NULL_KEY_HINT } from '../sql/sql-errors.js';

/** Where the destination connects, for messages. */
export interface PgWhere {
  /** `host:port`. */
  address: string;
  /** Database name. */
  database: string;
  /** User name. */
  user: string;
}

/** SQLSTATE or Node system error code of a driver error (also inside an AggregateError). */
function codeOf(error: unknown): string | undefined {
  if (error instanceof AggregateError) return codeOf(error.errors[0]);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Lost connection, server going away, too many clients, serialization failure, deadlock, lock timeout. */
function isTransient(code: string | undefined): boolean {
  if (code === undefined) return false;
  return (
    /^(08|57P0|53300$|40001$|40P01$|55P03$)/.test(code) ||
    /^E(CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|AI_AGAIN|HOSTUNREACH|NETUNREACH|PIPE)$/.test(code)
  );
}

/** PostgreSQL messages can quote a whole rejected COPY line; keep logs readable. */
function shorten(text: string): string {
  return text.length <= 1000 ? text : `${text.slice(0, 1000)}… (${text.length - 1000} more characters)`;
}

/** The error for a failed connection attempt. */
export function pgConnectError(error: unknown, where: PgWhere): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = codeOf(error);
  const detail = redact(messageOf(error));
  const message = `cannot connect to the PostgreSQL destination at ${where.address}: ${detail}`;
  if (code === '28P01' || code === '28000') {
    return new SluiceError('DESTINATION_WRITE', message, {
      cause: error,
      hint: `check the user "${where.user}" and the password in the --to URL, and pg_hba.conf`,
    });
  }
  if (code === '3D000') {
    return new SluiceError(
      'DESTINATION_WRITE',
      `database "${where.database}" does not exist on ${where.address}`,
      {
        cause: error,
        hint: `create it first (createdb ${where.database}); Sluice creates schemas and tables, not databases`,
      },
    );
  }
  return new SluiceError('DESTINATION_WRITE', message, {
    cause: error,
    retryable: isTransient(code),
    hint: `check that PostgreSQL accepts connections at ${where.address} and the host, port and database in the --to URL`,
  });
}

const HINTS: Readonly<Record<string, string>> = {
  '23505': DUPLICATE_KEY_HINT,
  '23502': NULL_KEY_HINT,
  '42501':
    'grant the destination user CREATE on the database (to create schemas) or on the schema, and write access to the table',
  '2BP01':
    'other objects (views, foreign keys) depend on the table; drop them or keep the table’s columns unchanged',
  '22P04': 'the staged chunk is not valid stage CSV; this is a bug in the connector that staged it',
  '22P02': 'a staged value does not fit its column type; this is a bug in the connector that staged it',
  '22021':
    'PostgreSQL text cannot hold the NUL character; remove it at the source or carry the column as binary',
};

/** The error for a failed statement, carrying its SQL. */
export function pgStatementError(error: unknown, sql: string, what: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = codeOf(error);
  const transient = isTransient(code);
  // `where` locates a rejected COPY row ("COPY t, line 3, column c: …").
  const where = (error as { where?: unknown } | null)?.where;
  const detail = messageOf(error) + (typeof where === 'string' ? ` (${where})` : '');
  return new SluiceError('DESTINATION_WRITE', `${what} failed: ${shorten(redact(detail))}`, {
    cause: error,
    sql,
    retryable: transient,
    hint:
      (code !== undefined ? HINTS[code] : undefined) ??
      (transient
        ? 'the connection was lost or the server was busy; run the sync again'
        : 'see the SQL and the cause'),
  });
}
