/**
 * What `sluice verify` reports: per table, the status, both row counts and the keys that differ,
 * in the JSON shape of the issue plus `notes`. Keys are shown as values: a one-column key as its
 * canonical text (or null), a composite key as an array of them; a table compared without a key
 * lists whole rows (canonical text, TAB between columns) as its missing and extra entries.
 */
import type { BisectStats } from './bisect.js';
import { NULL_TEXT } from './canonical-value.js';

/** A key as printed: one value, or one per key column. */
export type KeyValue = string | null | (string | null)[];

/** A changed row in the report. */
export interface ChangedKey {
  /** Its key. */
  key: KeyValue;
  /** The columns whose values differ. */
  columns: string[];
}

/** The verification of one table. */
export interface TableVerification {
  /** `namespace.name` on the source side. */
  table: string;
  /** `identical` only when rows, content and columns match. */
  status: 'identical' | 'different';
  /** Rows in the source. */
  sourceRows: number;
  /** Rows in the destination (0 when the table is absent there). */
  destinationRows: number;
  /** Keys only in the source. */
  missing: KeyValue[];
  /** Keys only in the destination. */
  extra: KeyValue[];
  /** Keys in both whose rows differ, with the differing columns. */
  changed: ChangedKey[];
  /** How the table was compared and what could not be (schema differences first). */
  notes: string[];
  /** Bisection counters, or null when no hashing happened. */
  stats: BisectStats | null;
}

/** The whole verification. */
export interface VerifyReport {
  /** True when every table is identical. */
  identical: boolean;
  /** One entry per verified table, in source order. */
  tables: TableVerification[];
}

function unescape(text: string): string | null {
  if (text === NULL_TEXT) return null;
  return text.replace(/\\(\\|t)/g, (_, c: string) => (c === 't' ? '\t' : '\\'));
}

/** The printable form of a canonical key text of `columns` key columns. */
export function keyValue(canonical: string, columns: number): KeyValue {
  if (columns <= 1) return unescape(canonical);
  return canonical.split('\t').map(unescape);
}

/** The report as `--json` prints it: the fields (and `notes`), without the counters. */
export function reportJson(report: VerifyReport): unknown {
  return {
    identical: report.identical,
    tables: report.tables.map(({ stats: _stats, ...table }) => table),
  };
}
