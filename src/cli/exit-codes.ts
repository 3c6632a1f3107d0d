import { CommanderError } from 'commander';
import { isSluiceError, messageOf } from '../core/errors.js';
import { redact } from '../core/redact.js';

/** The CLI's contract with scripts. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Prints an error as one clear line plus its hint (a stack only with --debug) and returns the
 * exit code: 2 for usage and configuration errors, 1 for everything that failed at run time.
 */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) return EXIT.usage; // commander already printed it
  const message = redact(messageOf(error));
  process.stderr.write(`error: ${message}\n`);
  if (isSluiceError(error)) {
    if (error.hint) process.stderr.write(`hint: ${redact(error.hint)}\n`);
    if (debug && error.sql) process.stderr.write(`sql: ${error.sql}\n`);
  } else if (!debug) {
    process.stderr.write('hint: this is unexpected; run again with --debug for details and report it\n');
  }
  if (debug && error instanceof Error) {
    process.stderr.write(redact(error.stack ?? '') + '\n');
    let cause: unknown = error.cause;
    while (cause instanceof Error) {
      process.stderr.write('caused by: ' + redact(cause.stack ?? cause.message) + '\n');
      cause = cause.cause;
    }
  }
  if (isSluiceError(error) && error.isUsage) return EXIT.usage;
  return EXIT.failed;
}
