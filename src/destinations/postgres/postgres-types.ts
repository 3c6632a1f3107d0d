/**
 * Canonical types → PostgreSQL column types. Every value a connector stages in canonical text
 * is accepted by these types' input functions as it is (the stage dialect is PostgreSQL's own
 * CSV), so `COPY … FROM STDIN` needs no conversion:
 *
 * - `json` stays `json`, not `jsonb`: json keeps the document's exact text (key order, spacing,
 *   duplicate keys), which is what the canonical type carries and what verification hashes;
 * - `uuid` becomes `uuid` (joinable, 16 bytes); it prints in lower case, so an upper-case source
 *   text reads back in lower case — the same value, a different spelling;
 * - `binary` staged as `\x` + hex is bytea's own hex input format;
 * - `string` is `text`: PostgreSQL text cannot hold the NUL character, so a value containing
 *   one fails the load with PostgreSQL's error rather than being changed.
 */
import type { CanonicalType } from '../../core/canonical-types.js';

export function postgresColumnType(type: CanonicalType): string {
  switch (type.kind) {
    case 'boolean':
      return 'boolean';
    case 'int32':
      return 'integer';
    case 'int64':
      return 'bigint';
    case 'float32':
      return 'real';
    case 'float64':
      return 'double precision';
    case 'decimal':
      return `numeric(${type.precision},${type.scale})`;
    case 'string':
      return 'text';
    case 'binary':
      return 'bytea';
    case 'date':
      return 'date';
    case 'time':
      return 'time without time zone';
    case 'timestamp':
      return 'timestamp without time zone';
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'uuid':
      return 'uuid';
    case 'json':
      return 'json';
  }
}
