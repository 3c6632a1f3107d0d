import { SluiceError, messageOf } from '../core/errors.js';
import { redact } from '../core/redact.js';

/** Wraps a driver error from a control-database statement, keeping the SQL and dropping secrets. */
export function statementFailed(error: unknown, sql: string, retryable: boolean): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SluiceError('CONTROL_DB', `control database statement failed: ${redact(messageOf(error))}`, {
    sql,
    retryable,
    cause: error,
    hint: retryable
      ? 'the control database was busy or unreachable; retrying may succeed'
      : 'this is likely a Sluice bug or a control database changed by hand; report it with the SQL',
  });
}

/** The error for a transaction handle used after its transaction ended. */
export function transactionEnded(): SluiceError {
  return new SluiceError('CONTROL_DB', 'a transaction handle was used after its transaction ended', {
    hint: 'await every statement inside the transaction callback',
  });
}
