/**
 * The schema a stream is written with, under its table's schema policy (`SchemaPolicy`):
 * `evolve` adds new columns with new field ids (existing ids kept) and widens a column only
 * where no value can change — int→long, float→double, decimal(P,S)→decimal(P',S) with P' > P —
 * as the Iceberg spec allows; `freeze` refuses any difference; `discard_columns` keeps the
 * table's schema, drops the stream's extra columns and leaves missing ones NULL. A narrowing or
 * incompatible type change fails under every policy with SCHEMA_CHANGE naming the column and
 * both types, before anything is written. A `replace` under `evolve` may bring any new schema:
 * it rewrites every row.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import type { SchemaPolicy } from '../core/stream.js';
import type { IcebergField, IcebergSchema } from './iceberg-schema.js';
import { buildSchema, icebergType } from './iceberg-schema.js';
import type { SchemaPlan } from './snapshot-commit.js';
import type { TableMetadata } from './table-metadata.js';
import { currentSchema } from './table-metadata.js';

/** How a stream's columns map onto the table. */
export interface StreamSchemaPlan extends SchemaPlan {
  /** For each stream column, in order: the field it is written as, or null when the policy drops it. */
  written: (IcebergField | null)[];
}

/** What `planStreamSchema` needs besides the columns. */
export interface StreamSchemaOptions {
  /** `append` and `merge` keep the table's rows; `replace` rewrites them all. */
  disposition: 'append' | 'replace' | 'merge';
  /** The stream's schema policy (default `evolve`). */
  policy?: SchemaPolicy;
  /** Columns Sluice maintains itself (e.g. `_sluice_deleted_at`), added to the table but not staged. */
  managed?: readonly CanonicalColumn[];
  /** `namespace.table`, for messages. */
  table: string;
}

/** The widenings the Iceberg spec allows (old type → new type). */
export function canPromote(from: string, to: string): boolean {
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = /^decimal\((\d+),\s*(\d+)\)$/.exec(from);
  const b = /^decimal\((\d+),\s*(\d+)\)$/.exec(to);
  return a !== null && b !== null && a[2] === b[2] && Number(b[1]) > Number(a[1]);
}

/** Plans the schema for writing `columns` into the table described by `metadata` (null: a new table). */
export function planStreamSchema(
  metadata: TableMetadata | null,
  columns: readonly CanonicalColumn[],
  options: StreamSchemaOptions,
): StreamSchemaPlan {
  const managed = options.managed ?? [];
  for (const column of managed) {
    if (columns.some((other) => other.name === column.name)) {
      throw new SluiceError(
        'SCHEMA_CHANGE',
        `${options.table} has a column named ${column.name}, which Sluice keeps itself`,
        {
          hint: `rename the source column; ${column.name} is where soft deletes are recorded`,
        },
      );
    }
  }
  const expected = [...columns, ...managed];
  const policy = options.policy ?? 'evolve';
  if (!metadata) return withWritten(columns, { ...buildSchema(expected, 0, null), isNew: true });
  const current = currentSchema(metadata);
  const nextSchemaId = Math.max(...metadata.schemas.map((schema) => schema['schema-id'])) + 1;
  if (options.disposition === 'replace' && policy === 'evolve') {
    const built = buildSchema(expected, nextSchemaId, {
      schema: current,
      lastColumnId: metadata['last-column-id'],
    });
    if (sameFields(built.schema, current))
      return withWritten(columns, {
        schema: current,
        lastColumnId: metadata['last-column-id'],
        isNew: false,
      });
    return withWritten(columns, { ...built, isNew: true });
  }
  return withWritten(
    columns,
    keepTable(metadata, current, columns, managed, policy, options.table, nextSchemaId),
  );
}

/** Append, merge, or a replace under freeze / discard_columns: the table's fields stay, at most grown and widened. */
function keepTable(
  metadata: TableMetadata,
  current: IcebergSchema,
  columns: readonly CanonicalColumn[],
  managed: readonly CanonicalColumn[],
  policy: SchemaPolicy,
  table: string,
  nextSchemaId: number,
): SchemaPlan {
  const fields = current.fields.map((field) => ({ ...field }));
  let lastColumnId = metadata['last-column-id'];
  const refused: string[] = [];
  const typeProblems: string[] = [];
  for (const column of [...columns, ...managed]) {
    const type = icebergType(column.type);
    const field = fields.find((candidate) => candidate.name === column.name);
    const isManaged = managed.includes(column);
    if (!field) {
      if (policy === 'freeze') refused.push(`${JSON.stringify(column.name)} is new (${type})`);
      else if (policy === 'evolve' || isManaged)
        fields.push({ id: ++lastColumnId, name: column.name, required: false, type });
      continue;
    }
    if (field.type === type) continue;
    if (policy === 'evolve' && canPromote(field.type, type)) {
      assertNotPartitionedDecimal(metadata, field, type, table);
      field.type = type;
      continue;
    }
    const kind = canPromote(type, field.type)
      ? 'narrowing'
      : policy === 'evolve'
        ? 'incompatible'
        : `not allowed under ${policy}`;
    typeProblems.push(
      `column ${JSON.stringify(column.name)} changes type from ${field.type} to ${type} (${kind})`,
    );
  }
  if (policy === 'freeze') {
    for (const field of fields) {
      if (![...columns, ...managed].some((column) => column.name === field.name))
        refused.push(`${JSON.stringify(field.name)} is missing from the stream`);
    }
  }
  if (typeProblems.length > 0) {
    throw new SluiceError(
      'SCHEMA_CHANGE',
      `cannot write ${table}: ${[...typeProblems, ...refused].join('; ')}`,
      {
        hint: 'only int→long, float→double and a larger decimal precision widen a column in place; keep the source type, or rewrite the table with --disposition replace (schema policy evolve)',
      },
    );
  }
  if (refused.length > 0) {
    throw new SluiceError(
      'SCHEMA_CHANGE',
      `cannot write ${table} (schema policy freeze): ${refused.join('; ')}`,
      {
        hint: 'change the source back, or let the table follow it with --schema-policy evolve (or discard_columns)',
      },
    );
  }
  const schema: IcebergSchema = { type: 'struct', 'schema-id': nextSchemaId, fields };
  if (sameFields(schema, current))
    return { schema: current, lastColumnId: metadata['last-column-id'], isNew: false };
  return { schema, lastColumnId, isNew: true };
}

/**
 * Partition values of an identity or truncate field over a decimal are Avro `fixed` sized by the
 * precision; widening would need every manifest rewritten, so it is refused.
 */
function assertNotPartitionedDecimal(
  metadata: TableMetadata,
  field: IcebergField,
  type: string,
  table: string,
): void {
  if (!type.startsWith('decimal')) return;
  const partitioned = metadata['partition-specs'].some((spec) =>
    spec.fields.some(
      (partition) => partition['source-id'] === field.id && !partition.transform.startsWith('bucket'),
    ),
  );
  if (!partitioned) return;
  throw new SluiceError(
    'SCHEMA_CHANGE',
    `cannot write ${table}: column ${JSON.stringify(field.name)} changes type from ${field.type} to ${type}, and the table is partitioned by its values`,
    {
      hint: 'rewrite the table with --disposition replace and a partitioning that fits the new type',
    },
  );
}

function withWritten(columns: readonly CanonicalColumn[], plan: SchemaPlan): StreamSchemaPlan {
  const written = columns.map(
    (column) => plan.schema.fields.find((field) => field.name === column.name) ?? null,
  );
  if (columns.length > 0 && written.every((field) => field === null)) {
    throw new SluiceError('SCHEMA_CHANGE', "none of the stream's columns is a column of the table", {
      hint: 'discard_columns drops them all; check that the stream goes to the right table, or use --schema-policy evolve',
    });
  }
  return { ...plan, written };
}

function sameFields(a: IcebergSchema, b: IcebergSchema): boolean {
  const key = (schema: IcebergSchema) =>
    JSON.stringify(schema.fields.map((field) => [field.id, field.name, field.type]));
  return key(a) === key(b);
}
