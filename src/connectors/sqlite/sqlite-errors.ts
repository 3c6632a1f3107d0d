/** Turns node:sqlite errors into SluiceErrors a person can act on. */
import { SluiceError, messageOf } from '../../core/errors.js';

/** SQLite primary result codes we explain (extended codes carry them in the low byte). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

function resultCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

export function sqliteError(error: unknown, file: string, what: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const detail = messageOf(error);
  switch (resultCode(error)) {
    case SQLITE_NOTADB:
      return new SluiceError('SOURCE_CONNECT', `${file} is not a SQLite database`, {
        hint: 'check the path after sqlite: in the source URL',
        cause: error,
      });
    case SQLITE_CANTOPEN:
      return new SluiceError('SOURCE_CONNECT', `cannot open ${file}: ${detail}`, {
        hint: 'check that the file and its directory are readable by this user',
        cause: error,
      });
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new SluiceError('SOURCE_READ', `${what} failed: ${file} is locked (${detail})`, {
        hint: 'another process holds a write lock; try again when it is done',
        retryable: true,
        cause: error,
      });
    case SQLITE_CORRUPT:
      return new SluiceError('SOURCE_READ', `${what} failed: ${file} is corrupt (${detail})`, {
        hint: 'check the file with `sqlite3 <file> "PRAGMA integrity_check"`',
        cause: error,
      });
    default:
      return new SluiceError('SOURCE_READ', `${what} failed: ${detail}`, { cause: error });
  }
}
