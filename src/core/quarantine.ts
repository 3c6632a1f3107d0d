/**
 * The shape of quarantined rows: input a source could not load (a ragged CSV line, invalid
 * UTF-8, a value that does not parse as its column's type). Bad input is never dropped
 * silently: each such row is staged with where it came from and why, and the run appends it to
 * the lake table `<namespace>.<table>__quarantine`, whatever columns the stream itself has.
 */
import type { CanonicalColumn } from './canonical-types.js';

/** Columns of every quarantine table, in staged field order. */
export const QUARANTINE_COLUMNS: readonly CanonicalColumn[] = [
  { name: 'file', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
  { name: 'line', type: { kind: 'int64' }, nullable: true, sourceType: 'bigint' },
  { name: 'reason', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
  { name: 'raw', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
];

/** One quarantined row, as a source reports it. */
export interface QuarantinedRow {
  /** The file (path or URL) or other source object the row came from. */
  file: string;
  /** 1-based line number in the decoded text where the row starts; null when not known. */
  line: number | null;
  /** Why it was not loaded, e.g. `TOO MANY COLUMNS: expected 3 columns, found 4`. */
  reason: string;
  /** The row's text as read (invalid bytes shown as `\xNN`), or null when not available. */
  raw: string | null;
}

/** The quarantine table beside a stream's table. */
export function quarantineTableName(table: string): string {
  return `${table}__quarantine`;
}
