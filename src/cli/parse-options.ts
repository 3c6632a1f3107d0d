import { SluiceError } from '../core/errors.js';

/** Parses a `--name <value>` that must be one of `allowed`, with a usage error naming them. */
export function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new SluiceError('USAGE', `${flag} must be one of ${allowed.join(', ')} (got "${value}")`, {
    hint: `e.g. ${flag} ${allowed[0]}`,
  });
}

/** Splits a comma-separated list flag, dropping empty items. */
export function commaList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}
