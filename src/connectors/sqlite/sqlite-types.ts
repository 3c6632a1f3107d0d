/**
 * SQLite declared type → canonical type, following SQLite's column affinity rules (first
 * match wins: INT → integer; CHAR/CLOB/TEXT → text; BLOB or none → blob; REAL/FLOA/DOUB → real;
 * anything else → numeric). Within the numeric affinity the common declared names get their
 * obvious canonical type. SQLite stores whatever it is given, so the declared type is only a
 * promise: sqlite-value-encoder.ts checks every value against it.
 */
import type { CanonicalType } from '../../core/canonical-types.js';

/** The canonical type of a column and why, when it is not the obvious one. */
export interface SqliteMapping {
  /** The canonical type values are carried as. */
  type: CanonicalType;
  /** Set when the mapping is a fallback to text. */
  note?: string;
}

const MAX_DECIMAL_PRECISION = 38;
const DECIMAL = /^(?:NUMERIC|DECIMAL)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/;
/** Numeric-affinity names with an exact canonical type; an optional size like `(6)` is ignored. */
const NAMED: Readonly<Record<string, CanonicalType>> = {
  BOOLEAN: { kind: 'boolean' },
  BOOL: { kind: 'boolean' },
  DATE: { kind: 'date' },
  DATETIME: { kind: 'timestamp' },
  TIMESTAMP: { kind: 'timestamp' },
  TIME: { kind: 'time' },
};

const TEXT_FALLBACK =
  'carried losslessly as text (integers as digits, reals in shortest round-trip form, text as stored)';

export function canonicalSqliteType(declared: string): SqliteMapping {
  const upper = declared.trim().toUpperCase();
  if (upper === '') return { type: { kind: 'string' }, note: `no declared type: ${TEXT_FALLBACK}` };
  if (upper.includes('INT')) return { type: { kind: 'int64' } };
  if (upper.includes('CHAR') || upper.includes('CLOB') || upper.includes('TEXT'))
    return { type: { kind: 'string' } };
  if (upper.includes('BLOB')) return { type: { kind: 'binary' } };
  if (upper.includes('REAL') || upper.includes('FLOA') || upper.includes('DOUB'))
    return { type: { kind: 'float64' } };
  const decimal = DECIMAL.exec(upper);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2] ?? '0');
    if (precision >= 1 && precision <= MAX_DECIMAL_PRECISION && scale <= precision) {
      return { type: { kind: 'decimal', precision, scale } };
    }
    return { type: { kind: 'string' }, note: `${declared} has no decimal(38) equivalent: ${TEXT_FALLBACK}` };
  }
  const named = NAMED[upper.replace(/\s*\(\s*\d+\s*\)$/, '')];
  if (named) return { type: named };
  return {
    type: { kind: 'string' },
    note: `${declared} has numeric affinity without a fixed precision: ${TEXT_FALLBACK}`,
  };
}
