/**
 * A data file's partition tuple in manifests: the Avro record type of a spec's fields (field ids
 * and the spec's Avro types: day → int/date, decimal → fixed, times and timestamps → long with
 * their logical types), the conversion between comparable values and Avro values, and the
 * manifest list's per-field summaries (nulls, lower and upper bounds).
 */
import { SluiceError } from '../../core/errors.js';
import type { AvroSchemaJson } from '../avro-container.js';
import { avroCompatibleName } from '../iceberg-schema.js';
import type { Comparable } from './comparable-value.js';
import {
  bigIntFromTwosComplement,
  boundFromComparable,
  compareValues,
  decimalScale,
  fixedTwosComplement,
} from './comparable-value.js';
import type { BoundPartitionField } from './partition-spec.js';

/** A partition value as avsc encodes and decodes it. */
export type AvroPartitionValue = number | string | boolean | Buffer | null;

/** A partition tuple: Avro field name → value. */
export type PartitionTuple = Record<string, AvroPartitionValue>;

/** One manifest-list field summary (spec `field_summary`, ids 509–511, 518). */
export interface PartitionFieldSummary {
  /** Whether a file of the manifest has a null value for the field. */
  contains_null: boolean;
  /** Whether one has NaN; null: not a float field. */
  contains_nan: boolean | null;
  /** Smallest non-null value, single-value serialized. */
  lower_bound: Buffer | null;
  /** Largest non-null value, single-value serialized. */
  upper_bound: Buffer | null;
}

/** The Avro record type of the `partition` field of data_file (id 102) for a spec's fields. */
export function partitionRecordSchema(fields: readonly BoundPartitionField[]): AvroSchemaJson {
  return {
    type: 'record',
    name: 'r102',
    fields: fields.map((bound) => ({
      name: avroCompatibleName(bound.field.name),
      type: ['null', avroType(bound)],
      default: null,
      'field-id': bound.field['field-id'],
    })),
  };
}

/** The Avro type of a partition field's values (spec "Avro" type mapping). */
function avroType(bound: BoundPartitionField): unknown {
  const type = bound.resultType;
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    return {
      type: 'fixed',
      name: `decimal_${bound.field['field-id']}`,
      size: decimalBytes(precision),
      logicalType: 'decimal',
      precision,
      scale: Number(decimal[2]),
    };
  }
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'string':
      return type;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': type === 'timestamptz' };
    default:
      throw new SluiceError('NOT_SUPPORTED', `cannot write partition values of type ${type}`, {
        hint: 'partition by a column of another type',
      });
  }
}

/** The fewest bytes whose two's complement holds every unscaled value of `precision` digits. */
function decimalBytes(precision: number): number {
  const largest = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (largest >= 1n << BigInt(8 * bytes - 1)) bytes++;
  return bytes;
}

/** The partition tuple of comparable values, in spec field order. */
export function partitionTuple(
  fields: readonly BoundPartitionField[],
  values: readonly (Comparable | null)[],
): PartitionTuple {
  const tuple: PartitionTuple = {};
  fields.forEach((bound, i) => {
    tuple[avroCompatibleName(bound.field.name)] = toAvro(bound, values[i] ?? null);
  });
  return tuple;
}

/** The comparable values of a tuple read from a manifest, in spec field order. */
export function tupleValues(
  fields: readonly BoundPartitionField[],
  tuple: PartitionTuple,
): (Comparable | null)[] {
  return fields.map((bound) =>
    fromAvro(bound.resultType, tuple[avroCompatibleName(bound.field.name)] ?? null),
  );
}

function toAvro(bound: BoundPartitionField, value: Comparable | null): AvroPartitionValue {
  if (value === null) return null;
  const type = bound.resultType;
  if (Buffer.isBuffer(value)) return type === 'binary' ? value : value.toString('utf8');
  if (typeof value === 'number') return value;
  const decimal = /^decimal\((\d+),/.exec(type);
  if (decimal) return fixedTwosComplement(value, decimalBytes(Number(decimal[1])));
  if (type === 'boolean') return value !== 0n;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new SluiceError(
      'NOT_SUPPORTED',
      `partition field ${bound.field.name}: value ${value} is beyond ±2^53, which manifests cannot carry exactly here`,
      { hint: `partition by bucket(N, ${bound.source.name}) or truncate(W, ${bound.source.name}) instead` },
    );
  }
  return Number(value);
}

function fromAvro(type: string, value: AvroPartitionValue): Comparable | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return decimalScale(type) !== null ? bigIntFromTwosComplement(value) : value;
}

/** The manifest-list summaries of a manifest holding files with these partition values. */
export function partitionSummaries(
  fields: readonly BoundPartitionField[],
  tuples: readonly (readonly (Comparable | null)[])[],
): PartitionFieldSummary[] {
  return fields.map((bound, i) => {
    let lower: Comparable | null = null;
    let upper: Comparable | null = null;
    let containsNull = false;
    for (const tuple of tuples) {
      const value = tuple[i] ?? null;
      if (value === null) {
        containsNull = true;
        continue;
      }
      if (lower === null || compareValues(value, lower) < 0) lower = value;
      if (upper === null || compareValues(value, upper) > 0) upper = value;
    }
    return {
      contains_null: containsNull,
      contains_nan: null,
      lower_bound: lower === null ? null : boundFromComparable(bound.resultType, lower),
      upper_bound: upper === null ? null : boundFromComparable(bound.resultType, upper),
    };
  });
}
