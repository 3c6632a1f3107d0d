/** What database drivers put on their errors, read the same way for every source. */

/** A driver error's code: SQLSTATE (pg), server error name (mysql2) or Node system code, also inside an AggregateError. */
export function driverErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return driverErrorCode(error.errors[0]);
  return undefined;
}

/** Node system codes meaning the server could not be reached at all (a later attempt may work). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
