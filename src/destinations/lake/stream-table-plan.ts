/**
 * How a stream lands in its lake table, decided at `openStream` before anything is written: the
 * schema under the stream's schema policy (with `_sluice_deleted_at` for soft deletes) and the
 * partition spec (declared, or the table's). Every refusal — an incompatible column type, a
 * partition transform that does not fit its column, a merge without a key — happens here, so a
 * refused stream leaves its table at its last snapshot.
 */
import { SluiceError } from '../../core/errors.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import { SOFT_DELETE_CANONICAL } from '../../lake/merge/merge-layout.js';
import type { PartitionPlan } from '../../lake/partitioning/partition-spec.js';
import { planPartitionSpec } from '../../lake/partitioning/partition-spec.js';
import type { StreamSchemaPlan } from '../../lake/schema-evolution.js';
import { planStreamSchema } from '../../lake/schema-evolution.js';
import type { DestinationStream } from '../destination.js';

/** The schema and partition spec a stream writes with. */
export interface StreamTablePlan {
  /** Schema, and which field each stream column is written as. */
  schema: StreamSchemaPlan;
  /** Partition spec of the new files. */
  partition: PartitionPlan;
}

/** Plans `stream` against `base` (null: the table does not exist yet). */
export function planStreamTable(base: LoadedTable | null, stream: DestinationStream): StreamTablePlan {
  const table = `${stream.namespace}.${stream.name}`;
  if (stream.softDelete && stream.disposition !== 'merge') {
    throw new SluiceError(
      'USAGE',
      `${table}: soft delete applies to --disposition merge, not ${stream.disposition}`,
      {
        hint: 'drop --soft-delete (softDelete:) for this table, or merge it by primary key',
      },
    );
  }
  const schema = planStreamSchema(base?.metadata ?? null, stream.columns, {
    disposition: stream.disposition,
    ...(stream.schemaPolicy !== undefined && { policy: stream.schemaPolicy }),
    ...(stream.softDelete && { managed: [SOFT_DELETE_CANONICAL] }),
    table,
  });
  const partition = planPartitionSpec(base?.metadata ?? null, schema.schema, stream.partitionBy, table);
  return { schema, partition };
}
