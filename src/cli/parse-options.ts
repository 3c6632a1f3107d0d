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

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses a duration flag such as `30s`, `10m`, `1h`, `30d`, `2w`, `500ms` (a bare number is seconds) into ms. */
export function parseDuration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(value.trim());
  if (!match) {
    throw new SluiceError(
      'USAGE',
      `${flag} must be a duration such as 30s, 10m, 1h or 30d (got "${value}")`,
      {
        hint: `e.g. ${flag} 10m`,
      },
    );
  }
  return Math.round(Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000));
}

/** Parses a positive whole-number flag. */
export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new SluiceError('USAGE', `${flag} must be a positive whole number (got "${value}")`, {
      hint: `e.g. ${flag} 20`,
    });
  }
  return n;
}
