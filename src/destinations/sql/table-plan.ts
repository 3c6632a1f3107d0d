/**
 * What a commit must do to the target table before loading rows into it, decided from the
 * catalog inside the commit transaction (and once more at `openStream`, to fail before the
 * source is read). Column types are compared with the staging table's, which was created from
 * the stream by the same DDL: both come back from the engine's catalog in the same spelling.
 */
import { SluiceError } from '../../core/errors.js';
import type { DestinationStream } from '../destination.js';
import type { TableShape } from './sql-session.js';

/** The table's fate in this commit. */
export interface TablePlan {
  /** `create`: missing; `keep`: matches the stream; `recreate`: replace brings other columns. */
  action: 'create' | 'keep' | 'recreate';
  /** Primary key to declare when creating (empty for append: re-appending the same rows is allowed). */
  createKey: string[];
  /** True when a merge must first declare its key on a table created without one. */
  addPrimaryKey: boolean;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

function list(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(', ');
}

/** The columns that differ between the target and the staged stream, described for a person. */
function columnDifferences(target: TableShape, staged: TableShape): string[] {
  const types = new Map(target.columns.map((column) => [column.name, column.type]));
  const stagedNames = new Set(staged.columns.map((column) => column.name));
  const differences: string[] = [];
  for (const column of staged.columns) {
    const type = types.get(column.name);
    if (type === undefined) differences.push(`${JSON.stringify(column.name)} is new`);
    else if (type !== column.type) {
      differences.push(
        `${JSON.stringify(column.name)} is ${type} in the table but ${column.type} in the stream`,
      );
    }
  }
  for (const column of target.columns) {
    if (!stagedNames.has(column.name)) differences.push(`${JSON.stringify(column.name)} is missing`);
  }
  return differences;
}

/**
 * Plans the commit of `stream` into `target` (null: no such table) given the staging table's
 * shape (the stream's columns in the engine's types). Throws DESTINATION_WRITE when append or
 * merge would meet columns or a key they cannot apply.
 */
export function planTable(
  stream: DestinationStream,
  tableLabel: string,
  target: TableShape | null,
  staged: TableShape,
): TablePlan {
  const createKey = stream.disposition === 'append' ? [] : stream.primaryKey;
  if (target === null) return { action: 'create', createKey, addPrimaryKey: false };
  const differences = columnDifferences(target, staged);
  if (differences.length > 0) {
    if (stream.disposition === 'replace') return { action: 'recreate', createKey, addPrimaryKey: false };
    if (stream.disposition === 'merge') {
      // Merge is how change data capture applies a source's ALTER TABLE; SQL tables do not evolve.
      throw new SluiceError(
        'SCHEMA_CHANGE',
        `cannot merge into ${tableLabel}: its columns differ from the stream's (${differences.join('; ')}); SQL destinations do not change a table's columns`,
        {
          hint: 're-snapshot with `sluice sync --mode cdc --resnapshot` (or run once with --disposition replace) to recreate the table with the source’s columns',
        },
      );
    }
    throw new SluiceError(
      'DESTINATION_WRITE',
      `cannot ${stream.disposition} into ${tableLabel}: its columns differ from the stream's (${differences.join('; ')})`,
      {
        hint: 'run once with --disposition replace to recreate the table with the stream’s columns, or change the table to match',
      },
    );
  }
  if (stream.disposition !== 'merge') return { action: 'keep', createKey, addPrimaryKey: false };
  if (target.primaryKey.length === 0) return { action: 'keep', createKey, addPrimaryKey: true };
  if (!sameSet(target.primaryKey, stream.primaryKey)) {
    throw new SluiceError(
      'DESTINATION_WRITE',
      `cannot merge into ${tableLabel} by (${list(stream.primaryKey)}): its primary key is (${list(target.primaryKey)})`,
      {
        hint: `merge by the table's key (--primary-key ${target.primaryKey.join(',')}), or replace the table first`,
      },
    );
  }
  return { action: 'keep', createKey, addPrimaryKey: false };
}
