/** Failures reading one file, as SluiceErrors that name the file and say what to do. */
import { SluiceError, isSluiceError, messageOf } from '../../core/errors.js';

/** A failed DuckDB read of `name`; the query's first message line says what was wrong. */
export function fileReadError(name: string, error: unknown): SluiceError {
  if (isSluiceError(error) && error.code !== 'QUERY') return error;
  const detail = messageOf(error).split('\n')[0] ?? '';
  const typeMismatch = /convert|cast/i.test(detail);
  return new SluiceError('SOURCE_READ', `reading ${name} failed: ${detail}`, {
    hint: typeMismatch
      ? 'a value does not fit the type discovery chose for its column; give ?sample_size=-1 so types are detected from every row'
      : 'check the file (and ?format= / ?encoding= if they were guessed wrong); the message names the problem',
    cause: error,
    ...(isSluiceError(error) && error.sql !== undefined && { sql: error.sql }),
  });
}
