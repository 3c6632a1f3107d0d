/**
 * What a merge needs to know about its table before it reads a row: the schema the table has
 * after the commit, which table field each staged column is written as, the key fields rows are
 * matched on, the partition spec new files are written with, and the soft-delete column.
 */
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import type { IcebergField, IcebergSchema } from '../iceberg-schema.js';
import type { PartitionPlan } from '../partitioning/partition-spec.js';
import type { StreamSchemaPlan } from '../schema-evolution.js';
import type { TableIdent } from '../table-location.js';
import { qualifiedName } from '../table-location.js';

/** The column a soft delete sets (timestamptz): the rows stay, marked with when they were deleted. */
export const SOFT_DELETE_COLUMN = '_sluice_deleted_at';

/** The column Sluice adds to a table for soft deletes. */
export const SOFT_DELETE_CANONICAL: CanonicalColumn = {
  name: SOFT_DELETE_COLUMN,
  type: { kind: 'timestamptz' },
  nullable: true,
  sourceType: 'timestamptz',
  note: 'set by Sluice when a merge with soft delete deletes the row',
};

/** A merge's table, columns, keys and spec. */
export interface MergeLayout {
  /** The target table. */
  ident: TableIdent;
  /** The table's schema after the commit (every field is written for every row). */
  schema: IcebergSchema;
  /** For each staged column: the field it is written as, or null when the schema policy drops it. */
  staged: readonly (IcebergField | null)[];
  /** Key fields, in key order. */
  keys: readonly IcebergField[];
  /** Partition spec of the files the merge writes. */
  partition: PartitionPlan;
  /** The soft-delete field, or null for hard deletes. */
  softDelete: IcebergField | null;
}

/** The layout for merging a stream with `columns` keyed on `primaryKey`; USAGE when the key is unusable. */
export function mergeLayout(
  ident: TableIdent,
  columns: readonly CanonicalColumn[],
  primaryKey: readonly string[],
  schema: StreamSchemaPlan,
  partition: PartitionPlan,
  softDelete: boolean,
): MergeLayout {
  const table = qualifiedName(ident);
  if (primaryKey.length === 0) {
    throw new SluiceError('USAGE', `cannot merge into ${table}: the stream has no primary key`, {
      hint: 'declare the key columns with --primary-key a,b (or primaryKey: in the project file), or use --disposition append or replace',
    });
  }
  const keys = primaryKey.map((name) => {
    const index = columns.findIndex((column) => column.name === name);
    const field = index < 0 ? null : (schema.written[index] ?? null);
    if (!field) {
      throw new SluiceError(
        'USAGE',
        `cannot merge into ${table}: key column ${JSON.stringify(name)} is not written`,
        {
          hint:
            index < 0
              ? `the key must be among the stream's columns: ${columns.map((column) => column.name).join(', ')}`
              : 'the schema policy discards it; merge keys must be columns of the table',
        },
      );
    }
    return field;
  });
  const softField = softDelete
    ? (schema.schema.fields.find((field) => field.name === SOFT_DELETE_COLUMN) ?? null)
    : null;
  return { ident, schema: schema.schema, staged: schema.written, keys, partition, softDelete: softField };
}
