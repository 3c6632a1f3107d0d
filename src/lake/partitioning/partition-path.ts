/**
 * The folder a data file goes in, `data/<field>=<value>/…`, for people browsing a lake: dates
 * and hours as `2024-03-01` and `2024-03-01-13` (Iceberg's human strings), other values as
 * text. Readers never parse it (partition values live in the manifests), so it is escaped to
 * plain characters and shortened freely.
 */
import type { Comparable } from './comparable-value.js';
import { decimalScale } from './comparable-value.js';
import type { BoundPartitionField } from './partition-spec.js';
import { civilFromDays } from './partition-transform.js';

const MAX_SEGMENT_CHARS = 80;

/** `name=value/name=value` for a file's partition values. */
export function partitionPath(
  fields: readonly BoundPartitionField[],
  values: readonly (Comparable | null)[],
): string {
  return fields
    .map((bound, i) =>
      escape(`${bound.field.name}=${humanValue(bound, values[i] ?? null)}`).slice(0, MAX_SEGMENT_CHARS),
    )
    .join('/');
}

function humanValue(bound: BoundPartitionField, value: Comparable | null): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value))
    return bound.resultType === 'binary' ? value.toString('hex') : value.toString('utf8');
  if (typeof value === 'number') return String(value);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = (days: number) => {
    const { year, month, day } = civilFromDays(days);
    return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  };
  const scale = decimalScale(bound.resultType);
  switch (bound.transform.kind) {
    case 'year':
      return pad(1970 + Number(value), 4);
    case 'month': {
      const months = Number(value);
      return `${pad(1970 + Math.floor(months / 12), 4)}-${pad((((months % 12) + 12) % 12) + 1)}`;
    }
    case 'day':
      return date(Number(value));
    case 'hour': {
      const hours = Number(value);
      return `${date(Math.floor(hours / 24))}-${pad(((hours % 24) + 24) % 24)}`;
    }
    default:
      if (bound.resultType === 'date') return date(Number(value));
      if (scale !== null && scale > 0) {
        const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
        return `${value < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
      }
      return value.toString();
  }
}

/** Letters, digits, `.`, `_`, `-` and `=` stay; every other byte becomes `%XX` (no glob or URL specials). */
function escape(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9._=-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
