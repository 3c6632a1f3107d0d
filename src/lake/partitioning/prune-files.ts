/**
 * Pruning a scan before any data file is opened: a file is left out when its manifest entry
 * proves no row can match the filter — by the column's lower and upper bounds and null counts,
 * or by the file's partition values (the literal put through the partition transform; range
 * predicates prune through order-preserving transforms, `=` through every transform). Anything
 * unknown keeps the file: pruning may read too much, never too little. Comparisons follow
 * DuckDB's, which the views apply afterwards (NaN sorts above every number there).
 */
import { SluiceError } from '../../core/errors.js';
import type { IcebergField, IcebergSchema } from '../iceberg-schema.js';
import type { LiveFile } from '../manifest-io.js';
import type { TableMetadata } from '../table-metadata.js';
import type { Comparable } from './comparable-value.js';
import { comparableFromBound, comparableFromText, compareValues } from './comparable-value.js';
import { tupleValues } from './partition-avro.js';
import type { BoundPartitionField } from './partition-spec.js';
import { bindPartitionSpec, schemasNewestFirst } from './partition-spec.js';
import { applyTransform, preservesOrder } from './partition-transform.js';
import type { FilterOp, ScanFilter } from './scan-filter.js';

/** A predicate resolved against the table's schema. */
interface BoundPredicate {
  field: IcebergField;
  op: FilterOp;
  value: Comparable | null;
}

/** The files of `files` that may hold a row matching `filter` (every predicate). */
export function pruneFiles(
  files: readonly LiveFile[],
  metadata: TableMetadata,
  schema: IcebergSchema,
  filter: ScanFilter,
): LiveFile[] {
  const predicates = filter.map((predicate): BoundPredicate => {
    const field = schema.fields.find((candidate) => candidate.name === predicate.column);
    if (!field) {
      throw new SluiceError(
        'USAGE',
        `cannot filter on ${JSON.stringify(predicate.column)}: the table has no such column`,
        {
          hint: `columns: ${schema.fields.map((candidate) => candidate.name).join(', ')}`,
        },
      );
    }
    if (predicate.op === 'is null' || predicate.op === 'is not null')
      return { field, op: predicate.op, value: null };
    const value = comparableFromText(field.type, predicate.value ?? '');
    if (value === null) {
      throw new SluiceError(
        'USAGE',
        `cannot read ${JSON.stringify(predicate.value)} as a ${field.type} value of ${field.name}`,
        {
          hint: 'write the literal as DuckDB prints the type: 2024-03-01, 2024-03-01 12:00:00, 2024-03-01 12:00:00+00, 12.50, true',
        },
      );
    }
    return { field, op: predicate.op, value };
  });
  const specs = new Map<number, BoundPartitionField[] | null>();
  const specFields = (specId: number) => {
    if (!specs.has(specId)) {
      const spec = metadata['partition-specs'].find((candidate) => candidate['spec-id'] === specId);
      let bound: BoundPartitionField[] | null = null;
      try {
        bound = spec ? bindPartitionSpec(spec, schemasNewestFirst(metadata, schema)) : null;
      } catch {
        // A spec Sluice cannot bind (a foreign transform) just does not prune.
      }
      specs.set(specId, bound);
    }
    return specs.get(specId) ?? [];
  };
  return files.filter((file) =>
    predicates.every(
      (predicate) =>
        boundsMayMatch(file, predicate) && partitionMayMatch(file, predicate, specFields(file.specId)),
    ),
  );
}

function count(entries: { key: number; value: number }[] | null, id: number): number | null {
  return entries?.find((entry) => entry.key === id)?.value ?? null;
}

function boundsMayMatch(file: LiveFile, predicate: BoundPredicate): boolean {
  const data = file.dataFile;
  const id = predicate.field.id;
  const nulls = count(data.null_value_counts, id);
  const values = count(data.value_counts, id);
  if (predicate.op === 'is null') return nulls !== 0;
  const allNull = nulls !== null && values !== null && nulls === values;
  if (allNull) return false;
  if (predicate.op === 'is not null' || predicate.value === null) return true;
  const bound = (bounds: typeof data.lower_bounds) => {
    const bytes = bounds?.find((entry) => entry.key === id)?.value;
    return bytes ? comparableFromBound(predicate.field.type, Buffer.from(bytes)) : null;
  };
  const lower = bound(data.lower_bounds);
  const upper = bound(data.upper_bounds);
  const isFloat = predicate.field.type === 'float' || predicate.field.type === 'double';
  // Bounds leave NaN out, and NaN compares above every number in DuckDB: only a known-NaN-free file prunes above.
  const upperHolds = !isFloat || count(data.nan_value_counts, id) === 0;
  return rangeMayMatch(predicate.op, predicate.value, lower, upperHolds ? upper : null);
}

/** Whether some value in [lower, upper] (either end unknown: null) can satisfy `op value`. */
function rangeMayMatch(
  op: FilterOp,
  value: Comparable,
  lower: Comparable | null,
  upper: Comparable | null,
): boolean {
  const below = (bound: Comparable | null, strict: boolean) =>
    bound !== null && (strict ? compareValues(bound, value) < 0 : compareValues(bound, value) <= 0);
  const above = (bound: Comparable | null, strict: boolean) =>
    bound !== null && (strict ? compareValues(bound, value) > 0 : compareValues(bound, value) >= 0);
  switch (op) {
    case '=':
      return !below(upper, true) && !above(lower, true);
    case '!=':
      return !(
        lower !== null &&
        upper !== null &&
        compareValues(lower, value) === 0 &&
        compareValues(upper, value) === 0
      );
    case '<':
      return !above(lower, false);
    case '<=':
      return !above(lower, true);
    case '>':
      return !below(upper, false);
    case '>=':
      return !below(upper, true);
    default:
      return true;
  }
}

function partitionMayMatch(
  file: LiveFile,
  predicate: BoundPredicate,
  fields: readonly BoundPartitionField[],
): boolean {
  const values = tupleValues(fields, file.dataFile.partition);
  return fields.every((bound, i) => {
    if (bound.source.id !== predicate.field.id) return true;
    const partition = values[i] ?? null;
    // A NULL partition value means a NULL source value, and the other way round.
    if (predicate.op === 'is null') return partition === null;
    if (partition === null) return false;
    if (predicate.op === 'is not null' || predicate.value === null) return true;
    const transformed = applyTransform(bound.transform, bound.source.type, predicate.value);
    if (transformed === null) return true;
    if (predicate.op === '=') return compareValues(partition, transformed) === 0;
    if (predicate.op === '!=')
      return bound.transform.kind !== 'identity' || compareValues(partition, transformed) !== 0;
    if (!preservesOrder(bound.transform) || mayHaveWrapped(bound, partition)) return true;
    // t is order-preserving: v < lit ⇒ t(v) ≤ t(lit); v > lit ⇒ t(v) ≥ t(lit).
    const order = compareValues(partition, transformed);
    return predicate.op === '<' || predicate.op === '<=' ? order <= 0 : order >= 0;
  });
}

/** truncate[W] of an int or long within W of its minimum wraps to near its maximum (Java's arithmetic). */
function mayHaveWrapped(bound: BoundPartitionField, partition: Comparable): boolean {
  if (bound.transform.kind !== 'truncate' || typeof partition !== 'bigint') return false;
  const max =
    bound.source.type === 'int' ? 2n ** 31n - 1n : bound.source.type === 'long' ? 2n ** 63n - 1n : null;
  return max !== null && partition > max - BigInt(bound.transform.width);
}
