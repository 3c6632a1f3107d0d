/**
 * What a stream does when rows were quarantined (issue 5): `warn` (the default) loads the other
 * rows and reports the count; `fail` fails the stream, committing nothing of it (neither its data
 * nor its quarantine table), when the quarantined rows exceed the threshold: a count (`100`: more
 * than 100 rows) or a percentage of the rows the stream saw (`0.5%`: more than 0.5 % of loaded +
 * quarantined). `fail` without a threshold allows none. Under `warn` a threshold only adds a
 * warning to the report. The count is in the report either way.
 */
import { SluiceError } from '../core/errors.js';

/** A stream's quarantine policy. */
export interface QuarantinePolicy {
  /** `fail`: a stream over the threshold fails and commits nothing; `warn`: it loads and reports. */
  policy: 'fail' | 'warn';
  /** Most rows that may be quarantined: a count, or a percentage such as `0.5%`. Default for fail: 0. */
  threshold?: number | string;
}

/** A threshold taken apart. */
export interface QuarantineThreshold {
  /** Rows allowed (count), or null when given as a fraction. */
  rows: number | null;
  /** Fraction of the rows seen allowed (0…1), or null when given as a count. */
  fraction: number | null;
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** Parses a threshold: a non-negative integer count or a percentage (`0.5%`); USAGE otherwise. */
export function parseQuarantineThreshold(value: number | string): QuarantineThreshold {
  const text = String(value).trim();
  const percent = PERCENT.exec(text);
  if (percent && Number(percent[1]) <= 100) return { rows: null, fraction: Number(percent[1]) / 100 };
  if (/^\d+$/.test(text)) return { rows: Number(text), fraction: null };
  throw new SluiceError('USAGE', `not a quarantine threshold: ${JSON.stringify(value)}`, {
    hint: 'give a row count (e.g. 100) or a percentage of the rows read (e.g. 0.5%)',
  });
}

/**
 * The stream's verdict once everything is read: throws QUARANTINE_LIMIT (not retried: the same
 * input quarantines the same rows) under `fail` over the threshold; returns a warning under `warn`
 * over it; else undefined. `loaded` counts the rows staged for loading.
 */
export function checkQuarantine(
  policy: QuarantinePolicy | undefined,
  stream: string,
  quarantined: number,
  loaded: number,
): string | undefined {
  if (!policy || quarantined === 0) return undefined;
  const threshold =
    policy.threshold === undefined ? { rows: 0, fraction: null } : parseQuarantineThreshold(policy.threshold);
  const seen = quarantined + loaded;
  const over =
    threshold.rows !== null ? quarantined > threshold.rows : quarantined > (threshold.fraction ?? 0) * seen;
  if (!over) return undefined;
  const limit =
    threshold.rows !== null
      ? `${threshold.rows} rows`
      : `${(threshold.fraction ?? 0) * 100}% of ${seen} rows read`;
  const what = `${stream}: ${quarantined} of ${seen} rows were quarantined, more than the threshold of ${limit}`;
  if (policy.policy === 'warn') return what;
  throw new SluiceError('QUARANTINE_LIMIT', `${what}; nothing of the stream was committed`, {
    hint: 'fix the rows at the source (run again with --quarantine-policy warn to load the others and see each bad row with its file, line and reason in the <table>__quarantine table), or raise --quarantine-threshold',
  });
}
