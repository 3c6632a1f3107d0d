/**
 * Iceberg partition transforms (spec "Partition Transforms"): which source types each accepts,
 * its result type, how the spec writes it (`bucket[16]`), the partition field name Java gives
 * it, and its value on one comparable value — used to prune files and to check the SQL that
 * computes partition values while writing (partition-sql.ts).
 */
import type { PartitionFieldDecl } from '../../core/partition-fields.js';
import { minimalTwosComplement } from '../single-value.js';
import type { Comparable } from './comparable-value.js';
import { decimalScale } from './comparable-value.js';
import { murmur3x86_32 } from './murmur3.js';

/** A transform as a value. */
export type Transform =
  | { kind: 'identity' | 'year' | 'month' | 'day' | 'hour' }
  | { kind: 'bucket'; buckets: number }
  | { kind: 'truncate'; width: number };

const TEMPORAL = ['date', 'timestamp', 'timestamptz'];
const BUCKETABLE = ['int', 'long', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'binary', 'uuid'];
const TRUNCATABLE = ['int', 'long', 'string', 'binary'];
/**
 * Identity on float and double is refused: -0.0 and 0.0 (and NaNs) would share one partition
 * whose recorded value then misdescribes part of its rows.
 */
const IDENTITY_REFUSED = ['float', 'double'];

/** The transform a declaration names. */
export function transformOf(decl: PartitionFieldDecl): Transform {
  if (decl.transform === 'bucket') return { kind: 'bucket', buckets: decl.param ?? 0 };
  if (decl.transform === 'truncate') return { kind: 'truncate', width: decl.param ?? 0 };
  return { kind: decl.transform };
}

/** The spec's text for a transform: `identity`, `day`, `bucket[16]`, `truncate[4]`. */
export function transformText(transform: Transform): string {
  if (transform.kind === 'bucket') return `bucket[${transform.buckets}]`;
  if (transform.kind === 'truncate') return `truncate[${transform.width}]`;
  return transform.kind;
}

/** Parses the spec's text; null for transforms Sluice does not know (`void`, foreign ones). */
export function parseTransformText(text: string): Transform | null {
  const param = /^(bucket|truncate)\[(\d+)\]$/.exec(text);
  if (param) {
    const value = Number(param[2]);
    return param[1] === 'bucket' ? { kind: 'bucket', buckets: value } : { kind: 'truncate', width: value };
  }
  const simple = ['identity', 'year', 'month', 'day', 'hour'] as const;
  const kind = simple.find((name) => name === text);
  return kind === undefined ? null : { kind };
}

/** True when the transform applies to a column of Iceberg type `type`. */
export function canTransform(transform: Transform, type: string): boolean {
  const isDecimal = decimalScale(type) !== null;
  switch (transform.kind) {
    case 'identity':
      return !IDENTITY_REFUSED.includes(type);
    case 'year':
    case 'month':
    case 'day':
      return TEMPORAL.includes(type);
    case 'hour':
      return type === 'timestamp' || type === 'timestamptz';
    case 'bucket':
      return isDecimal || BUCKETABLE.includes(type);
    case 'truncate':
      return isDecimal || TRUNCATABLE.includes(type);
  }
}

/** The types a transform accepts, for error messages. */
export function acceptedTypes(transform: Transform): string {
  switch (transform.kind) {
    case 'identity':
      return 'every type except float and double';
    case 'year':
    case 'month':
    case 'day':
      return 'date, timestamp and timestamptz';
    case 'hour':
      return 'timestamp and timestamptz';
    case 'bucket':
      return 'int, long, decimal, date, time, timestamp, timestamptz, string and binary';
    case 'truncate':
      return 'int, long, decimal, string and binary';
  }
}

/** The Iceberg type of the partition values (`day` is a date, as Java and PyIceberg write it). */
export function resultType(transform: Transform, sourceType: string): string {
  switch (transform.kind) {
    case 'identity':
    case 'truncate':
      return sourceType;
    case 'day':
      return 'date';
    default:
      return 'int';
  }
}

/** True when the transform keeps order (a < b ⇒ t(a) ≤ t(b)), so range predicates prune. */
export function preservesOrder(transform: Transform): boolean {
  return transform.kind !== 'bucket';
}

/** The partition field's name as Iceberg's Java API names it: `col`, `col_day`, `col_bucket`, `col_trunc`. */
export function partitionFieldName(transform: Transform, column: string): string {
  switch (transform.kind) {
    case 'identity':
      return column;
    case 'bucket':
      return `${column}_bucket`;
    case 'truncate':
      return `${column}_trunc`;
    default:
      return `${column}_${transform.kind}`;
  }
}

const MICROS_PER_DAY = 86_400_000_000n;
const MICROS_PER_HOUR = 3_600_000_000n;

/** The transform of one comparable value of `sourceType` (null stays null). */
export function applyTransform(
  transform: Transform,
  sourceType: string,
  value: Comparable | null,
): Comparable | null {
  if (value === null) return null;
  switch (transform.kind) {
    case 'identity':
      return value;
    case 'bucket':
      return BigInt((murmur3x86_32(bucketBytes(sourceType, value)) & 0x7fffffff) % transform.buckets);
    case 'truncate':
      return truncate(value, transform.width, sourceType);
    case 'hour':
      return floorDiv(asBigInt(value), MICROS_PER_HOUR);
    default: {
      const days = sourceType === 'date' ? asBigInt(value) : floorDiv(asBigInt(value), MICROS_PER_DAY);
      if (transform.kind === 'day') return days;
      const { year, month } = civilFromDays(Number(days));
      return BigInt(transform.kind === 'year' ? year - 1970 : (year - 1970) * 12 + month - 1);
    }
  }
}

/** The bytes the bucket hash reads: integers and temporals as 8-byte little-endian longs, decimals unscaled (spec Appendix B). */
export function bucketBytes(sourceType: string, value: Comparable): Uint8Array {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'bigint') throw new TypeError(`cannot bucket a ${sourceType} value`);
  if (decimalScale(sourceType) !== null) return minimalTwosComplement(value);
  const out = Buffer.alloc(8);
  out.writeBigInt64LE(value);
  return out;
}

/**
 * Integers and decimals (unscaled) round down to a multiple of W; strings keep W code points,
 * binary W bytes. An int or long within W of its minimum wraps around, as Java computes it.
 */
function truncate(value: Comparable, width: number, sourceType: string): Comparable {
  if (typeof value === 'bigint') {
    const w = BigInt(width);
    const rounded = value - (((value % w) + w) % w);
    if (sourceType === 'int') return BigInt.asIntN(32, rounded);
    return sourceType === 'long' ? BigInt.asIntN(64, rounded) : rounded;
  }
  if (!Buffer.isBuffer(value)) throw new TypeError(`cannot truncate a ${sourceType} value`);
  if (sourceType === 'binary') return value.subarray(0, width);
  return Buffer.from(Array.from(value.toString('utf8')).slice(0, width).join(''), 'utf8');
}

function asBigInt(value: Comparable): bigint {
  if (typeof value !== 'bigint') throw new TypeError('a temporal value must be a bigint');
  return value;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && a < 0n ? quotient - 1n : quotient;
}

/** Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
