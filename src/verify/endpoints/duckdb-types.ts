/**
 * DuckDB column types back to canonical types, for endpoints read through DuckDB views (the
 * lake). The inverse of `duckdbType()` in core: VARCHAR comes back as string, which hashes
 * exactly like json and uuid carried as text.
 */
import type { CanonicalType } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';

const SIMPLE: Readonly<Record<string, CanonicalType>> = {
  BOOLEAN: { kind: 'boolean' },
  INTEGER: { kind: 'int32' },
  BIGINT: { kind: 'int64' },
  FLOAT: { kind: 'float32' },
  DOUBLE: { kind: 'float64' },
  VARCHAR: { kind: 'string' },
  UUID: { kind: 'uuid' },
  BLOB: { kind: 'binary' },
  DATE: { kind: 'date' },
  TIME: { kind: 'time' },
  TIMESTAMP: { kind: 'timestamp' },
  TIMESTAMPTZ: { kind: 'timestamptz' },
  'TIMESTAMP WITH TIME ZONE': { kind: 'timestamptz' },
};

export function canonicalOfDuckdbType(type: string, where: string): CanonicalType {
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(type);
  if (decimal) return { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  const found = SIMPLE[type.toUpperCase()];
  if (found) return found;
  throw new SluiceError('TYPE_UNSUPPORTED', `${where} has DuckDB type ${type}, which verify cannot hash`, {
    hint: 'verify compares the primitive types Sluice writes; leave this table out with --tables',
  });
}
