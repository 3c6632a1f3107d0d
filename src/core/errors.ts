/**
 * The one error type Sluice raises on purpose. Callers branch on `code`, the run loop decides
 * retry-or-fail from `retryable` alone, and the CLI prints `message` and `hint` (never a stack
 * trace unless --debug). Messages must never contain secrets: use `redactUrl` on anything that
 * came from a connection string.
 */
export type ErrorCode =
  | 'USAGE' // bad flags or arguments (exit 2)
  | 'CONFIG' // invalid project file (exit 2)
  | 'NOT_SUPPORTED' // a valid request this version cannot do yet (exit 2)
  | 'SOURCE_CONNECT' // cannot reach or log in to a source
  | 'SOURCE_READ' // a read failed after connecting
  | 'SOURCE_NOT_FOUND' // file, table or schema does not exist
  | 'TYPE_UNSUPPORTED' // a value or column type cannot be carried exactly
  | 'DESTINATION_WRITE' // writing data or metadata failed
  | 'LAKE_CORRUPT' // metadata missing or unreadable
  | 'COMMIT_CONFLICT' // someone else committed first
  | 'COMMIT_UNKNOWN' // the catalog failed mid-commit and cannot say whether the commit happened
  | 'TABLE_NOT_FOUND' // a lake table that does not exist
  | 'SCHEMA_CHANGE' // a stream's columns differ from its table's in a way the schema policy refuses
  | 'CONTROL_DB' // the control database failed
  | 'LEASE_HELD' // another run holds the stream's lease
  | 'LEASE_LOST' // the run lost its lease mid-stream (nothing was committed)
  | 'VERIFY_MISMATCH' // content differs after a run
  | 'QUARANTINE_LIMIT' // more rows were quarantined than the stream's policy allows (nothing committed)
  | 'CDC_PREREQUISITE' // the source is not set up for change capture (wal_level, privilege, replica identity, binlog)
  | 'CDC_POSITION_LOST' // the log from the committed position is gone (slot dropped or invalidated, binlog purged)
  | 'QUERY'; // a query failed

/** Options for a SluiceError besides its code and message. */
export interface SluiceErrorOptions {
  /** One sentence a person can act on, e.g. "check the password in SHOP_PASSWORD". */
  hint?: string;
  /** True when repeating the same operation may succeed (network blip, conflict). */
  retryable?: boolean;
  /** The underlying error. */
  cause?: unknown;
  /** The SQL that failed, for query errors. */
  sql?: string;
}

export class SluiceError extends Error {
  override readonly name = 'SluiceError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly sql: string | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.sql = options.sql;
  }

  /** True for errors that are the caller's fault (exit code 2 in the CLI). */
  get isUsage(): boolean {
    return this.code === 'USAGE' || this.code === 'CONFIG' || this.code === 'NOT_SUPPORTED';
  }
}

export function isSluiceError(error: unknown, code?: ErrorCode): error is SluiceError {
  return error instanceof SluiceError && (code === undefined || error.code === code);
}

/** The message of any thrown value, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
