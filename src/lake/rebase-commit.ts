/**
 * Committing a stream's snapshot when other writers may commit the same table meanwhile.
 *
 * An append that loses the compare-and-swap rebases: it reloads the table the winner left and
 * commits its own data files again as a new snapshot on top (new manifests and metadata; the
 * Parquet files are reused), with backoff, up to a limit. That is safe because an append's
 * meaning does not depend on what else is in the table — as long as the table's columns are
 * still the ones the files were written with; if the winner changed them, the append fails.
 *
 * A replace (overwrite) never rebases: on top of the winner it would silently delete the rows
 * the winner just committed. It fails with COMMIT_CONFLICT instead, leaving the winner's
 * snapshot current; running the sync again replaces the table from a fresh read.
 */
import { SluiceError, isSluiceError } from '../core/errors.js';
import type { ConflictRetryOptions } from './conflict-retry.js';
import { retryOnConflict } from './conflict-retry.js';
import type { IcebergSchema } from './iceberg-schema.js';
import type { SchemaPlan, SnapshotRequest } from './snapshot-commit.js';
import { commitSnapshot } from './snapshot-commit.js';
import type { TableCatalog } from './table-catalog.js';
import type { Snapshot } from './table-metadata.js';
import { currentSchema } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName } from './table-location.js';
import type { LoadedTable } from './table-versions.js';

/** `commitSnapshot` on `base`, rebasing an append that loses the race (see the file comment). */
export async function commitRebasing(
  catalog: TableCatalog,
  ident: TableIdent,
  base: LoadedTable | null,
  request: SnapshotRequest,
  options: ConflictRetryOptions = {},
): Promise<{ table: LoadedTable; snapshot: Snapshot }> {
  const name = qualifiedName(ident);
  if (request.operation !== 'append') {
    try {
      return await commitSnapshot(catalog, ident, base, request);
    } catch (error) {
      if (!isSluiceError(error, 'COMMIT_CONFLICT')) throw error;
      throw new SluiceError('COMMIT_CONFLICT', `another writer committed ${name} while this replace ran`, {
        cause: error,
        retryable: true,
        hint: "a replace is never applied on top of another writer's commit (it would drop those rows); run the sync again to replace the table from a fresh read",
      });
    }
  }
  return retryOnConflict(
    name,
    async (attempt) => {
      if (attempt === 1) return commitSnapshot(catalog, ident, base, request);
      const current = await catalog.load(ident);
      return commitSnapshot(catalog, ident, current, {
        ...request,
        schema: rebasedSchema(ident, current, request.schema),
      });
    },
    options,
  );
}

/** The schema plan of an append rebased onto `current`: the same fields, or a conflict. */
function rebasedSchema(ident: TableIdent, current: LoadedTable | null, planned: SchemaPlan): SchemaPlan {
  if (!current) return planned;
  const schema = currentSchema(current.metadata);
  if (!sameFields(schema, planned.schema)) {
    throw new SluiceError(
      'COMMIT_CONFLICT',
      `another writer changed the columns of ${qualifiedName(ident)} while this append ran`,
      {
        hint: 'run the sync again: it plans the append against the new columns',
      },
    );
  }
  return { schema, lastColumnId: current.metadata['last-column-id'], isNew: false };
}

function sameFields(a: IcebergSchema, b: IcebergSchema): boolean {
  const key = (schema: IcebergSchema) =>
    JSON.stringify(
      schema.fields
        .map((field) => [field.id, field.name, field.type])
        .sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
  return key(a) === key(b);
}
