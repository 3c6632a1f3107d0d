/**
 * Partition specs (spec "Partitioning"): binding a table's spec to its schema, and planning the
 * spec a stream writes with from its declared fields. A declaration that differs from the
 * table's current spec becomes a new spec (partition evolution): files written before keep the
 * spec they were written with. Partition field ids start at 1000 and are reused for the same
 * source column and transform, as Iceberg's Java library does for format v2.
 */
import { SluiceError } from '../../core/errors.js';
import type { PartitionFieldDecl } from '../../core/partition-fields.js';
import { formatPartitionField } from '../../core/partition-fields.js';
import type { IcebergField, IcebergSchema } from '../iceberg-schema.js';
import type { PartitionSpec, TableMetadata } from '../table-metadata.js';
import type { Transform } from './partition-transform.js';
import {
  acceptedTypes,
  canTransform,
  parseTransformText,
  partitionFieldName,
  resultType,
  transformOf,
  transformText,
} from './partition-transform.js';

/** One field of a partition spec as stored in table metadata. */
export type PartitionSpecField = PartitionSpec['fields'][number];

/** The partition field ids below this are data field ids (spec: partition field ids start at 1000). */
export const FIRST_PARTITION_FIELD_ID = 1000;

/** A partition field with what writing and pruning need to know about it. */
export interface BoundPartitionField {
  /** The field as the spec stores it. */
  field: PartitionSpecField;
  /** Its transform. */
  transform: Transform;
  /** The source column (from the newest schema that has it). */
  source: IcebergField;
  /** Iceberg type of the partition values. */
  resultType: string;
}

/** The spec a stream's files are written with. */
export interface PartitionPlan {
  /** The spec (existing or new). */
  spec: PartitionSpec;
  /** Its fields, bound to the schema; empty when unpartitioned. */
  fields: BoundPartitionField[];
  /** Highest partition field id after this spec. */
  lastPartitionId: number;
}

/** The unpartitioned spec every new table without declared partitioning gets. */
export const UNPARTITIONED: PartitionSpec = { 'spec-id': 0, fields: [] };

/**
 * Binds `spec` to the table's schemas (newest first): a source column dropped from the current
 * schema is found in an older one, so old files keep readable partition values.
 */
export function bindPartitionSpec(
  spec: PartitionSpec,
  schemas: readonly IcebergSchema[],
): BoundPartitionField[] {
  return spec.fields.map((field) => {
    const transform = parseTransformText(field.transform);
    if (transform === null) {
      throw new SluiceError(
        'NOT_SUPPORTED',
        `partition transform ${JSON.stringify(field.transform)} is not supported`,
        {
          hint: 'Sluice writes identity, year, month, day, hour, bucket[N] and truncate[W] partitions',
        },
      );
    }
    const source = schemas
      .flatMap((schema) => schema.fields)
      .find((candidate) => candidate.id === field['source-id']);
    if (!source) {
      throw new SluiceError(
        'LAKE_CORRUPT',
        `partition field ${field.name} refers to missing column id ${field['source-id']}`,
        {
          hint: 'the table metadata is damaged; restore it from a backup',
        },
      );
    }
    return { field, transform, source, resultType: resultType(transform, source.type) };
  });
}

/** The table's schemas with the current one first (for `bindPartitionSpec`). */
export function schemasNewestFirst(metadata: TableMetadata, current: IcebergSchema): IcebergSchema[] {
  return [current, ...[...metadata.schemas].reverse().filter((schema) => schema !== current)];
}

/**
 * The spec to write `schema`'s data with: the table's current spec when nothing is declared,
 * else the declared fields (the current spec again when they are the same). Throws USAGE —
 * before anything is written — when a field names no column or its transform does not fit the
 * column's type.
 */
export function planPartitionSpec(
  metadata: TableMetadata | null,
  schema: IcebergSchema,
  declared: readonly PartitionFieldDecl[] | undefined,
  table: string,
): PartitionPlan {
  const specs = metadata?.['partition-specs'] ?? [];
  const current = specs.find((spec) => spec['spec-id'] === metadata?.['default-spec-id']) ?? UNPARTITIONED;
  const lastPartitionId = metadata?.['last-partition-id'] ?? FIRST_PARTITION_FIELD_ID - 1;
  const schemas = metadata ? schemasNewestFirst(metadata, schema) : [schema];
  if (declared === undefined) {
    assertSourcesInSchema(current, schema, table);
    return {
      spec: current,
      fields: bindPartitionSpec(current, schemas),
      lastPartitionId,
    };
  }
  let nextId = lastPartitionId;
  const names = new Set<string>();
  const fields = declared.map((decl): PartitionSpecField => {
    const source = schema.fields.find((field) => field.name === decl.column);
    const transform = transformOf(decl);
    if (!source) {
      throw new SluiceError(
        'USAGE',
        `cannot partition ${table} by ${formatPartitionField(decl)}: it has no column ${JSON.stringify(decl.column)}`,
        {
          hint: `partition by one of its columns: ${schema.fields.map((field) => field.name).join(', ')}`,
        },
      );
    }
    if (!canTransform(transform, source.type)) {
      throw new SluiceError(
        'USAGE',
        `cannot partition ${table} by ${formatPartitionField(decl)}: column ${JSON.stringify(source.name)} is ${source.type}, and ${decl.transform} applies to ${acceptedTypes(transform)}`,
        {
          hint: `use a transform that fits ${source.type} (identity, bucket or truncate, as the type allows) or another column`,
        },
      );
    }
    const text = transformText(transform);
    const reused = specs
      .flatMap((spec) => spec.fields)
      .find((field) => field['source-id'] === source.id && field.transform === text);
    const name = uniqueName(partitionFieldName(transform, source.name), names, schema, source);
    names.add(name);
    return { 'source-id': source.id, 'field-id': reused?.['field-id'] ?? ++nextId, name, transform: text };
  });
  assertDistinctFields(fields, declared, table);
  if (sameFields(fields, current.fields) && metadata !== null) {
    return { spec: current, fields: bindPartitionSpec(current, schemas), lastPartitionId };
  }
  const specId = metadata === null ? 0 : Math.max(...specs.map((spec) => spec['spec-id'])) + 1;
  const spec: PartitionSpec = { 'spec-id': specId, fields };
  return {
    spec,
    fields: bindPartitionSpec(spec, schemas),
    lastPartitionId: Math.max(lastPartitionId, nextId),
  };
}

/** A table whose current schema lost a partition source column cannot take new data with that spec. */
function assertSourcesInSchema(spec: PartitionSpec, schema: IcebergSchema, table: string): void {
  for (const field of spec.fields) {
    if (schema.fields.some((column) => column.id === field['source-id'])) continue;
    throw new SluiceError(
      'USAGE',
      `${table} is partitioned by ${field.name}, whose column the stream no longer has`,
      {
        hint: 'declare the partitioning for the new columns (--partition-by or partitionBy:), or keep the column',
      },
    );
  }
}

function assertDistinctFields(
  fields: readonly PartitionSpecField[],
  declared: readonly PartitionFieldDecl[],
  table: string,
): void {
  fields.forEach((field, i) => {
    const earlier = fields.findIndex(
      (other) => other['source-id'] === field['source-id'] && other.transform === field.transform,
    );
    if (earlier !== i) {
      throw new SluiceError(
        'USAGE',
        `${table}: partition field ${formatPartitionField(declared[i]!)} is declared twice`,
        {
          hint: 'list each partition field once',
        },
      );
    }
  });
}

function sameFields(a: readonly PartitionSpecField[], b: readonly PartitionSpecField[]): boolean {
  return (
    a.length === b.length &&
    a.every((field, i) => field['source-id'] === b[i]!['source-id'] && field.transform === b[i]!.transform)
  );
}

/** Java refuses partition names equal to another column's; Sluice appends `_2`, `_3`, … instead. */
function uniqueName(
  base: string,
  taken: ReadonlySet<string>,
  schema: IcebergSchema,
  source: IcebergField,
): string {
  const clashes = (name: string) =>
    taken.has(name) || schema.fields.some((field) => field.name === name && field.id !== source.id);
  if (!clashes(base)) return base;
  for (let n = 2; ; n++) if (!clashes(`${base}_${n}`)) return `${base}_${n}`;
}

/**
 * Spec `specId` of a table bound to its schemas, looked up among the table's specs and the
 * commit's own new one: what a manifest of that spec needs to encode partition tuples.
 */
export function boundSpecById(
  metadata: TableMetadata | null,
  plan: PartitionPlan | undefined,
  schema: IcebergSchema,
  specId: number,
): { spec: PartitionSpec; fields: BoundPartitionField[] } {
  if (plan && plan.spec['spec-id'] === specId) return { spec: plan.spec, fields: plan.fields };
  const spec = (metadata?.['partition-specs'] ?? [UNPARTITIONED]).find(
    (candidate) => candidate['spec-id'] === specId,
  );
  if (!spec) {
    throw new SluiceError(
      'LAKE_CORRUPT',
      `a manifest refers to partition spec ${specId}, which the table does not have`,
      {
        hint: 'the table metadata is damaged; restore it from a backup',
      },
    );
  }
  const schemas = metadata ? schemasNewestFirst(metadata, schema) : [schema];
  return { spec, fields: bindPartitionSpec(spec, schemas) };
}
